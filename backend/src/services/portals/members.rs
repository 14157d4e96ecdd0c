//! Portal members: administrators add, change and remove them; a manager adds colleagues
//! from the portal's member domains; a membership with an expiry ends on its own.
//!
//! Invariants:
//! - A member is admitted only while their membership is active at that very moment
//!   (`store::portals::is_member` compares the expiry with the clock), so an expired
//!   membership admits no one even before [`expire_due`] has recorded it.
//! - Ending a membership — removed by an administrator or expired — revokes every unrevoked
//!   "portal access" share of that member in that portal in the same transaction, which
//!   ends their sessions and open streams on every node on the next request.
//! - A manager adds members only: as `member`, from the portal's member domains, never
//!   for longer than their own membership, never someone who was a member before (an
//!   administrator's removal is not undone by a manager), at most [`INVITES_PER_DAY`]
//!   attempts a day (refused ones count, and are audited). An end date an administrator
//!   sets on a manager is carried to the members that manager added.

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{portal, time};
use crate::actor::{Guest, RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::{MemberRole, MembershipEnd, Method};
use crate::revocation::Revoked;
use crate::services::share_core::{revoke_in, Revoker};
use crate::services::{authorize, notify, validate, Result, ServiceError};
use crate::store::attempts::{self, Reservation};
use crate::store::{self, new_id, portals::MemberRow, portals::PortalRow};
use crate::Liaison;

/// The most members one manager may add in 24 hours.
pub const INVITES_PER_DAY: usize = 20;
/// The most member domains a portal lists.
pub const MAX_MEMBER_DOMAINS: usize = 50;

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: MemberRole,
    pub added_at: String,
    pub expires_at: Option<String>,
    /// The manager who added this member, when one did (their name).
    pub added_by_manager: Option<String>,
}

impl MemberView {
    pub(super) fn of(m: &MemberRow, all: &[MemberRow]) -> Self {
        Self {
            id: m.id.clone(),
            name: m.name.clone(),
            email: m.email.clone(),
            role: m.role,
            added_at: time(m.added_at),
            expires_at: m.expires_at.map(time),
            added_by_manager: m
                .invited_by
                .as_ref()
                .and_then(|id| all.iter().find(|o| &o.id == id))
                .map(|o| o.name.clone()),
        }
    }
}

/// A member as an administrator adds or changes them.
#[derive(Clone, Debug)]
pub struct MemberInput {
    pub name: String,
    pub email: String,
    pub role: MemberRole,
    /// When the membership ends on its own; `None` = it does not.
    pub expires_at: Option<OffsetDateTime>,
}

/// A future expiry in milliseconds, or the reason it is refused.
fn expiry_ms(core: &Liaison, at: Option<OffsetDateTime>) -> Result<Option<i64>> {
    let Some(at) = at else { return Ok(None) };
    let ms = store::to_millis(at);
    if ms <= core.now_ms() {
        return Err(ServiceError::invalid(
            "expires_at",
            "the membership's expiry must be in the future",
        ));
    }
    Ok(Some(ms))
}

/// Adds a member (or reactivates one whose membership ended).
#[tracing::instrument(skip_all)]
pub async fn add_member(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    input: &MemberInput,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = portal(core, who, portal_id).await?;
    let member = MemberRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        portal_id: portal.id.clone(),
        email: validate::email("email", &input.email)?,
        name: validate::text("name", &input.name, 200)?,
        role: input.role,
        added_by: Some(who.user_id.clone()),
        invited_by: None,
        added_at: core.now_ms(),
        expires_at: expiry_ms(core, input.expires_at)?,
        removed_at: None,
        ended_reason: None,
    };
    let mut tx = core.db.begin().await?;
    store::portals::upsert_member(&mut *tx, &member, false).await?;
    crate::services::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": "member_added",
                "member": { "name": member.name, "email": member.email,
                            "role": member.role, "expires_at": member.expires_at.map(time) } }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes an active member's role and expiry (name and email stay).
#[tracing::instrument(skip_all)]
pub async fn change_member(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    member_id: &str,
    role: MemberRole,
    expires_at: Option<OffsetDateTime>,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = portal(core, who, portal_id).await?;
    let expires_at = expiry_ms(core, expires_at)?;
    let mut tx = core.db.begin().await?;
    let Some(m) = store::portals::change_member(
        &mut *tx,
        &who.org_id,
        &portal.id,
        member_id,
        role,
        expires_at,
    )
    .await?
    else {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("portal member"));
    };
    // What a manager granted never outlasts their own membership: an end date set (or
    // brought forward) here is carried to the members they added.
    let capped = match m.expires_at {
        Some(until) => store::portals::cap_invited(&mut *tx, &who.org_id, &m.id, until).await?,
        None => Vec::new(),
    };
    crate::services::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": "member_changed",
                "member": { "name": m.name, "email": m.email,
                            "role": m.role, "expires_at": m.expires_at.map(time) },
                "members_added_by_them_now_ending": capped.iter().map(|c| &c.email).collect::<Vec<_>>() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member and revokes every unrevoked share of theirs in this portal, in one
/// transaction: the removal, each revocation (audited, with the recipient's notice where
/// asked) and the audit of the removal commit together or not at all. The revocations are
/// published after the commit, ending open sessions and streams. Returns how many shares
/// were revoked.
#[tracing::instrument(skip_all)]
pub async fn remove_member(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    member_id: &str,
    meta: &RequestMeta,
) -> Result<usize> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = portal(core, who, portal_id).await?;
    let mut tx = core.db.begin().await?;
    let ended = match store::portals::member(&mut *tx, &who.org_id, &portal.id, member_id).await? {
        Some(m) => {
            store::portals::end_member(
                &mut *tx,
                &who.org_id,
                &m.id,
                MembershipEnd::Removed.as_str(),
                core.now_ms(),
            )
            .await?
        }
        None => None,
    };
    let Some(member) = ended else {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("portal member"));
    };
    let revoked = revoke_portal_shares(
        core,
        &mut tx,
        &member,
        Revoker::Staff(who),
        "portal_member_removed",
        meta,
    )
    .await?;
    crate::services::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": "member_removed",
                "member": { "name": member.name, "email": member.email },
                "shares_revoked": revoked.len() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(publish(core, revoked))
}

/// Revokes `member`'s unrevoked "portal access" shares in their portal inside `tx`.
async fn revoke_portal_shares(
    core: &Liaison,
    tx: &mut store::Tx,
    member: &MemberRow,
    by: Revoker<'_>,
    reason: &str,
    meta: &RequestMeta,
) -> Result<Vec<Revoked>> {
    let shares = store::shares::unrevoked_for_recipient(
        &mut **tx,
        &member.org_id,
        Method::Portal.as_str(),
        &member.email,
    )
    .await?;
    let mut revoked = Vec::new();
    for share in shares.iter().filter(|s| s.portal_id == member.portal_id) {
        if let Some(r) = revoke_in(core, tx, &member.org_id, by, &share.id, meta, reason).await? {
            revoked.push(r);
        }
    }
    Ok(revoked)
}

fn publish(core: &Liaison, revoked: Vec<Revoked>) -> usize {
    let n = revoked.len();
    for r in revoked {
        core.revocations.publish(r);
    }
    n
}

/// Is `email` an active member of the portal now? Checked at share creation and at each
/// open and renewal.
#[tracing::instrument(skip_all)]
pub async fn is_member(core: &Liaison, org_id: &str, portal_id: &str, email: &str) -> Result<bool> {
    Ok(store::portals::is_member(core.db.pool(), org_id, portal_id, email, core.now_ms()).await?)
}

/// Sets the email domains the portal's managers may add members from (empty: managers add
/// no one). Each is a lower-case domain name, as a member's address would end.
#[tracing::instrument(skip_all)]
pub async fn set_member_domains(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    domains: &[String],
    meta: &RequestMeta,
) -> Result<Vec<String>> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = portal(core, who, portal_id).await?;
    let mut clean = Vec::with_capacity(domains.len());
    for d in domains.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
        // A domain is valid here exactly when an address at it is.
        let domain = d.trim_start_matches('@').to_lowercase();
        validate::email("member_domains", &format!("x@{domain}")).map_err(|_| {
            ServiceError::invalid(
                "member_domains",
                format!("{d:?} is not a domain name an email address can have"),
            )
        })?;
        if !clean.contains(&domain) {
            clean.push(domain);
        }
    }
    if clean.len() > MAX_MEMBER_DOMAINS {
        return Err(ServiceError::invalid(
            "member_domains",
            format!("at most {MAX_MEMBER_DOMAINS} member domains"),
        ));
    }
    let json = serde_json::to_string(&clean).map_err(ServiceError::internal)?;
    let mut tx = core.db.begin().await?;
    store::portals::set_member_domains(&mut *tx, &who.org_id, &portal.id, &json).await?;
    crate::services::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": "member_domains_changed", "domains": clean }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(clean)
}

/// The portal's member domains.
pub fn member_domains(p: &PortalRow) -> Vec<String> {
    serde_json::from_str(&p.member_domains).unwrap_or_default()
}

/// A manager adds a member, as the module doc bounds it. `manager` is the guest's
/// membership; its role and standing are checked under a lock on its row, in the adding
/// transaction.
#[tracing::instrument(skip_all)]
pub async fn add_by_manager(
    core: &Liaison,
    guest: &Guest,
    manager: &MemberRow,
    name: &str,
    email: &str,
    meta: &RequestMeta,
) -> Result<MemberView> {
    let portal = store::portals::get(core.db.pool(), &manager.org_id, &manager.portal_id)
        .await?
        .ok_or(ServiceError::NotFound("portal"))?;
    let name = validate::text("name", name, 200)?;
    let email = validate::email("email", email)?;
    let domains = member_domains(&portal);
    if domains.is_empty() {
        return Err(ServiceError::Forbidden(
            "This portal does not let its managers add members; ask its administrators.",
        ));
    }
    let now = core.now_ms();
    // Every attempt counts toward the day's cap, refused ones too, and is reserved before
    // anything is looked up: a manager cannot test addresses faster than they may add.
    if attempts::reserve(
        core.db.pool(),
        MANAGER_ADDS,
        &manager.id,
        MANAGER_ADD_LIMIT,
        now,
    )
    .await?
        == Reservation::Refused
    {
        let until = attempts::locked_until(core.db.pool(), MANAGER_ADDS, &manager.id, now)
            .await?
            .unwrap_or(now + 3_600_000);
        return Err(too_many_adds(until - now));
    }
    let refused = |reason: &'static str, e: ServiceError| {
        refused_add(core, guest, manager, &email, reason, meta, e)
    };
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if !domains.iter().any(|d| d == domain) {
        let message = format!(
            "members you add must have an address at {}",
            domains.join(", ")
        );
        return Err(refused("domain", ServiceError::invalid("email", message)).await);
    }
    let mut tx = core.db.begin().await?;
    // The manager's standing, end date and day's adds are read under the lock on the
    // manager's row, inside the transaction that adds: an administrator's concurrent
    // demotion, removal or new end date (carried to this manager's members) is serialised
    // with it, and so are two adds of the same manager.
    let locked = store::portals::lock_member(&mut *tx, &manager.org_id, &manager.id).await?;
    let Some(locked) = locked.filter(|m| m.role == MemberRole::Manager && m.is_active(now)) else {
        tx.rollback().await?;
        return Err(ServiceError::Forbidden(
            "Only a manager of this portal may add members.",
        ));
    };
    // The attempts counter runs in fixed windows; adds made are also held to a sliding day.
    let day_ago = now - attempts::FORGET_AFTER_MS;
    let added = store::portals::invited_by(&mut *tx, &manager.org_id, &manager.id, 1000).await?;
    let recent: Vec<i64> = added
        .iter()
        .map(|m| m.added_at)
        .filter(|at| *at > day_ago)
        .collect();
    if recent.len() >= INVITES_PER_DAY {
        tx.rollback().await?;
        let oldest = recent.iter().min().copied().unwrap_or(now);
        return Err(too_many_adds(oldest + attempts::FORGET_AFTER_MS - now));
    }
    let member = MemberRow {
        id: new_id(),
        org_id: manager.org_id.clone(),
        portal_id: manager.portal_id.clone(),
        email: email.clone(),
        name,
        role: MemberRole::Member,
        added_by: None,
        invited_by: Some(manager.id.clone()),
        added_at: now,
        expires_at: locked.expires_at,
        removed_at: None,
        ended_reason: None,
    };
    if !store::portals::upsert_member(&mut *tx, &member, true).await? {
        tx.rollback().await?;
        let e = ServiceError::invalid(
            "email",
            format!(
                "{} cannot be added by a manager; ask the portal's administrators",
                member.email
            ),
        );
        return Err(refused("member_before", e).await);
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &manager.org_id,
            event_type: EventType::PortalChanged,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: None,
            details: json!({ "portal": portal.id, "action": "member_added",
                             "by_manager": { "name": manager.name, "email": manager.email },
                             "member": { "name": member.name, "email": member.email,
                                         "role": member.role,
                                         "expires_at": member.expires_at.map(time) } }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    notify::member_added(
        core,
        &mut tx,
        &member,
        &portal_display_name(&portal),
        &manager.name,
    )
    .await?;
    tx.commit().await?;
    let all = [manager.clone()];
    Ok(MemberView::of(&member, &all))
}

/// The counter of a manager's adds: [`INVITES_PER_DAY`] attempts per manager a day,
/// refused ones included.
const MANAGER_ADDS: &str = "portal.manager_add";
const MANAGER_ADD_LIMIT: attempts::Limit = attempts::Limit {
    max_failures: INVITES_PER_DAY as i64,
    window_ms: attempts::FORGET_AFTER_MS,
    lockout_ms: attempts::FORGET_AFTER_MS,
};

/// The refusal of a manager's add over the day's cap, with the wait (in ms) until the next
/// one may be tried.
fn too_many_adds(wait_ms: i64) -> ServiceError {
    ServiceError::TooMany {
        message: "You have added as many members as a manager may in a day; try again later.",
        retry_after_secs: Some(u64::try_from(wait_ms / 1000).unwrap_or(0).max(1)),
    }
}

/// Audits a manager's refused add (who tried which address, and why: `domain` or
/// `member_before`, an address that is or was a member), so administrators see a manager
/// testing addresses; returns `e`. The refusal stands even if the audit fails.
async fn refused_add(
    core: &Liaison,
    guest: &Guest,
    manager: &MemberRow,
    email: &str,
    reason: &'static str,
    meta: &RequestMeta,
    e: ServiceError,
) -> ServiceError {
    let recorded = async {
        let mut tx = core.db.begin().await?;
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &manager.org_id,
                event_type: EventType::PortalChanged,
                actor: AuditActor::Guest(guest),
                share_id: Some(&guest.share_id),
                item_id: None,
                details: json!({ "portal": manager.portal_id, "action": "member_add_refused",
                                 "reason": reason,
                                 "by_manager": { "name": manager.name, "email": manager.email },
                                 "member": { "email": email } }),
                meta,
                at_ms: core.now_ms(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ServiceError>(())
    };
    if let Err(audit_error) = recorded.await {
        tracing::error!(error.detail = %audit_error, "a manager's refused add was not audited");
    }
    e
}

fn portal_display_name(p: &PortalRow) -> String {
    super::branding::BrandingView::of(p)
        .map(|b| b.display_name)
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| p.name.clone())
}

/// The current members a manager added, newest first (those since removed or expired
/// are not theirs to see).
pub async fn added_by_manager(core: &Liaison, manager: &MemberRow) -> Result<Vec<MemberView>> {
    let rows =
        store::portals::invited_by(core.db.pool(), &manager.org_id, &manager.id, 200).await?;
    let all = [manager.clone()];
    let now = core.now_ms();
    Ok(rows
        .iter()
        .filter(|m| m.is_active(now))
        .map(|m| MemberView::of(m, &all))
        .collect())
}

/// The most memberships one pass of [`expire_due`] ends.
const EXPIRE_BATCH: i64 = 200;

/// Ends every membership whose expiry has come (on every organisation): each is marked
/// expired, its portal shares revoked and `portal.membership_expired` audited as the
/// system, in one transaction per member; of several nodes, one ends each. Returns how
/// many ended.
#[tracing::instrument(skip_all)]
pub async fn expire_due(core: &Liaison) -> Result<usize> {
    let meta = RequestMeta::default();
    let mut ended = 0;
    let mut failed = 0;
    loop {
        let due = store::portals::expired(core.db.pool(), core.now_ms(), EXPIRE_BATCH).await?;
        let batch = due.len();
        for m in due {
            match end_expired(core, &m, &meta).await {
                Ok(true) => ended += 1,
                Ok(false) => {}
                // One member that cannot be ended must not hold up every other expiry:
                // it is retried on the next pass.
                Err(e) => {
                    failed += 1;
                    tracing::warn!(member.id = %m.id, error.detail = %e, "portal membership expiry failed");
                }
            }
        }
        if batch < EXPIRE_BATCH as usize || failed > 0 {
            return Ok(ended);
        }
    }
}

/// Ends one expired membership, revoking its portal shares, audited as the system; false
/// when another node ended it first or an administrator gave it a new expiry meanwhile.
async fn end_expired(core: &Liaison, m: &MemberRow, meta: &RequestMeta) -> Result<bool> {
    let mut tx = core.db.begin().await?;
    let Some(m) =
        store::portals::end_expired_member(&mut *tx, &m.org_id, &m.id, core.now_ms()).await?
    else {
        tx.rollback().await?;
        return Ok(false);
    };
    let revoked = revoke_portal_shares(
        core,
        &mut tx,
        &m,
        Revoker::System,
        "portal_membership_expired",
        meta,
    )
    .await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &m.org_id,
            event_type: EventType::MembershipExpired,
            actor: AuditActor::System,
            share_id: None,
            item_id: None,
            details: json!({ "portal": m.portal_id,
                             "member": { "name": m.name, "email": m.email, "role": m.role },
                             "expired_at": m.expires_at.map(time),
                             "shares_revoked": revoked.len() }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    publish(core, revoked);
    Ok(true)
}

/// How long the expiry task may sleep before its next pass: until the next membership
/// expires, at most `max` (memberships given an expiry meanwhile are seen within `max`).
pub async fn next_pass_in(core: &Liaison, max: std::time::Duration) -> std::time::Duration {
    match store::portals::next_expiry(core.db.pool()).await {
        Ok(Some(at)) => {
            let wait = u64::try_from(at - core.now_ms()).unwrap_or(0);
            max.min(std::time::Duration::from_millis(wait))
        }
        _ => max,
    }
}
