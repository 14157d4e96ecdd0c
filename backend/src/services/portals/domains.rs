//! Portals' custom domains: an administrator adds a name, publishes the TXT record Liaison
//! shows (`_liaison-challenge.<domain>` = a random value), and verifies it; verified names
//! are looked up again daily and suspended — audited, administrators mailed — when the
//! record is gone (or when DNS has not answered for a week). A name is served for one
//! portal of one organisation only (unique among verified rows), and only a verified name
//! is ever served; a pending or suspended row holds no name against anyone, since each row
//! has its own challenge and only the holder of the DNS zone can publish it.
//!
//! DNS lookups are bounded per node ([`LOOKUPS`]) and each has a deadline, so
//! neither an administrator's "Verify" nor the re-check can pile up on a slow resolver.

use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;

use super::super::{Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::hostname;
use crate::store::domains::{DomainRow, DomainStatus, SuspendReason};
use crate::store::{self, new_id};
use crate::Liaison;

/// Verified domains are looked up again this often.
pub const RECHECK_EVERY_MS: i64 = 24 * 60 * 60 * 1000;
/// After a lookup that could not answer, the next try is this much later.
pub const RETRY_FAILED_LOOKUP_MS: i64 = 60 * 60 * 1000;
/// A verified domain whose lookups have failed for this long is suspended: a name nobody
/// can resolve any more is no longer proven to be its organisation's.
pub const SUSPEND_AFTER_FAILING_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// How long a node's claim on a re-check lasts (another node takes it over after that).
const CHECK_CLAIM_MS: i64 = 10 * 60 * 1000;
/// Domains (of any status) one organisation may hold.
pub const MAX_DOMAINS_PER_ORG: i64 = 25;
/// DNS lookups in flight at once on a node, and how long one may take.
static LOOKUPS: Semaphore = Semaphore::const_new(4);
const LOOKUP_DEADLINE: Duration = Duration::from_secs(30);
/// How long "Verify" waits for a free lookup before asking the administrator to retry.
const VERIFY_QUEUE_WAIT: Duration = Duration::from_secs(10);

/// A domain as the console shows it, with the record to publish.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
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
            txt_name: hostname::challenge_record(&d.domain),
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

/// Adds `domain` to a portal, pending verification. Administrators only.
#[tracing::instrument(skip_all)]
pub async fn add(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    domain: &str,
    meta: &RequestMeta,
) -> Result<DomainView> {
    super::super::authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = super::portal(core, who, portal_id).await?;
    let public_host = core.settings.public_url.host_str().unwrap_or_default();
    let domain = hostname::custom_domain(domain, public_host)
        .map_err(|m| ServiceError::invalid("domain", m))?;
    let mut tx = core.db.begin().await?;
    // Counted under the organisation's lock: concurrent adds cannot pass the cap together.
    if !store::orgs::lock(&mut *tx, &who.org_id).await? {
        return Err(ServiceError::NotFound("organisation"));
    }
    if store::domains::count_for_org(&mut *tx, &who.org_id).await? >= MAX_DOMAINS_PER_ORG {
        return Err(ServiceError::invalid(
            "domain",
            format!(
                "your organisation already has {MAX_DOMAINS_PER_ORG} custom domains, the most \
                 it may hold; remove one it no longer uses first"
            ),
        ));
    }
    // Whose portal serves a taken name is not said: it may be another organisation's.
    if store::domains::verified_by_name(&mut *tx, &domain)
        .await?
        .is_some()
    {
        return Err(taken(&domain));
    }
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
        next_check_at: None,
        failing_since: None,
    };
    store::domains::insert(&mut *tx, &row)
        .await
        .map_err(super::super::on_unique(|| {
            format!(
                "{} is already one of your organisation's domains; verify or remove that one",
                row.domain
            )
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
    crate::services::authorize(who, crate::domain::Action::ViewPortals)?;
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

fn taken(domain: &str) -> ServiceError {
    ServiceError::Conflict(format!(
        "{domain} is already verified for another portal; it can be added here once that \
         portal's administrators remove it, or once it is suspended"
    ))
}

/// Is the challenge published at the domain now? `Err` when DNS could not say. The caller
/// holds a [`LOOKUPS`] permit.
async fn published(core: &Liaison, d: &DomainRow) -> Result<bool> {
    let name = hostname::challenge_record(&d.domain);
    let unavailable = |e: String| ServiceError::Unavailable(format!("{e}; try again in a moment"));
    let values = tokio::time::timeout(
        LOOKUP_DEADLINE,
        crate::dns::txt_values(core.settings.dns_resolver, &name),
    )
    .await
    .map_err(|_| unavailable(format!("the DNS lookup of {name} took too long")))?
    .map_err(|e| unavailable(e.to_string()))?;
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
    super::super::authorize(who, crate::domain::Action::ManagePortals)?;
    let d = domain(core, who, id).await?;
    let _permit = tokio::time::timeout(VERIFY_QUEUE_WAIT, LOOKUPS.acquire())
        .await
        .map_err(|_| ServiceError::TooMany {
            message: "Too many domain checks are running; try again in a moment.",
            retry_after_secs: Some(10),
        })?
        .map_err(|_| ServiceError::fault("the DNS lookup semaphore is closed"))?;
    if !published(core, &d).await? {
        return Err(ServiceError::invalid(
            "domain",
            format!(
                "no TXT record {} with the value {} was found; publish it at your DNS \
                 provider (changes can take a few minutes to appear), then verify again",
                hostname::challenge_record(&d.domain),
                d.challenge
            ),
        ));
    }
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let found =
        store::domains::mark_verified(&mut *tx, &who.org_id, &d.id, now, now + RECHECK_EVERY_MS)
            .await
            .map_err(super::super::on_unique(|| taken(&d.domain).to_string()))?;
    if !found {
        return Err(ServiceError::NotFound("domain"));
    }
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
    crate::services::sites::forget(core, &d.domain);
    Ok(domain(core, who, id).await?.into())
}

/// Removes a domain from its portal (it is no longer served). Administrators only.
#[tracing::instrument(skip_all)]
pub async fn remove(core: &Liaison, who: &Staff, id: &str, meta: &RequestMeta) -> Result<()> {
    super::super::authorize(who, crate::domain::Action::ManagePortals)?;
    let d = domain(core, who, id).await?;
    let mut tx = core.db.begin().await?;
    if !store::domains::delete(&mut *tx, &who.org_id, &d.id).await? {
        return Err(ServiceError::NotFound("domain"));
    }
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
    crate::services::sites::forget(core, &d.domain);
    Ok(())
}

/// What one re-check pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rechecked {
    /// Looked up and still published.
    pub confirmed: usize,
    /// Suspended: the record is gone, or DNS has not answered for a week.
    pub suspended: usize,
    /// DNS could not answer; tried again in an hour.
    pub inconclusive: usize,
}

enum Outcome {
    Confirmed,
    Suspended,
    Inconclusive,
    /// Another node claimed it, or it changed meanwhile.
    Skipped,
}

/// The daily re-check (run by its own background task): each verified domain whose check
/// is due is claimed (so one node checks it), then looked up, at most [`LOOKUPS`] at a
/// time. A domain whose record is gone is suspended, audited once and its organisation's
/// administrators mailed; a lookup that could not answer concludes nothing and is retried
/// in an hour — unless lookups have failed for [`SUSPEND_AFTER_FAILING_MS`]. One domain's
/// fault is logged and does not stop the others.
#[tracing::instrument(skip_all)]
pub async fn recheck_due(core: &Liaison, limit: i64) -> Result<Rechecked> {
    let due = store::domains::due_for_check(core.db.pool(), core.now_ms(), limit).await?;
    let outcomes: Vec<Outcome> = futures::stream::iter(due)
        .map(|d| async move {
            match recheck_one(core, &d).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(domain = %d.domain, error.detail = %e, "domain re-check failed");
                    Outcome::Skipped
                }
            }
        })
        .buffer_unordered(LOOKUPS.available_permits().max(1))
        .collect()
        .await;
    let mut done = Rechecked::default();
    for o in outcomes {
        match o {
            Outcome::Confirmed => done.confirmed += 1,
            Outcome::Suspended => done.suspended += 1,
            Outcome::Inconclusive => done.inconclusive += 1,
            Outcome::Skipped => {}
        }
    }
    Ok(done)
}

/// One domain's re-check, timed when it starts (a pass can outlast a claim's life).
async fn recheck_one(core: &Liaison, d: &DomainRow) -> Result<Outcome> {
    let pool = core.db.pool();
    let now = core.now_ms();
    if !store::domains::claim_check(pool, &d.id, d.next_check_at, now + CHECK_CLAIM_MS).await? {
        return Ok(Outcome::Skipped);
    }
    let found = {
        let _permit = LOOKUPS
            .acquire()
            .await
            .map_err(|_| ServiceError::fault("the DNS lookup semaphore is closed"))?;
        published(core, d).await
    };
    match found {
        Ok(true) => {
            store::domains::record_check(pool, &d.id, now, now + RECHECK_EVERY_MS, None).await?;
            Ok(Outcome::Confirmed)
        }
        Ok(false) => suspend(core, d, now, SuspendReason::RecordMissing).await,
        Err(e) => {
            let since = d.failing_since.unwrap_or(now);
            tracing::warn!(domain = %d.domain, error.detail = %e, "domain re-check inconclusive");
            if now - since >= SUSPEND_AFTER_FAILING_MS {
                return suspend(core, d, now, SuspendReason::LookupsFailing).await;
            }
            store::domains::record_check(
                pool,
                &d.id,
                now,
                now + RETRY_FAILED_LOOKUP_MS,
                Some(since),
            )
            .await?;
            Ok(Outcome::Inconclusive)
        }
    }
}

/// Suspends `d` if it is still verified — on one node only: the audit entry and the mail
/// are written in the transaction whose compare-and-set won.
async fn suspend(
    core: &Liaison,
    d: &DomainRow,
    now: i64,
    reason: SuspendReason,
) -> Result<Outcome> {
    let portal = store::portals::get(core.db.pool(), &d.org_id, &d.portal_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let mut tx = core.db.begin().await?;
    if !store::domains::suspend(&mut *tx, &d.id, now).await? {
        return Ok(Outcome::Skipped);
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &d.org_id,
            event_type: EventType::PortalChanged,
            actor: AuditActor::System,
            share_id: None,
            item_id: None,
            details: json!({ "portal": d.portal_id, "action": "domain_suspended",
                             "domain": d.domain, "reason": reason.as_str() }),
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
        &hostname::challenge_record(&d.domain),
        reason,
    )
    .await?;
    tx.commit().await?;
    crate::services::sites::forget(core, &d.domain);
    Ok(Outcome::Suspended)
}
