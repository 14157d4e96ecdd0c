//! Creating shares: one per recipient, every control checked against the policy as it is
//! now, each link hashed and sealed, invitations queued, all in one transaction.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::OffsetDateTime;

use super::view::get;
use super::{remind_at, Expiry, NewShare, ShareView, SharedItem, MAX_BULK, MIN_PASSWORD_LEN};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::ShareToken;
use crate::domain::controls::BundleRef;
use crate::domain::policy::{ShareFacts, MAX_ACCESS_COUNT};
use crate::domain::{Method, Share, ShareSettings, Tlp};
use crate::services::share_core::sealing_context;
use crate::services::{policy, rfc3339, validate, Result, ServiceError};
use crate::store::shares::ShareRow;
use crate::store::{self, from_millis, new_id, to_millis};
use crate::Liaison;

const MAX_NETWORKS: usize = 64;

/// What a new share covers, found in the creator's organisation (the tenant check).
enum Covered {
    /// Documents: one, or a bundle's (the first binds the defaults).
    Documents {
        scope: crate::domain::Scope,
        bundle: Option<BundleRef>,
        ids: Vec<String>,
        first: store::documents::DocumentRow,
    },
    Record(store::records::RecordRow),
}

impl Covered {
    fn scope(&self) -> crate::domain::Scope {
        match self {
            Covered::Documents { scope, .. } => *scope,
            Covered::Record(_) => crate::domain::Scope::Record,
        }
    }

    /// The id audit events of the share name as its item.
    fn item_id(&self) -> &str {
        match self {
            Covered::Documents { first, .. } => &first.id,
            Covered::Record(r) => &r.id,
        }
    }

    /// The `scope` part of `share.created`'s details.
    fn audit(&self) -> serde_json::Value {
        match self {
            Covered::Documents {
                scope,
                bundle,
                ids,
                first,
            } => json!({
                "kind": scope,
                "document": { "id": first.id, "title": first.title },
                "bundle": bundle,
                "documents": ids,
            }),
            Covered::Record(r) => json!({
                "kind": crate::domain::Scope::Record,
                "record": { "id": r.id, "title": r.title, "reference": r.reference },
            }),
        }
    }
}

/// What `input` covers. Every document and the record belong to the creator's
/// organisation; a bundle holds 1..=MAX_DOCUMENTS documents.
async fn covered_item(core: &Liaison, who: &Staff, input: &NewShare) -> Result<Covered> {
    use crate::domain::Scope;
    let pool = core.db.pool();
    let (scope, id, name, documents) = match &input.item {
        SharedItem::Record(id) => {
            let r = store::records::get(pool, &who.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("record"))?;
            return Ok(Covered::Record(r));
        }
        SharedItem::Document(id) => {
            let d = store::documents::get(pool, &who.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("document"))?;
            return Ok(Covered::Documents {
                scope: Scope::SingleRevision,
                bundle: None,
                ids: vec![d.id.clone()],
                first: d,
            });
        }
        SharedItem::Package(id) => {
            let p = store::packages::get(pool, &who.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("package"))?;
            let docs = store::packages::documents(pool, &who.org_id, &p.id).await?;
            (Scope::DocumentPackage, p.id, p.name, docs)
        }
        SharedItem::WorkPackage(id) => {
            let p = store::policies::project(pool, &who.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("work package"))?;
            let docs = store::packages::project_documents(pool, &who.org_id, &p.id).await?;
            (Scope::WorkPackage, p.id, p.name, docs)
        }
    };
    if documents.is_empty() {
        return Err(ServiceError::invalid(
            "item",
            format!("{name:?} holds no documents yet; add some before sharing it"),
        ));
    }
    if documents.len() > crate::services::packages::MAX_DOCUMENTS {
        return Err(ServiceError::invalid(
            "item",
            format!(
                "one share covers at most {} documents",
                crate::services::packages::MAX_DOCUMENTS
            ),
        ));
    }
    let first = store::documents::get(pool, &who.org_id, &documents[0])
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    Ok(Covered::Documents {
        scope,
        bundle: Some(BundleRef {
            id,
            name,
            documents: documents.len(),
        }),
        ids: documents,
        first,
    })
}

/// The result of creating a share: the link is shown to the creator; only its hash and a
/// copy sealed under the master key are stored. (`Debug` redacts the link.)
#[derive(Debug)]
pub struct CreatedShare {
    pub share: ShareView,
    pub url: SecretString,
}

/// Everything about a new share except who receives it, checked once for all recipients.
struct Checked {
    method: Method,
    expires_at_ms: i64,
    max_access_count: i64,
    require_acknowledgement: bool,
    tlp: Tlp,
    settings: ShareSettings,
    terms_id: Option<String>,
    portal_id: String,
}

fn check_settings(s: &mut ShareSettings, geo_available: bool) -> Result<()> {
    s.instructions = if s.instructions.trim().is_empty() {
        String::new()
    } else {
        validate::text("settings.instructions", &s.instructions, 4000)?
    };
    if s.allowed_networks.len() > MAX_NETWORKS {
        return Err(ServiceError::invalid(
            "settings.allowed_networks",
            format!("at most {MAX_NETWORKS} networks"),
        ));
    }
    s.allowed_networks = s.allowed_networks.iter().map(|n| n.trunc()).collect();
    for c in &mut s.allowed_countries {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ServiceError::invalid(
                "settings.allowed_countries",
                format!("{c:?} is not an ISO 3166-1 alpha-2 country code such as DE or US"),
            ));
        }
        c.make_ascii_uppercase();
    }
    if !s.allowed_countries.is_empty() && !geo_available {
        return Err(ServiceError::invalid(
            "settings.allowed_countries",
            "country rules need a GeoIP country database (LIAISON_GEOIP_DB); none is configured",
        ));
    }
    if s.expiry_reminder_days > 365 {
        return Err(ServiceError::invalid(
            "settings.expiry_reminder_days",
            "a reminder must be at most 365 days before expiry",
        ));
    }
    Ok(())
}

/// When a share set to `expiry` now expires, as the policy allows it: custom expiries only
/// where allowed, anything but the default only for admins or where controllers may
/// override. (The ceiling is checked with the other policy rules.)
pub(super) fn resolve_expiry(
    policy: &crate::domain::policy::Policy,
    may_override: bool,
    expiry: Expiry,
    now: OffsetDateTime,
) -> Result<OffsetDateTime> {
    if expiry.is_custom() && !policy.allow_custom_expiry {
        return Err(ServiceError::invalid(
            "expires_at",
            "the sharing policy allows only the preset expiries (1 or 24 hours, 7, 14 or 30 days)",
        ));
    }
    if expiry != Expiry::Default && !may_override {
        return Err(ServiceError::invalid(
            "expires_at",
            "the sharing policy does not let controllers change the default expiry",
        ));
    }
    match expiry {
        Expiry::Default => Ok(now + time::Duration::days(i64::from(policy.default_expiry_days))),
        Expiry::Days(d) if d == 0 || d > crate::domain::policy::MAX_EXPIRY_DAYS_CEILING => {
            Err(ServiceError::invalid(
                "expires_in_days",
                format!(
                    "expires_in_days must be between 1 and {} days",
                    crate::domain::policy::MAX_EXPIRY_DAYS_CEILING
                ),
            ))
        }
        Expiry::Days(d) => Ok(now + time::Duration::days(i64::from(d))),
        Expiry::Hours(h) if h == 0 || h > crate::domain::policy::MAX_EXPIRY_DAYS_CEILING * 24 => {
            Err(ServiceError::invalid(
                "expires_in_hours",
                format!(
                    "expires_in_hours must be between 1 and {} hours",
                    crate::domain::policy::MAX_EXPIRY_DAYS_CEILING * 24
                ),
            ))
        }
        Expiry::Hours(h) => Ok(now + time::Duration::hours(i64::from(h))),
        Expiry::At(at) if at <= now => Err(ServiceError::invalid(
            "expires_at",
            "the expiry must be in the future",
        )),
        Expiry::At(at) => Ok(at),
    }
}

/// The access limit `wanted` (or `current` when not given), as the policy allows it: a
/// value other than `current` only for admins or where controllers may override.
pub(super) fn resolve_max_access_count(
    may_override: bool,
    wanted: Option<i64>,
    current: i64,
) -> Result<i64> {
    let n = wanted.unwrap_or(current);
    if n != current && !may_override {
        return Err(ServiceError::invalid(
            "max_access_count",
            "the sharing policy does not let controllers change the default access count",
        ));
    }
    if !(0..=MAX_ACCESS_COUNT).contains(&n) {
        return Err(ServiceError::invalid(
            "max_access_count",
            format!("the access count must be between 0 (unlimited) and {MAX_ACCESS_COUNT}"),
        ));
    }
    Ok(n)
}

/// Checks everything but the recipients under `policy` (the first document's or the
/// record's).
async fn check_new_share(
    core: &Liaison,
    who: &Staff,
    input: &NewShare,
    policy: crate::domain::Policy,
) -> Result<Checked> {
    let may_override = policy.lets_override(who.role);
    let now = core.now();
    let expires_at = resolve_expiry(&policy, may_override, input.expiry, now)?;
    let max_access_count = resolve_max_access_count(
        may_override,
        input.max_access_count,
        policy.default_max_access_count,
    )?;
    let mut settings = input.settings.clone();
    check_settings(&mut settings, core.geo.is_some())?;
    let method = input.method.unwrap_or(Method::Link);
    if method != Method::Federated {
        // Only federated shares name a partner (and creation fills it in from the domain).
        settings.federation = None;
    }
    // What a bundle share was made from is set by `create`, never by the caller.
    settings.bundle = None;
    let tlp = input.tlp.unwrap_or_default();
    policy.check(&ShareFacts {
        method,
        scope: settings.scope,
        tlp,
        allow_download: settings.allow_download,
        watermark: settings.watermark,
        created_at_ms: to_millis(now),
        expires_at_ms: Some(to_millis(expires_at)),
    })?;
    // Every share belongs to a portal. A portal access share names its portal (membership
    // of each recipient is checked in `create`, once they are known); any other share
    // without one belongs to the organisation's default portal.
    let named = input.portal_id.as_deref().filter(|p| !p.is_empty());
    if named.is_none() && method == Method::Portal {
        return Err(ServiceError::invalid(
            "portal_id",
            "a portal access share names the portal (portal_id) whose member the recipient is",
        ));
    }
    let (portal_id, portal_terms) =
        crate::services::portals::portal_for_new_share(core, who, named).await?;
    if let Some(p) = &input.password {
        if p.expose_secret().chars().count() < MIN_PASSWORD_LEN {
            return Err(ServiceError::invalid(
                "password",
                format!("a share password needs at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
    }
    if let Some(id) = &input.terms_id {
        store::policies::terms(core.db.pool(), &who.org_id, id)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid("terms_id", "no such version of the legal terms")
            })?;
    }
    Ok(Checked {
        method,
        expires_at_ms: to_millis(expires_at),
        max_access_count,
        require_acknowledgement: input.require_acknowledgement || policy.require_acknowledgement,
        tlp,
        settings,
        // A share without terms of its own takes its portal's as they are now, so what a
        // guest accepts is fixed when the share is made.
        terms_id: input.terms_id.clone().or(portal_terms),
        portal_id,
    })
}

/// Creates one share per recipient, all or none: every recipient and setting is checked
/// against the effective policy before anything is written.
#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    input: NewShare,
    meta: &RequestMeta,
) -> Result<Vec<CreatedShare>> {
    crate::services::authorize(who, crate::domain::Action::CreateShare)?;
    if input.recipients.is_empty() {
        return Err(ServiceError::invalid(
            "recipients",
            "name at least one recipient",
        ));
    }
    if input.recipients.len() > MAX_BULK {
        return Err(ServiceError::invalid(
            "recipients",
            format!("at most {MAX_BULK} recipients at once"),
        ));
    }
    let mut recipients = Vec::with_capacity(input.recipients.len());
    for r in &input.recipients {
        let name = validate::text("recipient.name", &r.name, 200)?;
        let email = validate::email("recipient.email", &r.email)?;
        if recipients
            .iter()
            .any(|(_, e): &(String, String)| *e == email)
        {
            return Err(ServiceError::invalid(
                "recipients",
                format!("{email} is named twice; each recipient gets one share"),
            ));
        }
        recipients.push((name, email));
    }
    // Tenant check: every document and the record belong to the creator's organisation.
    let covered = covered_item(core, who, &input).await?;
    let scope = covered.scope();
    let mut input = input;
    input.settings.scope = scope;
    // The first policy binds the defaults; every other one (the other documents of a
    // bundle; what a record share carries: linked records, holders and locations, visible
    // documents) must allow the share as checked, and any one asking for the
    // acknowledgement asks for it.
    let (mut policies, bundle) = match &covered {
        Covered::Documents { bundle, ids, .. } => {
            let mut policies = Vec::with_capacity(ids.len());
            for id in ids {
                policies.push(policy::effective_for_document(core, &who.org_id, id).await?);
            }
            (policies, bundle.clone())
        }
        Covered::Record(r) => (
            policy::effective_for_record_share(core, &who.org_id, &r.id).await?,
            None,
        ),
    };
    let others = policies.split_off(1);
    let binding = policies.remove(0);
    let mut c = check_new_share(core, who, &input, binding).await?;
    for p in others {
        p.check(&ShareFacts {
            method: c.method,
            scope,
            tlp: c.tlp,
            allow_download: c.settings.allow_download,
            watermark: c.settings.watermark,
            created_at_ms: core.now_ms(),
            expires_at_ms: Some(c.expires_at_ms),
        })?;
        c.require_acknowledgement |= p.require_acknowledgement;
    }
    c.settings.bundle = bundle;
    let password_hash = match &input.password {
        Some(p) => Some(
            core.kdf
                .hash(secrecy::SecretSlice::from(
                    p.expose_secret().as_bytes().to_vec(),
                ))
                .await?,
        ),
        None => None,
    };
    // 28 CFR Part 23: flagged items go only to law-enforcement partners, under a
    // justification, and each receipt is recorded with the share.
    let intelligence = {
        let (documents, records) = match &covered {
            Covered::Documents { ids, .. } => (ids.clone(), Vec::new()),
            Covered::Record(r) => {
                let carried = crate::services::records::carried(core, &who.org_id, &r.id).await?;
                (carried.documents, carried.records)
            }
        };
        let carried = crate::services::intelligence::dissemination::Carried {
            documents: &documents,
            records: &records,
        };
        crate::services::intelligence::dissemination::screen(
            core,
            &who.org_id,
            &carried,
            &c.settings,
            c.method,
            &recipients,
            input.justification.as_deref(),
        )
        .await?
    };
    let settings_json = serde_json::to_string(&c.settings).map_err(ServiceError::internal)?;
    let now = core.now_ms();

    // Portal access: every recipient must be an active member of the portal.
    if c.method == Method::Portal {
        for (_, email) in &recipients {
            if !crate::services::portals::is_member(core, &who.org_id, &c.portal_id, email).await? {
                return Err(ServiceError::invalid(
                    "recipients",
                    format!("{email} is not a member of this portal; add them to it first"),
                ));
            }
        }
    }

    // Federated: home-realm discovery by each recipient's email domain; a recipient whose
    // domain belongs to no partner with an enabled IdP cannot be sent a federated share.
    let mut settings_by_recipient = Vec::with_capacity(recipients.len());
    for (_, email) in &recipients {
        if c.method != Method::Federated {
            settings_by_recipient.push(settings_json.clone());
            continue;
        }
        let partner_id = crate::services::partners::partner_for_email(core, &who.org_id, email)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid(
                    "recipients",
                    format!(
                        "{email}: no enabled partner with an identity provider owns this email domain"
                    ),
                )
            })?;
        let mut settings = c.settings.clone();
        settings.federation = Some(crate::domain::controls::FederationRule {
            partner_id,
            any_partner_user: c
                .settings
                .federation
                .as_ref()
                .is_some_and(|f| f.any_partner_user),
        });
        settings_by_recipient
            .push(serde_json::to_string(&settings).map_err(ServiceError::internal)?);
    }

    let mut rows = Vec::with_capacity(recipients.len());
    let mut tokens = Vec::with_capacity(recipients.len());
    for ((recipient_name, recipient_email), settings_json) in
        recipients.into_iter().zip(settings_by_recipient)
    {
        let token = ShareToken::generate();
        let verifier_hash = core.kdf.hash(token.verifier_secret()).await?;
        let id = new_id();
        let token_sealed = core.sealer.seal(
            &sealing_context(&id),
            token.expose().expose_secret().as_bytes(),
        );
        rows.push(ShareRow {
            id,
            org_id: who.org_id.clone(),
            selector: token.selector().to_owned(),
            verifier_hash: verifier_hash.as_stored().to_owned(),
            token_sealed: Some(token_sealed),
            method: c.method.as_str().into(),
            document_id: match &covered {
                Covered::Documents { first, .. } => Some(first.id.clone()),
                Covered::Record(_) => None,
            },
            record_id: match &covered {
                Covered::Documents { .. } => None,
                Covered::Record(r) => Some(r.id.clone()),
            },
            recipient_name,
            recipient_email,
            created_by: who.user_id.clone(),
            created_at: now,
            expires_at: Some(c.expires_at_ms),
            max_access_count: c.max_access_count,
            access_count: 0,
            require_acknowledgement: i64::from(c.require_acknowledgement),
            tlp: c.tlp.as_str().into(),
            settings: settings_json,
            password_hash: password_hash.as_ref().map(|h| h.as_stored().to_owned()),
            terms_id: c.terms_id.clone(),
            portal_id: Some(c.portal_id.clone()),
            remind_at: remind_at(c.expires_at_ms, c.settings.expiry_reminder_days),
            last_activity_at: None,
            revoked_at: None,
            revoked_by: None,
            expired_at: None,
        });
        tokens.push(token);
    }
    let base = crate::services::sites::link_base(core, &who.org_id, &c.portal_id, c.method).await?;
    let url_of = |token: &ShareToken| {
        SecretString::from(crate::services::sites::share_url(
            &base,
            token.expose().expose_secret(),
        ))
    };
    let mut tx = core.db.begin().await?;
    for (index, (row, token)) in rows.iter().zip(&tokens).enumerate() {
        store::shares::insert(&mut *tx, row).await?;
        if let Some(screened) = &intelligence {
            let receipt = crate::services::intelligence::dissemination::Receipt {
                index,
                share_id: &row.id,
                recipient_name: &row.recipient_name,
                recipient_email: &row.recipient_email,
            };
            screened.record(&mut tx, who, receipt, meta, now).await?;
        }
        if let Covered::Documents { ids, .. } = &covered {
            store::packages::insert_share_documents(&mut tx, &who.org_id, &row.id, ids).await?;
        }
        if matches!(
            c.method,
            Method::Invitation | Method::Portal | Method::Federated
        ) || (c.method == Method::Link && input.send_link)
        {
            let share = Share::try_from(row.clone())?;
            crate::services::notify::invitation(core, &mut tx, &share, &url_of(token)).await?;
        }
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &who.org_id,
                event_type: EventType::ShareCreated,
                actor: AuditActor::Staff(who),
                share_id: Some(&row.id),
                item_id: Some(covered.item_id()),
                details: json!({
                    "method": c.method,
                    "link_mailed": c.method != Method::Link || input.send_link,
                    "recipient": { "name": row.recipient_name, "email": row.recipient_email },
                    "scope": covered.audit(),
                    "expires_at": rfc3339(from_millis(c.expires_at_ms)),
                    "max_access_count": row.max_access_count,
                    "require_acknowledgement": c.require_acknowledgement,
                    "tlp": c.tlp.label(),
                    "permission": c.settings.permission,
                    "allow_download": c.settings.allow_download,
                    "allow_print": c.settings.allow_print,
                    "watermark": c.settings.watermark,
                    "password": input.password.is_some(),
                    "terms_id": c.terms_id,
                    "portal_id": c.portal_id,
                    "restrictions": {
                        "networks": c.settings.allowed_networks,
                        "countries": c.settings.allowed_countries,
                        "approved_devices_only": c.settings.approved_devices_only,
                    },
                    "bulk": rows.len() > 1,
                }),
                meta,
                at_ms: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    let mut created = Vec::with_capacity(rows.len());
    for (row, token) in rows.iter().zip(tokens) {
        created.push(CreatedShare {
            share: get(core, who, &row.id).await?,
            url: url_of(&token),
        });
    }
    Ok(created)
}
