//! Opening a link: prove it (or a bound browser), pass every check, count one access,
//! bind the browser and issue a portal session.

use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::json;

use super::session::{issue_session, SessionStart};
use super::{device_row, require_ack, terms_of, OpenRequest, PortalSession};
use crate::actor::RequestMeta;
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::ShareToken;
use crate::domain::{Denial, DeviceStatus, Method, Share};
use crate::services::share_core::{
    check_standing, deny, device_hash, fail_secret, find, locked_out, release_attempt,
    reserve_attempt,
};
use crate::services::{Result, ServiceError};
use crate::store::{self, devices::DeviceRow, new_id};
use crate::Liaison;

/// How the secrets of an open came out.
enum SecretCheck {
    /// Every secret this open needs was right (or the browser is recognised).
    Passed,
    /// A secret was wrong: the attempt counts.
    Failed(Denial),
    /// Stopped before a secret was judged (one is missing, a code was sent, the share does
    /// not stand): the attempt does not count.
    Stopped(ServiceError),
}

/// The link's verifier, then the share's standing, password and email code — in that
/// order, each PBKDF2 only once the one before passed.
async fn check_secrets(
    core: &Liaison,
    token: &ShareToken,
    share: &Share,
    recognised: bool,
    req: &OpenRequest,
    meta: &RequestMeta,
) -> Result<SecretCheck> {
    if !recognised
        && !core
            .kdf
            .verify(token.verifier_secret(), &share.verifier_hash)
            .await?
    {
        // Right selector, wrong verifier: a forged or truncated link.
        return Ok(SecretCheck::Failed(Denial::UnknownToken));
    }
    if let Err(denial) = check_standing(core, share, meta).await {
        return Ok(SecretCheck::Stopped(deny(core, share, denial, meta).await));
    }
    if recognised {
        return Ok(SecretCheck::Passed);
    }
    if let Some(hash) = &share.password_hash {
        let Some(password) = &req.password else {
            return Ok(SecretCheck::Stopped(ServiceError::Denied(
                Denial::PasswordRequired,
            )));
        };
        if !core.kdf.verify(secret_bytes(password), hash).await? {
            return Ok(SecretCheck::Failed(Denial::WrongPassword));
        }
    }
    if share.method.verifies_email() {
        let Some(code) = &req.code else {
            crate::services::codes::send_code(core, share, meta).await?;
            return Ok(SecretCheck::Stopped(ServiceError::Denied(
                Denial::CodeRequired,
            )));
        };
        if !crate::services::codes::check_code(core, share, code).await? {
            return Ok(SecretCheck::Failed(Denial::WrongCode));
        }
    }
    Ok(SecretCheck::Passed)
}

fn secret_bytes(s: &SecretString) -> SecretSlice<u8> {
    SecretSlice::from(s.expose_secret().as_bytes().to_vec())
}

/// A verified open: proves the token (or a bound browser), applies every check, counts one
/// access, binds the browser, and issues a portal session.
#[tracing::instrument(skip_all)]
pub async fn open(core: &Liaison, req: OpenRequest, meta: &RequestMeta) -> Result<PortalSession> {
    let (token, share) = find(core, &req.token, &meta.site).await?;
    let device = device_row(core, &share, Some(&req.device)).await?;
    // A bound browser skips the secrets — unless it signed out since it last proved them
    // (here, or its recipient everywhere): then it proves them again.
    let recognised = match &device {
        Some(d) if d.status == DeviceStatus::Approved => {
            !store::guest_sessions::signed_out_since(
                core.db.pool(),
                &share.org_id,
                &d.device_hash,
                &share.recipient_email.to_lowercase(),
                d.proven_at.unwrap_or(d.first_seen_at),
            )
            .await?
        }
        _ => false,
    };
    // A recognised browser proves no secret (no PBKDF2), so it reserves nothing; it is
    // still refused while a lockout runs.
    let reserved = if recognised {
        if locked_out(core, &share, meta).await? {
            return Err(deny(core, &share, Denial::TooManyAttempts, meta).await);
        }
        None
    } else {
        match reserve_attempt(core, &share, meta).await? {
            Some(last) => Some(last),
            None => return Err(deny(core, &share, Denial::TooManyAttempts, meta).await),
        }
    };
    let stopped = match check_secrets(core, &token, &share, recognised, &req, meta).await {
        Ok(SecretCheck::Passed) => None,
        Ok(SecretCheck::Stopped(e)) | Err(e) => Some(e),
        Ok(SecretCheck::Failed(denial)) => {
            let e = fail_secret(core, &share, denial, reserved.unwrap_or(false), meta).await;
            return Err(match (denial, e) {
                (_, e @ ServiceError::Denied(Denial::TooManyAttempts)) => e,
                // A forged link is told apart from an unknown one by nothing.
                (Denial::UnknownToken, _) => ServiceError::Denied(Denial::UnknownToken),
                (_, e) => e,
            });
        }
    };
    if reserved.is_some() {
        release_attempt(core, &share, meta).await?;
    }
    if let Some(e) = stopped {
        return Err(e);
    }
    // Federated shares: every open needs a fresh sign-in at the partner's IdP from this
    // browser (a recognised browser skips the link's PBKDF2, never the IdP: the IdP is
    // where the partner disables people who leave).
    let federated = if share.method == Method::Federated {
        match crate::services::federation::signed_in_for_share(core, &share, &req.device).await? {
            Some(login) => Some(login),
            None => return Err(ServiceError::Denied(Denial::FederatedSignInRequired)),
        }
    } else {
        None
    };
    // Device approval: with "approved devices only", the first browser is approved by
    // passing the checks; every later one waits for the owner.
    let now = core.now_ms();
    let hash = device_hash(&req.device);
    match device.as_ref().map(|d| d.status) {
        Some(DeviceStatus::Rejected) => {
            return Err(deny(core, &share, Denial::NotAllowedFromHere, meta).await)
        }
        Some(DeviceStatus::Pending) => {
            return Err(deny(core, &share, Denial::DeviceApprovalPending, meta).await)
        }
        Some(_) => {}
        None if share.settings.approved_devices_only
            && store::devices::approved_count(core.db.pool(), &share.org_id, &share.id).await?
                > 0 =>
        {
            request_device_approval(core, &share, &hash, meta, now).await?;
            return Err(ServiceError::Denied(Denial::DeviceApprovalPending));
        }
        None => {}
    }
    if require_ack(core, &share).await? && !req.acknowledged {
        return Err(ServiceError::Denied(Denial::AcknowledgementRequired));
    }
    let terms = terms_of(core, &share).await?;
    if terms.is_some() && !req.accepted_terms {
        return Err(ServiceError::Denied(Denial::TermsRequired));
    }

    let mut tx = core.db.begin().await?;
    let Some(count) =
        store::shares::try_count_access(&mut *tx, &share.org_id, &share.id, now).await?
    else {
        // Lost a race with a revocation, the expiry or the last allowed access.
        tx.rollback().await?;
        let fresh = store::shares::get(core.db.pool(), &share.org_id, &share.id)
            .await?
            .unwrap_or(share);
        let denial = fresh
            .check_new_open(core.now())
            .err()
            .unwrap_or(Denial::AccessCountExceeded);
        return Err(deny(core, &fresh, denial, meta).await);
    };
    if device.is_none()
        && share.settings.approved_devices_only
        && store::devices::approved_count(&mut *tx, &share.org_id, &share.id).await? > 0
    {
        // Another new browser became the first device since this one was checked. Counting
        // the access locked the share's row, which orders the two: this one waits for the
        // owner like any later browser.
        tx.rollback().await?;
        request_device_approval(core, &share, &hash, meta, now).await?;
        return Err(ServiceError::Denied(Denial::DeviceApprovalPending));
    }
    store::devices::upsert(
        &mut *tx,
        &new_device(&share, &hash, DeviceStatus::Approved, meta, now),
    )
    .await?;
    if !recognised {
        store::devices::mark_proven(&mut *tx, &share.id, &hash, now).await?;
    }
    if let Some(login) = &federated {
        if !store::federation::consume(&mut *tx, &share.org_id, &login.state_hash, now).await? {
            tx.rollback().await?;
            return Err(ServiceError::Denied(Denial::FederatedSignInRequired));
        }
    }
    store::attempts::clear(&mut *tx, "share", &share.id).await?;
    if count == 1 && share.settings.notify_owner_on_first_open {
        crate::services::notify::owner_first_open(core, &mut tx, &share).await?;
    }
    let idp_id = federated.as_ref().map(|l| l.idp_id.clone());
    let actor = match &idp_id {
        Some(idp_id) => AuditActor::Federated {
            name: &share.recipient_name,
            idp_id,
        },
        None => AuditActor::LinkHolder {
            recipient_name: &share.recipient_name,
        },
    };
    let event = |event_type, details| NewEvent {
        org_id: &share.org_id,
        event_type,
        actor: actor.clone(),
        share_id: Some(&share.id),
        item_id: Some(share.item_id()),
        details,
        meta,
        at_ms: now,
    };
    if req.acknowledged {
        audit::record(
            &mut tx,
            event(EventType::AcknowledgementAccepted, json!({})),
        )
        .await?;
    }
    if let Some(t) = &terms {
        audit::record(
            &mut tx,
            event(
                EventType::TermsAccepted,
                json!({ "version": t.version, "sha256": t.sha256 }),
            ),
        )
        .await?;
    }
    let session_id = new_id();
    audit::record(
        &mut tx,
        event(
            EventType::ShareAccessed,
            json!({
                "recipient": { "name": share.recipient_name, "email": share.recipient_email },
                "access_count": count,
                "max_access_count": share.max_access_count,
                "portal_session": session_id,
                "browser": if recognised { "recognised" } else { "verified" },
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    issue_session(
        core,
        &share,
        &meta.site,
        SessionStart {
            session_id,
            idp_id,
            auth_time: now / 1000,
            device_hash: Some(hash),
        },
    )
}

async fn request_device_approval(
    core: &Liaison,
    share: &Share,
    hash: &str,
    meta: &RequestMeta,
    now: i64,
) -> Result<()> {
    let mut tx = core.db.begin().await?;
    store::devices::upsert(
        &mut *tx,
        &new_device(share, hash, DeviceStatus::Pending, meta, now),
    )
    .await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &share.org_id,
            event_type: EventType::DeviceApprovalRequested,
            actor: AuditActor::LinkHolder {
                recipient_name: &share.recipient_name,
            },
            share_id: Some(&share.id),
            item_id: Some(share.item_id()),
            details: json!({ "user_agent": meta.user_agent }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A browser seen for the first time on `share` (an upsert keeps an existing row's status).
fn new_device(
    share: &Share,
    hash: &str,
    status: DeviceStatus,
    meta: &RequestMeta,
    now: i64,
) -> DeviceRow {
    DeviceRow {
        id: new_id(),
        org_id: share.org_id.clone(),
        share_id: share.id.clone(),
        device_hash: hash.to_owned(),
        status,
        first_seen_at: now,
        last_seen_at: now,
        ip: meta.ip.map(|ip| ip.to_string()),
        user_agent: meta.user_agent.clone(),
        decided_by: None,
        decided_at: None,
        proven_at: None,
    }
}
