//! The share as every path sees it, below every other share service: find a share by its
//! link, decide whether it stands (state, policy now, network, country, portal
//! membership), deny and audit the denial, count secret attempts against the limits,
//! record expiry, revoke, and open the sealed link.
//!
//! It depends on no service but `notify` and `policy`, so `shares`, `access`,
//! `federation` and `portals` can all build on it without importing one another.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{policy, sites, Result, ServiceError};
use crate::actor::{RequestMeta, Site, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::{sha256_hex, ShareToken};
use crate::domain::policy::ShareFacts;
use crate::domain::{Denial, Method, RevokedLink, Share};
use crate::store::{
    self,
    attempts::{Counter, Limit},
    from_millis,
};
use crate::Liaison;

/// Failed password or code attempts per share: 10 in 15 minutes locks the share's secret
/// checks for 15 minutes (the link itself stays valid).
pub const SHARE_LIMIT: Limit = Limit {
    max_failures: 10,
    window_ms: 15 * 60_000,
    lockout_ms: 15 * 60_000,
};

/// Failed attempts (forged tokens, passwords, codes) per client IP across all shares.
pub const IP_LIMIT: Limit = Limit {
    max_failures: 30,
    window_ms: 15 * 60_000,
    lockout_ms: 15 * 60_000,
};

pub(super) async fn audit_denial(
    core: &Liaison,
    share: &Share,
    denial: Denial,
    meta: &RequestMeta,
) -> Result<()> {
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &share.org_id,
            event_type: EventType::ShareDenied,
            actor: AuditActor::LinkHolder {
                recipient_name: &share.recipient_name,
            },
            share_id: Some(&share.id),
            item_id: Some(share.item_id()),
            details: json!({ "reason": denial.code() }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(())
}

/// Audits a denial and returns the error the guest sees. A revoked link reads as unknown
/// where the organisation's policy says so.
pub(crate) async fn deny(
    core: &Liaison,
    share: &Share,
    denial: Denial,
    meta: &RequestMeta,
) -> ServiceError {
    if denial == Denial::Expired || denial == Denial::AccessCountExceeded {
        if let Err(e) = record_expiry(core, share, meta).await {
            return e;
        }
    }
    if let Err(e) = audit_denial(core, share, denial, meta).await {
        return e;
    }
    if denial == Denial::Revoked {
        match policy::org_policy(core, &share.org_id).await {
            Ok(p) if p.revoked_link == RevokedLink::NotFound => {
                return ServiceError::Denied(Denial::UnknownToken)
            }
            Err(e) => return e,
            Ok(_) => {}
        }
    }
    ServiceError::Denied(denial)
}

/// The counters a secret attempt counts against: its subject (a share, an end-to-end
/// encrypted secret) in `scope`, and the client address (see `store::attempts`).
pub(crate) fn attempt_counters<'a>(
    scope: &'static str,
    subject: &'a str,
    address: &'a str,
) -> [Counter<'a>; 2] {
    [
        Counter {
            scope,
            subject,
            limit: SHARE_LIMIT,
        },
        Counter {
            scope: "ip",
            subject: address,
            limit: IP_LIMIT,
        },
    ]
}

/// Reserves one secret attempt before any PBKDF2. `None`: either limit is reached,
/// evaluate nothing. `Some(last)`: go on; `last` says this attempt took a window's last
/// slot.
pub(super) async fn reserve_attempt(
    core: &Liaison,
    share: &Share,
    meta: &RequestMeta,
) -> Result<Option<bool>> {
    let address = meta.ip_subject();
    let counters = attempt_counters("share", &share.id, &address);
    Ok(store::attempts::reserve_all(core.db.pool(), &counters, core.now_ms()).await?)
}

/// Gives back a reserved attempt that did not fail.
pub(super) async fn release_attempt(
    core: &Liaison,
    share: &Share,
    meta: &RequestMeta,
) -> Result<()> {
    let address = meta.ip_subject();
    let counters = attempt_counters("share", &share.id, &address);
    Ok(store::attempts::release_all(core.db.pool(), &counters).await?)
}

/// A wrong secret: its reservation stays counted; audited. Returns the denial to show
/// (too many attempts when this attempt took the last slot).
pub(super) async fn fail_secret(
    core: &Liaison,
    share: &Share,
    denial: Denial,
    last: bool,
    meta: &RequestMeta,
) -> ServiceError {
    if last {
        if let Err(e) = audit_denial(core, share, denial, meta).await {
            return e;
        }
        return deny(core, share, Denial::TooManyAttempts, meta).await;
    }
    deny(core, share, denial, meta).await
}

pub(super) async fn locked_out(core: &Liaison, share: &Share, meta: &RequestMeta) -> Result<bool> {
    let now = core.now_ms();
    let pool = core.db.pool();
    Ok(store::attempts::locked_until(pool, "share", &share.id, now)
        .await?
        .is_some()
        || store::attempts::locked_until(pool, "ip", &meta.ip_subject(), now)
            .await?
            .is_some())
}

pub(crate) async fn find(
    core: &Liaison,
    token_text: &str,
    site: &Site,
) -> Result<(ShareToken, Share)> {
    let token = ShareToken::parse(token_text).ok_or(ServiceError::Denied(Denial::UnknownToken))?;
    let share = store::shares::find_by_selector(core.db.pool(), token.selector())
        .await?
        // On a portal's domain, another portal's share does not exist: nothing of it (not
        // its brand, not a denial in its organisation's log) is shown or written there.
        .filter(|s| sites::serves_share(site, s))
        .ok_or(ServiceError::Denied(Denial::UnknownToken))?;
    Ok((token, share))
}

/// The whole link proven — the selector finds the share, the verifier is checked with
/// PBKDF2 under the attempt limits — and the share standing. For steps that hand out
/// more than a landing page (the federated sign-in, whose end leads to the link).
pub(crate) async fn proven_link(
    core: &Liaison,
    token_text: &str,
    meta: &RequestMeta,
) -> Result<Share> {
    let share = proven_token(core, token_text, meta).await?;
    if let Err(denial) = check_standing(core, &share, meta).await {
        return Err(deny(core, &share, denial, meta).await);
    }
    Ok(share)
}

/// The whole link proven, whatever the share's standing: for what a guest may still do
/// with a link that no longer opens (ask for more time).
pub(crate) async fn proven_token(
    core: &Liaison,
    token_text: &str,
    meta: &RequestMeta,
) -> Result<Share> {
    let (token, share) = find(core, token_text, &meta.site).await?;
    let Some(last) = reserve_attempt(core, &share, meta).await? else {
        return Err(deny(core, &share, Denial::TooManyAttempts, meta).await);
    };
    let verified = match core
        .kdf
        .verify(token.verifier_secret(), &share.verifier_hash)
        .await
    {
        Ok(verified) => verified,
        Err(e) => {
            // Not judged: give the reservation back.
            release_attempt(core, &share, meta).await?;
            return Err(e.into());
        }
    };
    if !verified {
        return Err(
            match fail_secret(core, &share, Denial::UnknownToken, last, meta).await {
                e @ ServiceError::Denied(Denial::TooManyAttempts) => e,
                _ => ServiceError::Denied(Denial::UnknownToken),
            },
        );
    }
    release_attempt(core, &share, meta).await?;
    Ok(share)
}

/// The checks that need no secret: state, the policy as it is now, network and country.
pub(crate) async fn check_standing(
    core: &Liaison,
    share: &Share,
    meta: &RequestMeta,
) -> Result<(), Denial> {
    share.check_new_open(core.now())?;
    check_policy_and_place(core, share, meta).await
}

pub(crate) async fn check_policy_and_place(
    core: &Liaison,
    share: &Share,
    meta: &RequestMeta,
) -> Result<(), Denial> {
    let policies = policies_now(core, share)
        .await
        .map_err(|_| Denial::PolicyForbids)?;
    let facts = ShareFacts {
        method: share.method,
        scope: share.settings.scope,
        tlp: share.tlp,
        allow_download: share.settings.allow_download,
        watermark: share.settings.watermark,
        created_at_ms: store::to_millis(share.created_at),
        expires_at_ms: share.expires_at.map(store::to_millis),
    };
    if policies.iter().any(|p| p.check(&facts).is_err()) {
        return Err(Denial::PolicyForbids);
    }
    // 28 CFR Part 23: criminal intelligence it carries now must have been disseminated
    // through this very share to a law-enforcement partner (fails closed).
    let cleared = crate::services::intelligence::clearance::still_cleared(core, share)
        .await
        .unwrap_or(false);
    if !cleared {
        return Err(Denial::PolicyForbids);
    }
    if share.method == Method::Portal {
        // Fails closed: the membership cannot be read.
        let member = store::portals::is_member(
            core.db.pool(),
            &share.org_id,
            &share.portal_id,
            &share.recipient_email,
            core.now_ms(),
        )
        .await
        .unwrap_or(false);
        if !member {
            return Err(Denial::NotAMember);
        }
    }
    if !share.settings.network_allows(meta.ip) {
        return Err(Denial::NotAllowedFromHere);
    }
    let country = core
        .geo
        .as_ref()
        .and_then(|g| meta.ip.and_then(|ip| g.country(ip)));
    if !share.settings.country_allows(country.as_deref()) {
        return Err(Denial::NotAllowedFromHere);
    }
    Ok(())
}

/// The sharing policy as it is now for each document the share covers, or for its record
/// (a project may tighten the organisation's). Never empty.
pub(super) async fn policies_now(
    core: &Liaison,
    share: &Share,
) -> Result<Vec<crate::domain::Policy>> {
    if let Some(record) = &share.record_id {
        return policy::effective_for_record_share(core, &share.org_id, record).await;
    }
    let ids = core
        .revocations
        .shares()
        .covered(&core.db, &share.org_id, &share.id)
        .await?;
    let mut policies = Vec::with_capacity(ids.len());
    for id in ids.iter() {
        policies.push(policy::effective_for_document(core, &share.org_id, id).await?);
    }
    Ok(policies)
}

pub(crate) fn device_hash(device: &SecretString) -> String {
    sha256_hex(device.expose_secret().as_bytes())
}

/// Marks a share expired and writes "share expired" once (by whichever of the sweeper or
/// an access check notices first). Access checks never depend on this having run.
#[tracing::instrument(skip_all)]
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
                item_id: Some(share.item_id()),
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

/// Who revokes a share.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Revoker<'a> {
    Staff(&'a Staff),
    /// Liaison itself (a portal membership that expired); `revoked_by` stays empty.
    System,
}

/// Revokes share `id` of `org_id` inside `tx`: the conditional update, the recipient's
/// notice where the share asks for it, the cross-node notification and `share.revoked`
/// (with `reason`) all commit with the caller's change. Returns what to publish on this
/// node's bus once `tx` has committed, or `None` if the share was already revoked. Callers
/// check that the revoker may revoke it.
pub(crate) async fn revoke_in(
    core: &Liaison,
    tx: &mut store::Tx,
    org_id: &str,
    by: Revoker<'_>,
    id: &str,
    meta: &RequestMeta,
    reason: &str,
) -> Result<Option<crate::revocation::Revoked>> {
    let now = core.now_ms();
    let by_user = match by {
        Revoker::Staff(who) => Some(who.user_id.as_str()),
        Revoker::System => None,
    };
    if !store::shares::revoke(&mut **tx, org_id, id, by_user, now).await? {
        return Ok(None);
    }
    let share = store::shares::get(&mut **tx, org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    store::renewals::close_open_for_share(
        &mut **tx,
        org_id,
        id,
        crate::domain::RenewalStatus::Closed.as_str(),
        "the share was revoked",
        now,
    )
    .await?;
    if share.settings.notify_recipient_on_revoke {
        super::notify::revocation_notice(core, tx, &share).await?;
    }
    let r = crate::revocation::Revoked {
        org_id: share.org_id.clone(),
        share_id: share.id.clone(),
    };
    crate::revocation::notify_in(tx, core.db.engine(), &r).await?;
    let (actor, revoked_by) = match by {
        Revoker::Staff(who) => (
            AuditActor::Staff(who),
            json!({ "id": who.user_id, "name": who.name, "email": who.email }),
        ),
        Revoker::System => (AuditActor::System, serde_json::Value::Null),
    };
    audit::record(
        tx,
        NewEvent {
            org_id,
            event_type: EventType::ShareRevoked,
            actor,
            share_id: Some(id),
            item_id: Some(share.item_id()),
            details: json!({
                "revoked_by": revoked_by,
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

/// AAD binding a sealed token to its share, so a sealed value moved to another row fails.
pub(super) fn sealing_context(share_id: &str) -> String {
    format!("share-token:{share_id}")
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
        .map_err(|_| ServiceError::fault("sealed token is not UTF-8"))?;
    let share = store::shares::get(core.db.pool(), org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let base = sites::link_base(core, org_id, &share.portal_id, share.method).await?;
    Ok(SecretString::from(sites::share_url(&base, token)))
}
