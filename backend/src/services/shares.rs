//! Creating, listing, revoking and expiring shares (staff side).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{policy, rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::ShareToken;
use crate::domain::controls::BundleRef;
use crate::domain::policy::{ShareFacts, MAX_ACCESS_COUNT};
use crate::domain::{Method, Role, Share, ShareSettings, ShareStatus, Tlp};
use crate::store::shares::{Keyset, ListQuery, ShareListRow, ShareRow, SortKey};
use crate::store::{self, from_millis, new_id, to_millis};
use crate::Liaison;

pub const MAX_PAGE: i64 = 200;
/// Most recipients one bulk creation may name (each gets its own share and link).
pub const MAX_BULK: usize = 200;
pub const MIN_PASSWORD_LEN: usize = 8;
const MAX_NETWORKS: usize = 64;

/// When a new share expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expiry {
    /// The policy's default.
    #[default]
    Default,
    /// A number of days from now; 7, 14 and 30 are the presets, anything else is custom.
    Days(u32),
    /// A custom date.
    At(OffsetDateTime),
}

impl Expiry {
    fn is_custom(self) -> bool {
        match self {
            Expiry::Default => false,
            Expiry::Days(d) => ![7, 14, 30].contains(&d),
            Expiry::At(_) => true,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// More than one document shared as one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// A document package (scope "document package"), by id.
    Package(String),
    /// Every document of a project (scope "work package"), by project id.
    WorkPackage(String),
}

/// A request to share one document, or a [`Bundle`], with one or more recipients (one
/// share each).
#[derive(Clone, Debug, Default)]
pub struct NewShare {
    /// The document, when no `bundle` is given.
    pub document_id: String,
    pub bundle: Option<Bundle>,
    pub recipients: Vec<Recipient>,
    pub method: Option<Method>,
    pub expiry: Expiry,
    /// `None` = the policy's default; 0 = unlimited.
    pub max_access_count: Option<i64>,
    pub require_acknowledgement: bool,
    pub tlp: Option<Tlp>,
    pub settings: ShareSettings,
    pub password: Option<SecretString>,
    /// Legal terms the recipient must accept (an id of the organisation's terms).
    pub terms_id: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ItemRef {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserRef {
    pub id: String,
    pub name: String,
}

/// A share as staff see it (never the token or a hash).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ShareView {
    pub id: String,
    pub status: ShareStatus,
    pub method: Method,
    pub recipient: Person,
    pub item: ItemRef,
    pub created_by: UserRef,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub max_access_count: i64,
    pub access_count: i64,
    pub require_acknowledgement: bool,
    pub tlp: String,
    pub settings: ShareSettings,
    pub has_password: bool,
    pub terms_id: Option<String>,
    /// Whether staff can copy this share's link again (shares made before links were
    /// sealed cannot).
    pub link_available: bool,
    pub last_activity_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl ShareView {
    fn from_row(r: ShareListRow, now: OffsetDateTime) -> Result<Self> {
        let link_available = r.share.token_sealed.is_some();
        let share = Share::try_from(r.share)?;
        let item = match &share.settings.bundle {
            Some(b) => ItemRef {
                kind: scope_kind(share.settings.scope),
                id: b.id.clone(),
                title: b.name.clone(),
            },
            None => ItemRef {
                kind: "document",
                id: share.document_id.clone(),
                title: r.document_title,
            },
        };
        Ok(Self {
            status: share.status(now),
            method: share.method,
            recipient: Person {
                name: share.recipient_name,
                email: share.recipient_email,
            },
            item,
            created_by: UserRef {
                id: share.created_by,
                name: r.creator_name,
            },
            created_at: rfc3339(share.created_at),
            expires_at: share.expires_at.map(rfc3339),
            max_access_count: share.max_access_count,
            access_count: share.access_count,
            require_acknowledgement: share.require_acknowledgement,
            tlp: share.tlp.label(),
            settings: share.settings,
            has_password: share.password_hash.is_some(),
            terms_id: share.terms_id,
            link_available,
            last_activity_at: share.last_activity_at.map(rfc3339),
            revoked_at: share.revoked_at.map(rfc3339),
            id: share.id,
        })
    }
}

/// The item kind a scope shares (as the API names it).
fn scope_kind(scope: crate::domain::Scope) -> &'static str {
    match scope {
        crate::domain::Scope::SingleRevision => "document",
        crate::domain::Scope::DocumentPackage => "document_package",
        crate::domain::Scope::WorkPackage => "work_package",
    }
}

/// The documents a new share covers, with its scope and (for a bundle) what it was made
/// from. Every document belongs to the creator's organisation (the tenant check).
async fn covered_documents(
    core: &Liaison,
    who: &Staff,
    input: &NewShare,
) -> Result<(crate::domain::Scope, Option<BundleRef>, Vec<String>)> {
    use crate::domain::Scope;
    let pool = core.db.pool();
    let (scope, id, name, documents) = match &input.bundle {
        None => {
            let d = store::documents::get(pool, &who.org_id, &input.document_id)
                .await?
                .ok_or(ServiceError::NotFound("document"))?;
            return Ok((Scope::SingleRevision, None, vec![d.id]));
        }
        Some(Bundle::Package(id)) => {
            let p = store::packages::get(pool, &who.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("package"))?;
            let docs = store::packages::documents(pool, &who.org_id, &p.id).await?;
            (Scope::DocumentPackage, p.id, p.name, docs)
        }
        Some(Bundle::WorkPackage(id)) => {
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
    if documents.len() > super::packages::MAX_DOCUMENTS {
        return Err(ServiceError::invalid(
            "item",
            format!(
                "one share covers at most {} documents",
                super::packages::MAX_DOCUMENTS
            ),
        ));
    }
    Ok((
        scope,
        Some(BundleRef {
            id,
            name,
            documents: documents.len(),
        }),
        documents,
    ))
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
fn resolve_expiry(
    policy: &crate::domain::policy::Policy,
    may_override: bool,
    expiry: Expiry,
    now: OffsetDateTime,
) -> Result<OffsetDateTime> {
    if expiry.is_custom() && !policy.allow_custom_expiry {
        return Err(ServiceError::invalid(
            "expires_at",
            "the sharing policy allows only the preset expiries (7, 14 or 30 days)",
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
        Expiry::At(at) if at <= now => Err(ServiceError::invalid(
            "expires_at",
            "the expiry must be in the future",
        )),
        Expiry::At(at) => Ok(at),
    }
}

/// The access limit `wanted` (or `current` when not given), as the policy allows it: a
/// value other than `current` only for admins or where controllers may override.
fn resolve_max_access_count(may_override: bool, wanted: Option<i64>, current: i64) -> Result<i64> {
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

async fn check_new_share(
    core: &Liaison,
    who: &Staff,
    input: &NewShare,
    document_id: &str,
) -> Result<Checked> {
    let policy = policy::effective_for_document(core, &who.org_id, document_id).await?;
    let may_override = who.role == Role::Admin || policy.allow_controller_override;
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
    if method != Method::Portal {
        settings.portal_id = None;
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
    if method == Method::Portal {
        // Membership of each recipient is checked in `create`, once they are known.
        let Some(portal_id) = settings.portal_id.as_deref() else {
            return Err(ServiceError::invalid(
                "settings.portal_id",
                "a portal access share names the portal (settings.portal_id) whose member the recipient is",
            ));
        };
        super::portals::require_portal(core, who, portal_id).await?;
    }
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
            .ok_or(ServiceError::NotFound("legal terms"))?;
    }
    Ok(Checked {
        method,
        expires_at_ms: to_millis(expires_at),
        max_access_count,
        require_acknowledgement: input.require_acknowledgement || policy.require_acknowledgement,
        tlp,
        settings,
        terms_id: input.terms_id.clone(),
    })
}

/// Creates one share per recipient, all or none: every recipient and setting is checked
/// against the effective policy before anything is written.
pub async fn create(
    core: &Liaison,
    who: &Staff,
    input: NewShare,
    meta: &RequestMeta,
) -> Result<Vec<CreatedShare>> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not create shares."));
    }
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
    // Tenant check: every document must belong to the creator's organisation.
    let (scope, bundle, document_ids) = covered_documents(core, who, &input).await?;
    let document = store::documents::get(core.db.pool(), &who.org_id, &document_ids[0])
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    let mut input = input;
    input.settings.scope = scope;
    let mut c = check_new_share(core, who, &input, &document.id).await?;
    // The other documents of a bundle: each one's policy (its project's override) must
    // allow the share as checked, and any one asking for the acknowledgement asks for it.
    for id in &document_ids[1..] {
        let p = policy::effective_for_document(core, &who.org_id, id).await?;
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
    let settings_json =
        serde_json::to_string(&c.settings).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = core.now_ms();

    // Portal access: every recipient must be an active member of the portal.
    if let (Method::Portal, Some(portal_id)) = (c.method, c.settings.portal_id.as_deref()) {
        for (_, email) in &recipients {
            if !super::portals::is_member(core, &who.org_id, portal_id, email).await? {
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
        let partner_id = super::partners::partner_for_email(core, &who.org_id, email)
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
        settings_by_recipient.push(
            serde_json::to_string(&settings).map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
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
            document_id: document.id.clone(),
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
            remind_at: remind_at(c.expires_at_ms, c.settings.expiry_reminder_days),
            last_activity_at: None,
            revoked_at: None,
            revoked_by: None,
            expired_at: None,
        });
        tokens.push(token);
    }
    let mut tx = core.db.begin().await?;
    for (row, token) in rows.iter().zip(&tokens) {
        store::shares::insert(&mut *tx, row).await?;
        store::packages::insert_share_documents(&mut tx, &who.org_id, &row.id, &document_ids)
            .await?;
        if matches!(
            c.method,
            Method::Invitation | Method::Portal | Method::Federated
        ) {
            let share = Share::try_from(row.clone())?;
            let url = SecretString::from(core.settings.share_url(token.expose().expose_secret()));
            super::notify::invitation(core, &mut tx, &share, &url).await?;
        }
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &who.org_id,
                event_type: EventType::ShareCreated,
                actor: AuditActor::Staff(who),
                share_id: Some(&row.id),
                item_id: Some(&document.id),
                details: json!({
                    "method": c.method,
                    "recipient": { "name": row.recipient_name, "email": row.recipient_email },
                    "scope": {
                        "kind": c.settings.scope,
                        "document": { "id": document.id, "title": document.title },
                        "bundle": c.settings.bundle,
                        "documents": document_ids,
                    },
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
            url: SecretString::from(core.settings.share_url(token.expose().expose_secret())),
        });
    }
    Ok(created)
}

/// AAD binding a sealed token to its share, so a sealed value moved to another row fails.
fn sealing_context(share_id: &str) -> String {
    format!("share-token:{share_id}")
}

/// Opens the share's sealed link token.
async fn unseal_link(core: &Liaison, who: &Staff, id: &str) -> Result<SecretString> {
    share_link(core, &who.org_id, id).await
}

/// The share's link, from its sealed token (callers have authorised the caller).
pub(crate) async fn share_link(core: &Liaison, org_id: &str, id: &str) -> Result<SecretString> {
    let sealed = store::shares::sealed_token(core.db.pool(), org_id, id)
        .await?
        .ok_or(ServiceError::Conflict(
            "this share was created before links could be copied again; create a new share".into(),
        ))?;
    let token = core.sealer.open(&sealing_context(id), &sealed)?;
    let token = std::str::from_utf8(token.expose_secret())
        .map_err(|_| ServiceError::Internal("sealed token is not UTF-8".into()))?;
    Ok(SecretString::from(core.settings.share_url(token)))
}

/// The share's link again (staff who may manage shares). Audited.
pub async fn copy_link(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<SecretString> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden(
            "Your role may not copy share links.",
        ));
    }
    let view = get(core, who, id).await?;
    let url = unseal_link(core, who, id).await?;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::ShareLinkCopied,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&view.item.id),
            details: json!({ "recipient": view.recipient }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(url)
}

/// Sends the original invitation again: the same link, a new mail. Audited.
pub async fn resend_invitation(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<ShareView> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden(
            "Your role may not send invitations.",
        ));
    }
    let view = get(core, who, id).await?;
    if view.status != ShareStatus::Active {
        return Err(ServiceError::Conflict(format!(
            "the share is {}; only an active share's invitation can be sent again",
            view.status.as_str()
        )));
    }
    let url = unseal_link(core, who, id).await?;
    let share = store::shares::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let mut tx = core.db.begin().await?;
    super::notify::invitation(core, &mut tx, &share, &url).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::InvitationSent,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&view.item.id),
            details: json!({ "to": view.recipient, "resent": true }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

#[derive(Clone, Debug, Default)]
pub struct ShareFilter {
    pub status: Option<ShareStatus>,
    pub document_id: Option<String>,
    /// Admins and auditors only (controllers always see their own).
    pub created_by: Option<String>,
    /// Prefix of the recipient's email or name.
    pub recipient: Option<String>,
    pub sort: Option<String>,
    pub descending: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn parse_sort(s: Option<&str>) -> Result<SortKey> {
    match s.unwrap_or("created_at") {
        "created_at" => Ok(SortKey::CreatedAt),
        "expires_at" => Ok(SortKey::ExpiresAt),
        "access_count" => Ok(SortKey::AccessCount),
        other => Err(ServiceError::invalid(
            "sort",
            format!("cannot sort by {other:?}; use created_at, expires_at or access_count"),
        )),
    }
}

fn sort_name(k: SortKey) -> &'static str {
    match k {
        SortKey::CreatedAt => "created_at",
        SortKey::ExpiresAt => "expires_at",
        SortKey::AccessCount => "access_count",
    }
}

/// Cursors are opaque to clients: base64url of `sort:direction:value:id`, so a cursor
/// from one ordering cannot be replayed against another.
fn encode_cursor(sort: SortKey, descending: bool, k: &Keyset) -> String {
    let dir = if descending { "desc" } else { "asc" };
    B64URL.encode(format!("{}:{dir}:{}:{}", sort_name(sort), k.value, k.id))
}

fn decode_cursor(text: &str, sort: SortKey, descending: bool) -> Result<Keyset> {
    let bad = || {
        ServiceError::invalid(
            "cursor",
            "the cursor is malformed or belongs to another sort order",
        )
    };
    let raw = B64URL.decode(text).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = raw.splitn(4, ':');
    let (Some(s), Some(d), Some(v), Some(id)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let dir = if descending { "desc" } else { "asc" };
    if s != sort_name(sort) || d != dir || uuid::Uuid::parse_str(id).is_err() {
        return Err(bad());
    }
    Ok(Keyset {
        value: v.parse().map_err(|_| bad())?,
        id: id.to_owned(),
    })
}

/// The active shares table. Admins and auditors see the organisation's shares; controllers
/// see the ones they created.
pub async fn list(core: &Liaison, who: &Staff, f: ShareFilter) -> Result<Page<ShareView>> {
    let sort = parse_sort(f.sort.as_deref())?;
    let descending = f.descending.unwrap_or(true);
    let limit = f.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let after = f
        .cursor
        .as_deref()
        .map(|c| decode_cursor(c, sort, descending))
        .transpose()?;
    let now = core.now();
    let q = ListQuery {
        org_id: who.org_id.clone(),
        status: f.status,
        document_id: f.document_id,
        created_by: f
            .created_by
            .filter(|_| who.role.sees_all_shares())
            .or_else(|| (!who.role.sees_all_shares()).then(|| who.user_id.clone())),
        recipient: f.recipient.filter(|r| !r.trim().is_empty()),
        sort,
        descending,
        after,
        id: None,
        limit: limit + 1,
        now_ms: to_millis(now),
    };
    let mut rows = store::shares::list(core.db.pool(), &q).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| {
            rows.last().map(|r| {
                encode_cursor(
                    sort,
                    descending,
                    &Keyset {
                        value: r.sort_value,
                        id: r.share.id.clone(),
                    },
                )
            })
        })
        .flatten();
    Ok(Page {
        items: rows
            .into_iter()
            .map(|r| ShareView::from_row(r, now))
            .collect::<Result<_>>()?,
        next_cursor,
    })
}

pub async fn get(core: &Liaison, who: &Staff, id: &str) -> Result<ShareView> {
    let now = core.now();
    let q = ListQuery {
        org_id: who.org_id.clone(),
        status: None,
        document_id: None,
        created_by: (!who.role.sees_all_shares()).then(|| who.user_id.clone()),
        recipient: None,
        sort: SortKey::CreatedAt,
        descending: true,
        after: None,
        id: Some(id.to_owned()),
        limit: 1,
        now_ms: to_millis(now),
    };
    let row = store::shares::list(core.db.pool(), &q)
        .await?
        .into_iter()
        .next()
        .ok_or(ServiceError::NotFound("share"))?;
    ShareView::from_row(row, now)
}

/// Revokes a share at once: the next request on any path (page, API, download) fails.
/// Revoking an already revoked share is a no-op that returns the share unchanged.
pub async fn revoke(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<ShareView> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not revoke shares."));
    }
    // Visibility: a controller sees (and so revokes) only their own shares.
    get(core, who, id).await?;
    let mut tx = core.db.begin().await?;
    let revoked = revoke_in(core, &mut tx, who, id, meta, "revoked").await?;
    tx.commit().await?;
    if let Some(r) = revoked {
        core.revocations.publish(r);
    }
    get(core, who, id).await
}

/// When the expiry reminder of a share expiring at `expires_at_ms` is due (none for 0 days).
fn remind_at(expires_at_ms: i64, days: u32) -> Option<i64> {
    (days > 0).then(|| expires_at_ms - i64::from(days) * 86_400_000)
}

/// Most shares one bulk revocation may name.
pub const MAX_BULK_REVOKE: usize = 500;

/// Revokes several shares at once, all or none: every id must name a share `who` can see,
/// and the revocations (each audited) commit in one transaction. Already revoked shares
/// are left as they are. Returns how many this call revoked.
pub async fn revoke_many(
    core: &Liaison,
    who: &Staff,
    ids: &[String],
    meta: &RequestMeta,
) -> Result<usize> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not revoke shares."));
    }
    if ids.is_empty() || ids.len() > MAX_BULK_REVOKE {
        return Err(ServiceError::invalid(
            "ids",
            format!("name between 1 and {MAX_BULK_REVOKE} shares"),
        ));
    }
    for id in ids {
        get(core, who, id).await?;
    }
    let mut tx = core.db.begin().await?;
    let mut revoked = Vec::new();
    for id in ids {
        if let Some(r) = revoke_in(core, &mut tx, who, id, meta, "revoked_in_bulk").await? {
            revoked.push(r);
        }
    }
    tx.commit().await?;
    let count = revoked.len();
    for r in revoked {
        core.revocations.publish(r);
    }
    Ok(count)
}

/// A change to a live share: extend or shorten it, change its access limit or what the
/// recipient may do. `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShareChange {
    pub expiry: Option<Expiry>,
    /// 0 = unlimited; a limit at or below the accesses already used ends the share.
    pub max_access_count: Option<i64>,
    pub permission: Option<crate::domain::Permission>,
    pub allow_download: Option<bool>,
    pub allow_print: Option<bool>,
    pub watermark: Option<bool>,
}

/// Changes a share that is not revoked (an expired one may be extended, which makes it
/// active again). Every rule of creation applies, with the policy as it is now: the
/// expiry ceiling counts from the share's creation, controllers change expiry and limit
/// only where the policy lets them, and the TLP rules hold (TLP:RED: no download, always a
/// watermark). Audited with before and after; the next request sees the change.
pub async fn change(
    core: &Liaison,
    who: &Staff,
    id: &str,
    change: ShareChange,
    meta: &RequestMeta,
) -> Result<ShareView> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not change shares."));
    }
    let before = get(core, who, id).await?;
    let share = store::shares::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    if share.revoked_at.is_some() {
        return Err(ServiceError::Conflict(
            "a revoked share cannot be changed; share the item again instead".into(),
        ));
    }
    // Every share lists its documents (creation writes them; older shares were backfilled
    // by the packages migration); the first document's policy sets the defaults, and every
    // covered document's policy must allow the result.
    let mut covered = store::packages::share_documents(core.db.pool(), &who.org_id, id).await?;
    if covered.is_empty() {
        covered.push(share.document_id.clone());
    }
    let mut policies = Vec::with_capacity(covered.len());
    for doc in &covered {
        policies.push(policy::effective_for_document(core, &who.org_id, doc).await?);
    }
    let policy = &policies[0];
    let may_override = who.role == Role::Admin || policy.allow_controller_override;
    let now = core.now();
    let expires_at = match change.expiry {
        Some(e) => resolve_expiry(policy, may_override, e, now)?,
        None => share
            .expires_at
            .ok_or_else(|| ServiceError::Internal(format!("share {id} has no expiry date")))?,
    };
    let max_access_count = resolve_max_access_count(
        may_override,
        change.max_access_count,
        share.max_access_count,
    )?;
    let mut settings = share.settings.clone();
    if let Some(p) = change.permission {
        settings.permission = p;
    }
    if let Some(v) = change.allow_download {
        settings.allow_download = v;
    }
    if let Some(v) = change.allow_print {
        settings.allow_print = v;
    }
    if let Some(v) = change.watermark {
        settings.watermark = v;
    }
    let expires_at_ms = to_millis(expires_at);
    let facts = ShareFacts {
        method: share.method,
        scope: settings.scope,
        tlp: share.tlp,
        allow_download: settings.allow_download,
        watermark: settings.watermark,
        created_at_ms: to_millis(share.created_at),
        expires_at_ms: Some(expires_at_ms),
    };
    for p in &policies {
        p.check(&facts)?;
    }
    let expiry_moved = share.expires_at != Some(expires_at);
    if !expiry_moved && max_access_count == share.max_access_count && settings == share.settings {
        return Ok(before);
    }
    let limits = store::shares::Limits {
        expires_at: expires_at_ms,
        max_access_count,
        settings: serde_json::to_string(&settings)
            .map_err(|e| ServiceError::Internal(e.to_string()))?,
        remind_at: remind_at(expires_at_ms, settings.expiry_reminder_days),
        reset_reminder: expiry_moved,
        active: expires_at > now
            && (max_access_count == 0 || share.access_count < max_access_count),
    };
    let summary = |expires_at: Option<OffsetDateTime>, max: i64, s: &ShareSettings| {
        json!({
            "expires_at": expires_at.map(rfc3339),
            "max_access_count": max,
            "permission": s.permission,
            "allow_download": s.allow_download,
            "allow_print": s.allow_print,
            "watermark": s.watermark,
        })
    };
    let mut tx = core.db.begin().await?;
    if !store::shares::change_limits(&mut *tx, &who.org_id, id, &limits).await? {
        tx.rollback().await?;
        return Err(ServiceError::Conflict(
            "the share was revoked meanwhile".into(),
        ));
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::ShareChanged,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&share.document_id),
            details: json!({
                "before": summary(share.expires_at, share.max_access_count, &share.settings),
                "after": summary(Some(expires_at), max_access_count, &settings),
            }),
            meta,
            at_ms: to_millis(now),
        },
    )
    .await?;
    tx.commit().await?;
    // This node's portal reads see the change on their next request.
    core.revocations.shares().forget(id);
    get(core, who, id).await
}

/// Revokes share `id` of `who`'s organisation inside `tx`: the conditional update, the
/// recipient's notice where the share asks for it, the cross-node notification and
/// `share.revoked` (with `reason`) all commit with the caller's change. Returns what to
/// publish on this node's bus once `tx` has committed, or `None` if the share was already
/// revoked. Callers check that `who` may revoke it.
pub(crate) async fn revoke_in(
    core: &Liaison,
    tx: &mut store::Tx,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
    reason: &str,
) -> Result<Option<crate::revocation::Revoked>> {
    let now = core.now_ms();
    if !store::shares::revoke(&mut **tx, &who.org_id, id, &who.user_id, now).await? {
        return Ok(None);
    }
    let share = store::shares::get(&mut **tx, &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    if share.settings.notify_recipient_on_revoke {
        super::notify::revocation_notice(core, tx, &share).await?;
    }
    let r = crate::revocation::Revoked {
        org_id: share.org_id.clone(),
        share_id: share.id.clone(),
    };
    crate::revocation::notify_in(tx, core.db.engine(), &r).await?;
    audit::record(
        tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::ShareRevoked,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&share.document_id),
            details: json!({
                "revoked_by": { "id": who.user_id, "name": who.name, "email": who.email },
                "recipient": { "name": share.recipient_name, "email": share.recipient_email },
                "access_count": share.access_count,
                "reason": reason,
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    Ok(Some(r))
}

/// A browser bound to a share, as the owner sees it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeviceView {
    pub id: String,
    pub status: String,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<store::devices::DeviceRow> for DeviceView {
    fn from(d: store::devices::DeviceRow) -> Self {
        Self {
            id: d.id,
            status: d.status,
            first_seen_at: rfc3339(from_millis(d.first_seen_at)),
            last_seen_at: rfc3339(from_millis(d.last_seen_at)),
            ip: d.ip,
            user_agent: d.user_agent,
        }
    }
}

/// The browsers that opened (or wait to open) a share.
pub async fn devices(core: &Liaison, who: &Staff, id: &str) -> Result<Vec<DeviceView>> {
    get(core, who, id).await?;
    Ok(store::devices::list(core.db.pool(), &who.org_id, id)
        .await?
        .into_iter()
        .map(DeviceView::from)
        .collect())
}

/// Approves or rejects a browser waiting for a share with "approved devices only".
pub async fn decide_device(
    core: &Liaison,
    who: &Staff,
    id: &str,
    device_id: &str,
    approve: bool,
    meta: &RequestMeta,
) -> Result<Vec<DeviceView>> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden(
            "Your role may not approve devices.",
        ));
    }
    let share = get(core, who, id).await?;
    let status = if approve { "approved" } else { "rejected" };
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let changed = store::devices::decide(
        &mut *tx,
        &who.org_id,
        id,
        device_id,
        status,
        &who.user_id,
        now,
    )
    .await?;
    if !changed {
        tx.rollback().await?;
        let known = store::devices::list(core.db.pool(), &who.org_id, id)
            .await?
            .into_iter()
            .any(|d| d.id == device_id);
        return if known {
            devices(core, who, id).await
        } else {
            Err(ServiceError::NotFound("device"))
        };
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::DeviceDecided,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&share.item.id),
            details: json!({ "device": device_id, "decision": status }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    devices(core, who, id).await
}

/// Marks a share expired and writes "share expired" once (by whichever of the sweeper or
/// an access check notices first). Access checks never depend on this having run.
pub async fn record_expiry(core: &Liaison, share: &Share, meta: &RequestMeta) -> Result<()> {
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if store::shares::mark_expired(&mut *tx, &share.org_id, &share.id, now).await? {
        let reason = if share.is_date_expired(from_millis(now)) {
            "expiry_date"
        } else {
            "access_count"
        };
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &share.org_id,
                event_type: EventType::ShareExpired,
                actor: AuditActor::System,
                share_id: Some(&share.id),
                item_id: Some(&share.document_id),
                details: json!({ "reason": reason, "access_count": share.access_count }),
                meta,
                at_ms: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sends due expiry reminders (each once), for up to `batch` shares. Returns how many.
pub async fn send_expiry_reminders(core: &Liaison, batch: i64) -> Result<usize> {
    let now = core.now_ms();
    let due = store::shares::due_for_reminder(core.db.pool(), now, batch).await?;
    let meta = RequestMeta::default();
    let mut sent = 0;
    for (org_id, id) in &due {
        let Some(share) = store::shares::get(core.db.pool(), org_id, id).await? else {
            continue;
        };
        let mut tx = core.db.begin().await?;
        if store::shares::mark_reminded(&mut *tx, org_id, id, now).await? {
            super::notify::expiry_reminder(core, &mut tx, &share).await?;
            audit::record(
                &mut tx,
                NewEvent {
                    org_id,
                    event_type: EventType::ExpiryReminderSent,
                    actor: AuditActor::System,
                    share_id: Some(id),
                    item_id: Some(&share.document_id),
                    details: json!({ "to": share.recipient_email, "expires_at": share.expires_at.map(rfc3339) }),
                    meta: &meta,
                    at_ms: now,
                },
            )
            .await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// One sweep: records expiry for up to `batch` shares. Returns how many were processed.
pub async fn sweep_expired(core: &Liaison, batch: i64) -> Result<usize> {
    let due = store::shares::due_for_expiry(core.db.pool(), core.now_ms(), batch).await?;
    let meta = RequestMeta::default();
    for (org_id, id) in &due {
        if let Some(share) = store::shares::get(core.db.pool(), org_id, id).await? {
            record_expiry(core, &share, &meta).await?;
        }
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_order() {
        let k = Keyset {
            value: 42,
            id: uuid::Uuid::now_v7().to_string(),
        };
        let c = encode_cursor(SortKey::AccessCount, true, &k);
        assert_eq!(decode_cursor(&c, SortKey::AccessCount, true).unwrap(), k);
        assert!(decode_cursor(&c, SortKey::ExpiresAt, true).is_err());
        assert!(decode_cursor(&c, SortKey::AccessCount, false).is_err());
        for junk in [
            "",
            "!!",
            "YWJj",
            &B64URL.encode("access_count:desc:1:' OR 1=1 --"),
        ] {
            assert!(
                decode_cursor(junk, SortKey::AccessCount, true).is_err(),
                "{junk}"
            );
        }
    }

    #[test]
    fn sort_names() {
        assert!(parse_sort(Some("recipient; DROP TABLE shares")).is_err());
        assert_eq!(parse_sort(None).unwrap(), SortKey::CreatedAt);
    }
}
