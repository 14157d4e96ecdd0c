//! Administration of partner organisations and identity providers (admins only). Every
//! change is audited; client secrets are sealed and never returned. Partners (their
//! domains, guests and home-realm discovery) are here; their IdPs in `idps`.

mod idps;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::federation;
use crate::store::{self, new_id, partners::PartnerRow};
use crate::Liaison;

use idps::idp_view;
pub use idps::{
    create_idp, get_idp, list_staff_idps, set_attribute_map, test_connection, update_idp, IdpInput,
    IdpView,
};

/// A partner as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerView {
    pub id: String,
    pub name: String,
    pub domains: Vec<String>,
    pub enabled: bool,
    /// Registered as a law-enforcement agency: its staff may receive criminal intelligence
    /// (28 CFR Part 23).
    pub law_enforcement: bool,
    pub identity_providers: Vec<IdpView>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    /// 1 to 200 characters, unique in the organisation.
    pub name: String,
    /// The email domains whose people sign in at the partner's IdPs (home-realm
    /// discovery), e.g. `partner.example`; each belongs to one partner.
    #[serde(default)]
    pub domains: Vec<String>,
    /// `false`: the partner's shares offer no sign-in.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub enabled: bool,
    /// Left out when changing a partner: as it is.
    #[serde(default)]
    pub law_enforcement: Option<bool>,
}

fn yes() -> bool {
    true
}

fn clean_domains(domains: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for d in domains {
        let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
        let ok = !d.is_empty()
            && d.len() <= 253
            && d.contains('.')
            && d.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !ok {
            return Err(ServiceError::invalid(
                "domains",
                format!("{d:?} is not an email domain"),
            ));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

fn clean_name(name: &str, field: &'static str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServiceError::invalid(
            field,
            "a name of 1 to 200 characters is required",
        ));
    }
    Ok(name.to_owned())
}

/// The partner's name or one of its domains is taken in this organisation.
fn conflict_on_domain(e: store::StoreError) -> ServiceError {
    crate::services::on_unique(|| {
        "a domain or name is already used by another partner of this organisation".into()
    })(e)
}

#[tracing::instrument(skip_all)]
pub async fn create_partner(
    core: &Liaison,
    who: &Staff,
    input: PartnerInput,
    meta: &RequestMeta,
) -> Result<PartnerView> {
    super::authorize(who, crate::domain::Action::ManagePartners)?;
    let name = clean_name(&input.name, "name")?;
    let domains = clean_domains(&input.domains)?;
    let now = core.now_ms();
    let row = PartnerRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        name,
        created_at: now,
        updated_at: now,
        disabled_at: (!input.enabled).then_some(now),
        law_enforcement: i64::from(input.law_enforcement.unwrap_or(false)),
    };
    let mut tx = core.db.begin().await?;
    store::partners::insert_partner(&mut *tx, &row)
        .await
        .map_err(conflict_on_domain)?;
    store::partners::set_domains(&mut tx, &who.org_id, &row.id, &domains)
        .await
        .map_err(conflict_on_domain)?;
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PartnerChanged,
        json!({ "partner": row.id, "action": "created", "name": row.name, "domains": domains, "enabled": input.enabled, "law_enforcement": input.law_enforcement }),
        meta,
    )
    .await?;
    tx.commit().await?;
    get_partner(core, who, &row.id).await
}

#[tracing::instrument(skip_all)]
pub async fn update_partner(
    core: &Liaison,
    who: &Staff,
    id: &str,
    input: PartnerInput,
    meta: &RequestMeta,
) -> Result<PartnerView> {
    super::authorize(who, crate::domain::Action::ManagePartners)?;
    let existing = store::partners::get_partner(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("partner"))?;
    let name = clean_name(&input.name, "name")?;
    let domains = clean_domains(&input.domains)?;
    let now = core.now_ms();
    let row = PartnerRow {
        name,
        updated_at: now,
        disabled_at: if input.enabled {
            None
        } else {
            existing.disabled_at.or(Some(now))
        },
        law_enforcement: input
            .law_enforcement
            .map_or(existing.law_enforcement, i64::from),
        ..existing
    };
    let mut tx = core.db.begin().await?;
    store::partners::update_partner(&mut *tx, &row)
        .await
        .map_err(conflict_on_domain)?;
    store::partners::set_domains(&mut tx, &who.org_id, id, &domains)
        .await
        .map_err(conflict_on_domain)?;
    // Disabled, or no longer a law-enforcement agency: its guests are checked again.
    if !input.enabled || input.law_enforcement == Some(false) {
        recheck_guests(&mut tx, &who.org_id);
    }
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PartnerChanged,
        json!({ "partner": id, "action": "updated", "name": row.name, "domains": domains, "enabled": input.enabled, "law_enforcement": input.law_enforcement }),
        meta,
    )
    .await?;
    tx.commit().await?;
    get_partner(core, who, id).await
}

#[tracing::instrument(skip_all)]
pub async fn get_partner(core: &Liaison, who: &Staff, id: &str) -> Result<PartnerView> {
    super::authorize(who, crate::domain::Action::ManagePartners)?;
    let p = store::partners::get_partner(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("partner"))?;
    partner_view(core, p).await
}

#[tracing::instrument(skip_all)]
pub async fn list_partners(core: &Liaison, who: &Staff) -> Result<Vec<PartnerView>> {
    super::authorize(who, crate::domain::Action::ManagePartners)?;
    let mut out = Vec::new();
    for p in store::partners::list_partners(core.db.pool(), &who.org_id).await? {
        out.push(partner_view(core, p).await?);
    }
    Ok(out)
}

async fn partner_view(core: &Liaison, p: PartnerRow) -> Result<PartnerView> {
    let domains = store::partners::domains(core.db.pool(), &p.org_id, &p.id).await?;
    let idps = store::partners::list_idps(core.db.pool(), &p.org_id, Some(&p.id))
        .await?
        .into_iter()
        .map(|i| idp_view(core, i))
        .collect::<Result<Vec<_>>>()?;
    Ok(PartnerView {
        id: p.id,
        name: p.name,
        domains,
        enabled: p.disabled_at.is_none(),
        law_enforcement: p.law_enforcement != 0,
        identity_providers: idps,
    })
}

/// Switches a partner or an IdP on or off. Off takes effect on the next sign-in: a
/// disabled partner's shares offer no IdP, a disabled IdP refuses to start or finish one.
#[tracing::instrument(skip_all)]
pub async fn set_enabled(
    core: &Liaison,
    who: &Staff,
    what: store::partners::Toggle,
    id: &str,
    enabled: bool,
    meta: &RequestMeta,
) -> Result<()> {
    super::authorize(who, crate::domain::Action::ManagePartners)?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let found = store::partners::set_disabled(
        &mut *tx,
        what,
        &who.org_id,
        id,
        (!enabled).then_some(now),
        now,
    )
    .await?;
    if !found {
        tx.rollback().await?;
        return Err(ServiceError::NotFound(match what {
            store::partners::Toggle::Partner => "partner",
            store::partners::Toggle::Idp => "identity provider",
        }));
    }
    if !enabled {
        recheck_guests(&mut tx, &who.org_id);
    }
    let (event_type, key) = match what {
        store::partners::Toggle::Partner => (EventType::PartnerChanged, "partner"),
        store::partners::Toggle::Idp => (EventType::IdentityProviderChanged, "idp"),
    };
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        event_type,
        json!({ key: id, "action": if enabled { "enabled" } else { "disabled" } }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Once `tx` commits, the organisation's guests in open sessions are checked again (a
/// partner or IdP that admitted some of them was disabled).
pub(crate) fn recheck_guests(tx: &mut store::Tx, org_id: &str) {
    tx.note(store::Committed::GuestsChanged {
        org_id: org_id.to_owned(),
    });
}

/// A partner's staff member as provisioned on first sign-in.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerGuest {
    pub id: String,
    /// The IdP they signed in at.
    pub idp_id: String,
    /// Their stable id at the IdP (SAML NameID, OIDC `sub`).
    pub subject: String,
    pub email: String,
    pub display_name: String,
    pub organisation: Option<String>,
    /// The groups the IdP asserted at their last sign-in.
    pub groups: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub first_seen_at: i64,
    /// Milliseconds since the Unix epoch.
    pub last_seen_at: i64,
}

/// The partner staff provisioned on first sign-in.
#[tracing::instrument(skip_all)]
pub async fn partner_guests(
    core: &Liaison,
    who: &Staff,
    partner_id: &str,
) -> Result<Vec<PartnerGuest>> {
    super::authorize(who, crate::domain::Action::ManagePartners)?;
    Ok(
        store::partners::list_guests(core.db.pool(), &who.org_id, partner_id)
            .await?
            .into_iter()
            .map(|g| PartnerGuest {
                groups: serde_json::from_str::<Vec<String>>(&g.groups).unwrap_or_default(),
                id: g.id,
                idp_id: g.idp_id,
                subject: g.subject,
                email: g.email,
                display_name: g.display_name,
                organisation: g.organisation,
                first_seen_at: g.first_seen_at,
                last_seen_at: g.last_seen_at,
            })
            .collect(),
    )
}

/// Home-realm discovery for share creation: the enabled partner owning `email`'s domain
/// that has at least one enabled IdP.
#[tracing::instrument(skip_all)]
pub async fn partner_for_email(
    core: &Liaison,
    org_id: &str,
    email: &str,
) -> Result<Option<String>> {
    let Some(domain) = federation::email_domain(email) else {
        return Ok(None);
    };
    let Some(partner_id) =
        store::partners::partner_for_domain(core.db.pool(), org_id, &domain).await?
    else {
        return Ok(None);
    };
    let enabled = store::partners::get_partner(core.db.pool(), org_id, &partner_id)
        .await?
        .is_some_and(|p| p.disabled_at.is_none());
    let has_idp = store::partners::list_idps(core.db.pool(), org_id, Some(&partner_id))
        .await?
        .iter()
        .any(|i| i.disabled_at.is_none());
    Ok((enabled && has_idp).then_some(partner_id))
}
