//! Portals' custom domains: an administrator adds a name, publishes the TXT record Liaison
//! shows (`_liaison-challenge.<domain>` = a random value), and verifies it; verified names
//! are looked up again daily and suspended — audited, administrators mailed — when the
//! record is gone. A name belongs to one portal of one organisation only (a unique
//! index on the canonical name), and only a verified name is ever served.

use serde::Serialize;
use serde_json::json;

use super::super::{Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::hostname;
use crate::store::{self, domains::DomainRow, domains::DomainStatus, new_id};
use crate::Liaison;

/// The label under which the challenge is published.
pub const CHALLENGE_LABEL: &str = "_liaison-challenge";
/// Verified domains are looked up again at least this often.
pub const RECHECK_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// A domain as the console shows it, with the record to publish.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DomainView {
    pub id: String,
    pub portal_id: String,
    pub domain: String,
    pub status: DomainStatus,
    /// The TXT record to publish: its name and value.
    pub txt_name: String,
    pub txt_value: String,
    pub created_at: String,
    pub verified_at: Option<String>,
    pub checked_at: Option<String>,
    pub suspended_at: Option<String>,
}

impl From<DomainRow> for DomainView {
    fn from(d: DomainRow) -> Self {
        let time = |ms: i64| super::super::rfc3339(store::from_millis(ms));
        Self {
            txt_name: record_name(&d.domain),
            txt_value: d.challenge,
            status: d.status,
            created_at: time(d.created_at),
            verified_at: d.verified_at.map(time),
            checked_at: d.checked_at.map(time),
            suspended_at: d.suspended_at.map(time),
            id: d.id,
            portal_id: d.portal_id,
            domain: d.domain,
        }
    }
}

fn record_name(domain: &str) -> String {
    format!("{CHALLENGE_LABEL}.{domain}")
}

/// Adds `domain` to a portal, pending verification. Administrators only.
#[tracing::instrument(skip_all)]
pub async fn add(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    domain: &str,
    meta: &RequestMeta,
) -> Result<DomainView> {
    super::super::require_admin(who, super::ADMINS_ONLY)?;
    let portal = super::portal(core, who, portal_id).await?;
    let public_host = core.settings.public_url.host_str().unwrap_or_default();
    let domain = hostname::custom_domain(domain, public_host)
        .map_err(|m| ServiceError::invalid("domain", m))?;
    let row = DomainRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        portal_id: portal.id.clone(),
        domain,
        challenge: crate::crypto::token::random_b64(24),
        status: DomainStatus::Pending,
        created_by: who.user_id.clone(),
        created_at: core.now_ms(),
        verified_at: None,
        checked_at: None,
        suspended_at: None,
    };
    let mut tx = core.db.begin().await?;
    // Whose portal holds a taken name is not said: it may be another organisation's.
    store::domains::insert(&mut *tx, &row)
        .await
        .map_err(super::super::on_unique(|| {
            format!("{} is already a portal's domain", row.domain)
        }))?;
    super::super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": "domain_added", "domain": row.domain }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// The organisation's domains (administrators and controllers).
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<DomainView>> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not see portals."));
    }
    Ok(store::domains::list(core.db.pool(), &who.org_id)
        .await?
        .into_iter()
        .map(DomainView::from)
        .collect())
}

async fn domain(core: &Liaison, who: &Staff, id: &str) -> Result<DomainRow> {
    store::domains::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("domain"))
}

/// Is the challenge published at the domain now? `Err` when DNS could not say.
async fn published(core: &Liaison, d: &DomainRow) -> Result<bool> {
    let values = crate::dns::txt_values(core.settings.dns_resolver, &record_name(&d.domain))
        .await
        .map_err(|e| ServiceError::Unavailable(format!("{e}; try again in a moment")))?;
    Ok(values.iter().any(|v| v.trim() == d.challenge))
}

/// Looks the TXT record up now: verified (or verified again, after a suspension) when it
/// holds the challenge. When it does not, the domain stays as it was and the caller is
/// told what to publish. Administrators only.
#[tracing::instrument(skip_all)]
pub async fn verify(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<DomainView> {
    super::super::require_admin(who, super::ADMINS_ONLY)?;
    let d = domain(core, who, id).await?;
    if !published(core, &d).await? {
        return Err(ServiceError::invalid(
            "domain",
            format!(
                "no TXT record {} with the value {} was found; publish it at your DNS \
                 provider (changes can take a few minutes to appear), then verify again",
                record_name(&d.domain),
                d.challenge
            ),
        ));
    }
    let mut tx = core.db.begin().await?;
    store::domains::set_status(
        &mut *tx,
        &who.org_id,
        &d.id,
        DomainStatus::Verified,
        core.now_ms(),
    )
    .await?;
    super::super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": d.portal_id, "action": "domain_verified", "domain": d.domain }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(domain(core, who, id).await?.into())
}

/// Removes a domain from its portal (it is no longer served). Administrators only.
#[tracing::instrument(skip_all)]
pub async fn remove(core: &Liaison, who: &Staff, id: &str, meta: &RequestMeta) -> Result<()> {
    super::super::require_admin(who, super::ADMINS_ONLY)?;
    let d = domain(core, who, id).await?;
    let mut tx = core.db.begin().await?;
    store::domains::delete(&mut *tx, &who.org_id, &d.id).await?;
    super::super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": d.portal_id, "action": "domain_removed", "domain": d.domain }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The daily re-check (run by housekeeping): each verified domain not checked for a day is
/// looked up; one whose record is gone is suspended, audited and its organisation's
/// administrators mailed. A lookup that fails says nothing and changes nothing. Returns
/// how many domains were suspended.
#[tracing::instrument(skip_all)]
pub async fn recheck_due(core: &Liaison, limit: i64) -> Result<usize> {
    let now = core.now_ms();
    let due = store::domains::due_for_check(core.db.pool(), now - RECHECK_EVERY_MS, limit).await?;
    let mut suspended = 0;
    for d in due {
        match published(core, &d).await {
            Ok(true) => {
                store::domains::set_status(
                    core.db.pool(),
                    &d.org_id,
                    &d.id,
                    DomainStatus::Verified,
                    now,
                )
                .await?;
            }
            Ok(false) => {
                suspend(core, &d, now).await?;
                suspended += 1;
            }
            Err(e) => {
                tracing::warn!(domain = %d.domain, error.detail = %e, "domain re-check inconclusive")
            }
        }
    }
    Ok(suspended)
}

async fn suspend(core: &Liaison, d: &DomainRow, now: i64) -> Result<()> {
    let portal = store::portals::get(core.db.pool(), &d.org_id, &d.portal_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let mut tx = core.db.begin().await?;
    store::domains::set_status(&mut *tx, &d.org_id, &d.id, DomainStatus::Suspended, now).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &d.org_id,
            event_type: EventType::PortalChanged,
            actor: AuditActor::System,
            share_id: None,
            item_id: None,
            details: json!({ "portal": d.portal_id, "action": "domain_suspended",
                             "domain": d.domain, "reason": "txt_record_missing" }),
            meta: &RequestMeta::default(),
            at_ms: now,
        },
    )
    .await?;
    super::super::notify::domain_suspended(
        core,
        &mut tx,
        &d.org_id,
        &d.domain,
        &portal,
        &record_name(&d.domain),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Is `host` a verified domain of some portal (may it be served, and get a certificate)?
/// `host` is compared in canonical form (lower case, no trailing dot).
#[tracing::instrument(skip_all)]
pub async fn is_served(core: &Liaison, host: &str) -> Result<bool> {
    let name = host.trim().trim_end_matches('.').to_ascii_lowercase();
    Ok(store::domains::by_name(core.db.pool(), &name)
        .await?
        .is_some_and(|d| d.status == DomainStatus::Verified))
}
