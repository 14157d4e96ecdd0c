//! The guest's path: open a link, pass the checks, hold a portal session, see the items.
//!
//! Order of checks on an open (SPEC §3), each denial of a known share audited with its
//! reason: unknown token → lockout → revoked / expired / count used up → the policy as it is
//! *now* → network and country rules → password, verification code → device approval →
//! acknowledgement and legal terms. Device approval comes after the secrets so that only
//! someone holding them can ask the owner to approve a browser.
//!
//! Only a POST that proves the token and passes every check counts an access, so a mail
//! scanner's GET of the link never uses one up. A browser that has passed the checks once
//! is bound to the share (a random device cookie, stored as SHA-256): it re-opens without
//! paying PBKDF2 again and without re-entering the password or code.

use std::sync::Arc;

use bytes::Bytes;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Serialize;
use serde_json::json;

use super::{policy, Result, ServiceError};
use crate::actor::{Guest, RequestMeta};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::{sha256_hex, ShareToken};
use crate::domain::policy::ShareFacts;
use crate::domain::{Denial, Method, RevokedLink, Share};
use crate::portal_jwt::PortalClaims;
use crate::store::{
    self,
    attempts::{Counter, Limit},
    devices::DeviceRow,
    documents::DocumentRow,
    new_id,
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

/// What the link's landing page may show before the token is verified.
#[derive(Clone, Debug, Serialize)]
pub struct Landing {
    pub org_name: String,
    pub tlp: String,
    /// The browser already passed this share's checks: no password or code is asked.
    pub recognised_device: bool,
    pub needs_password: bool,
    pub needs_code: bool,
    pub require_acknowledgement: bool,
    pub terms: Option<Terms>,
    /// Federated shares: where the guest may sign in, and whom this browser signed in as.
    pub federation: Option<super::federation::LandingFederation>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Terms {
    pub version: String,
    pub body: String,
    pub sha256: String,
}

/// What the guest submits to open a link.
#[derive(Debug, Default)]
pub struct OpenRequest {
    pub token: String,
    pub password: Option<SecretString>,
    pub code: Option<SecretString>,
    pub acknowledged: bool,
    pub accepted_terms: bool,
    /// The browser's device id (its device cookie). Transports create one with
    /// [`new_device_id`] when the browser has none, and set the cookie whatever the outcome,
    /// so a browser waiting for approval is recognised once approved.
    pub device: SecretString,
}

/// A fresh device id for a browser's device cookie (256 bits from the CSPRNG).
pub fn new_device_id() -> SecretString {
    SecretString::from(crate::crypto::token::random_b64(32))
}

/// A portal session just issued.
#[derive(Clone, Debug)]
pub struct PortalSession {
    pub access_token: String,
    pub expires_in: i64,
    pub share_id: String,
}

async fn audit_denial(
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
            item_id: Some(&share.document_id),
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
        if let Err(e) = super::shares::record_expiry(core, share, meta).await {
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

/// The counters a secret attempt on `share` counts against: the share and the client
/// address (see `store::attempts`).
fn attempt_counters<'a>(share: &'a Share, address: &'a str) -> [Counter<'a>; 2] {
    [
        Counter {
            scope: "share",
            subject: &share.id,
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
async fn reserve_attempt(
    core: &Liaison,
    share: &Share,
    meta: &RequestMeta,
) -> Result<Option<bool>> {
    let address = meta.ip_subject();
    let counters = attempt_counters(share, &address);
    Ok(store::attempts::reserve_all(core.db.pool(), &counters, core.now_ms()).await?)
}

/// Gives back a reserved attempt that did not fail.
async fn release_attempt(core: &Liaison, share: &Share, meta: &RequestMeta) -> Result<()> {
    let address = meta.ip_subject();
    let counters = attempt_counters(share, &address);
    Ok(store::attempts::release_all(core.db.pool(), &counters).await?)
}

/// A wrong secret: its reservation stays counted; audited. Returns the denial to show
/// (too many attempts when this attempt took the last slot).
async fn fail_secret(
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

async fn locked_out(core: &Liaison, share: &Share, meta: &RequestMeta) -> Result<bool> {
    let now = core.now_ms();
    let pool = core.db.pool();
    Ok(store::attempts::locked_until(pool, "share", &share.id, now)
        .await?
        .is_some()
        || store::attempts::locked_until(pool, "ip", &meta.ip_subject(), now)
            .await?
            .is_some())
}

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
            super::codes::send_code(core, share, meta).await?;
            return Ok(SecretCheck::Stopped(ServiceError::Denied(
                Denial::CodeRequired,
            )));
        };
        if !super::codes::check_code(core, share, code).await? {
            return Ok(SecretCheck::Failed(Denial::WrongCode));
        }
    }
    Ok(SecretCheck::Passed)
}

pub(crate) async fn find(core: &Liaison, token_text: &str) -> Result<(ShareToken, Share)> {
    let token = ShareToken::parse(token_text).ok_or(ServiceError::Denied(Denial::UnknownToken))?;
    let share = store::shares::find_by_selector(core.db.pool(), token.selector())
        .await?
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
    let (token, share) = find(core, token_text).await?;
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
    if let Err(denial) = check_standing(core, &share, meta).await {
        return Err(deny(core, &share, denial, meta).await);
    }
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

async fn check_policy_and_place(
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
    if share.method == Method::Portal {
        // Fails closed: no portal named, or the membership cannot be read.
        let member = match share.settings.portal_id.as_deref() {
            Some(portal_id) => {
                super::portals::is_member(core, &share.org_id, portal_id, &share.recipient_email)
                    .await
                    .unwrap_or(false)
            }
            None => false,
        };
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

pub(crate) fn device_hash(device: &SecretString) -> String {
    sha256_hex(device.expose_secret().as_bytes())
}

async fn device_row(
    core: &Liaison,
    share: &Share,
    device: Option<&SecretString>,
) -> Result<Option<DeviceRow>> {
    match device {
        Some(d) => {
            Ok(
                store::devices::find(core.db.pool(), &share.org_id, &share.id, &device_hash(d))
                    .await?,
            )
        }
        None => Ok(None),
    }
}

async fn terms_of(core: &Liaison, share: &Share) -> Result<Option<Terms>> {
    let Some(id) = &share.terms_id else {
        return Ok(None);
    };
    let t = store::policies::terms(core.db.pool(), &share.org_id, id)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("share {} names missing terms", share.id)))?;
    Ok(Some(Terms {
        version: t.version,
        body: t.body,
        sha256: t.sha256,
    }))
}

async fn require_ack(core: &Liaison, share: &Share) -> Result<bool> {
    Ok(share.require_acknowledgement
        || policies_now(core, share)
            .await?
            .iter()
            .any(|p| p.require_acknowledgement))
}

/// The sharing policy as it is now for each document the share covers (a document's
/// project may tighten the organisation's).
async fn policies_now(core: &Liaison, share: &Share) -> Result<Vec<crate::domain::Policy>> {
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

/// The landing page for `GET /s/{token}`: cheap (no PBKDF2), counts nothing. Denials for a
/// known share are audited.
pub async fn landing(
    core: &Liaison,
    token_text: &str,
    device: Option<&SecretString>,
    meta: &RequestMeta,
) -> Result<Landing> {
    let (_, share) = find(core, token_text).await?;
    if let Err(denial) = check_standing(core, &share, meta).await {
        return Err(deny(core, &share, denial, meta).await);
    }
    let org = store::orgs::get(core.db.pool(), &share.org_id)
        .await?
        .ok_or(ServiceError::NotFound("organisation"))?;
    let recognised = device_row(core, &share, device)
        .await?
        .is_some_and(|d| d.status == "approved");
    Ok(Landing {
        org_name: org.name,
        tlp: share.tlp.label(),
        recognised_device: recognised,
        needs_password: !recognised && share.password_hash.is_some(),
        needs_code: !recognised && share.method.verifies_email(),
        require_acknowledgement: require_ack(core, &share).await?,
        terms: terms_of(core, &share).await?,
        federation: super::federation::landing(core, &share, device).await?,
    })
}

fn secret_bytes(s: &SecretString) -> SecretSlice<u8> {
    SecretSlice::from(s.expose_secret().as_bytes().to_vec())
}

/// A verified open: proves the token (or a bound browser), applies every check, counts one
/// access, binds the browser, and issues a portal session.
pub async fn open(core: &Liaison, req: OpenRequest, meta: &RequestMeta) -> Result<PortalSession> {
    let (token, share) = find(core, &req.token).await?;
    let device = device_row(core, &share, Some(&req.device)).await?;
    let recognised = device.as_ref().is_some_and(|d| d.status == "approved");
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
        match super::federation::signed_in_for_share(core, &share, &req.device).await? {
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
    match device.as_ref().map(|d| d.status.as_str()) {
        Some("rejected") => return Err(deny(core, &share, Denial::NotAllowedFromHere, meta).await),
        Some("pending") => {
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
        &DeviceRow {
            id: new_id(),
            org_id: share.org_id.clone(),
            share_id: share.id.clone(),
            device_hash: hash.clone(),
            status: "approved".into(),
            first_seen_at: now,
            last_seen_at: now,
            ip: meta.ip.map(|ip| ip.to_string()),
            user_agent: meta.user_agent.clone(),
            decided_by: None,
            decided_at: None,
        },
    )
    .await?;
    if let Some(login) = &federated {
        if !store::federation::consume(&mut *tx, &share.org_id, &login.state_hash, now).await? {
            tx.rollback().await?;
            return Err(ServiceError::Denied(Denial::FederatedSignInRequired));
        }
    }
    store::attempts::clear(&mut *tx, "share", &share.id).await?;
    if count == 1 && share.settings.notify_owner_on_first_open {
        super::notify::owner_first_open(core, &mut tx, &share).await?;
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
        item_id: Some(&share.document_id),
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
        &DeviceRow {
            id: new_id(),
            org_id: share.org_id.clone(),
            share_id: share.id.clone(),
            device_hash: hash.to_owned(),
            status: "pending".into(),
            first_seen_at: now,
            last_seen_at: now,
            ip: meta.ip.map(|ip| ip.to_string()),
            user_agent: meta.user_agent.clone(),
            decided_by: None,
            decided_at: None,
        },
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
            item_id: Some(&share.document_id),
            details: json!({ "user_agent": meta.user_agent }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Authenticates a portal request (cookie or bearer JWT) and re-checks the share *now*:
/// a revoked or expired share fails on the very next request.
pub async fn authenticate(core: &Liaison, jwt: &str, meta: &RequestMeta) -> Result<Guest> {
    let claims = core
        .keys
        .verify(
            jwt,
            &core.settings.issuer(),
            &core.settings.portal_audience(),
        )
        .await?;
    let share = current_share(core, &claims.org, &claims.sub)
        .await?
        .ok_or_else(|| ServiceError::InvalidPortalToken("the share no longer exists".into()))?;
    let standing = share.check_session(core.now()).and_then(|()| {
        if share.settings.network_allows(meta.ip) {
            Ok(())
        } else {
            Err(Denial::NotAllowedFromHere)
        }
    });
    let standing = match standing {
        // "Approved devices only": a browser the owner rejects is cut off at its next
        // request, not only at renewal (one indexed read, for these shares only).
        Ok(()) if share.settings.approved_devices_only => {
            let approved = match &claims.dev {
                Some(hash) => store::devices::find(core.db.pool(), &share.org_id, &share.id, hash)
                    .await?
                    .is_some_and(|d| d.status == "approved"),
                None => false,
            };
            if approved {
                Ok(())
            } else {
                Err(Denial::NotAllowedFromHere)
            }
        }
        other => other,
    };
    if let Err(denial) = standing {
        let _ = deny(core, &share, denial, meta).await;
        return Err(ServiceError::InvalidPortalToken(
            denial.message().to_owned(),
        ));
    }
    Ok(Guest {
        org_id: share.org_id.clone(),
        document_id: share.document_id.clone(),
        share_id: share.id.clone(),
        session_id: claims.sid,
        recipient_name: share.recipient_name.clone(),
        recipient_email: share.recipient_email.clone(),
        idp_id: claims.idp,
        auth_time: claims.auth_time,
        device_hash: claims.dev,
    })
}

/// Resolves when the guest's share is revoked, for a stream that must end then (the event
/// stream, a download in progress): heard on this node's bus, or, whenever the bus may
/// have missed a revocation, found so in the database. It also resolves when the share
/// has expired by date or cannot be read at all (fails closed). `subscription` must have
/// been taken before the share was last checked.
pub async fn until_revoked(
    core: Arc<Liaison>,
    mut subscription: crate::revocation::Subscription,
    org_id: String,
    share_id: String,
) {
    use crate::revocation::Heard;
    loop {
        match subscription.next_for(&share_id).await {
            Heard::Revoked => return,
            Heard::Unsure => match store::shares::get(core.db.pool(), &org_id, &share_id).await {
                Ok(Some(share)) if share.check_session(core.now()).is_ok() => {}
                _ => return,
            },
        }
    }
}

/// Silent renewal: a fresh token for the same portal session, issued only while the share
/// still passes its checks as they are *now*, re-read from the database: state (revoked,
/// expiry date), policy, network and country, portal membership, the browser's device
/// approval and, for federated guests, that their partner and IdP are still enabled. A
/// session is not renewed past [`MAX_SESSION_AGE`] after its checks were passed: the guest
/// opens the link again (and signs in at the IdP again where the share is federated).
/// The caller authenticated `guest` on this very request.
pub async fn renew(core: &Liaison, guest: &Guest, meta: &RequestMeta) -> Result<PortalSession> {
    let share = store::shares::get(core.db.pool(), &guest.org_id, &guest.share_id)
        .await?
        .ok_or_else(|| ServiceError::InvalidPortalToken("the share no longer exists".into()))?;
    let refuse = |message: &str| Err(ServiceError::InvalidPortalToken(message.to_owned()));
    let age = core.now_ms() / 1000 - guest.auth_time;
    if age > MAX_SESSION_AGE.whole_seconds() {
        return refuse("The portal session is too old to renew; open the link again.");
    }
    let standing = match share.check_session(core.now()) {
        Ok(()) => check_policy_and_place(core, &share, meta).await,
        Err(denial) => Err(denial),
    };
    if let Err(denial) = standing {
        let _ = deny(core, &share, denial, meta).await;
        return refuse(denial.message());
    }
    let device_approved = match &guest.device_hash {
        Some(hash) => store::devices::find(core.db.pool(), &share.org_id, &share.id, hash)
            .await?
            .is_some_and(|d| d.status == "approved"),
        None => false,
    };
    if !device_approved {
        let _ = deny(core, &share, Denial::NotAllowedFromHere, meta).await;
        return refuse(Denial::NotAllowedFromHere.message());
    }
    if let Some(idp_id) = &guest.idp_id {
        if !super::federation::idp_admits_sessions(core, &share, idp_id).await? {
            let _ = deny(core, &share, Denial::FederatedSignInRequired, meta).await;
            return refuse(Denial::FederatedSignInRequired.message());
        }
    }
    issue_session(
        core,
        &share,
        SessionStart {
            session_id: guest.session_id.clone(),
            idp_id: guest.idp_id.clone(),
            auth_time: guest.auth_time,
            device_hash: guest.device_hash.clone(),
        },
    )
}

/// The longest a portal session lives from the moment its checks were passed, however
/// often it is renewed.
pub const MAX_SESSION_AGE: time::Duration = time::Duration::hours(8);

/// What a portal session carries from the open that started it through every renewal.
struct SessionStart {
    session_id: String,
    idp_id: Option<String>,
    /// Unix seconds.
    auth_time: i64,
    device_hash: Option<String>,
}

fn issue_session(core: &Liaison, share: &Share, start: SessionStart) -> Result<PortalSession> {
    let ttl = core
        .settings
        .portal_session_ttl
        .min(crate::Settings::MAX_PORTAL_SESSION_TTL);
    let iat = core.now_ms() / 1000;
    let claims = PortalClaims {
        iss: core.settings.issuer(),
        aud: core.settings.portal_audience(),
        sub: share.id.clone(),
        org: share.org_id.clone(),
        sid: start.session_id,
        iat,
        exp: iat + ttl.whole_seconds(),
        auth_time: start.auth_time,
        dev: start.device_hash,
        partner: start
            .idp_id
            .as_ref()
            .and(share.settings.federation.as_ref())
            .map(|f| f.partner_id.clone()),
        idp: start.idp_id,
    };
    Ok(PortalSession {
        access_token: core.keys.issue(&claims)?,
        expires_in: ttl.whole_seconds(),
        share_id: share.id.clone(),
    })
}

/// An item as the guest sees it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PortalItem {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// The documents the guest's share covers, in order (one for a single revision).
async fn shared_documents(core: &Liaison, guest: &Guest) -> Result<Vec<Arc<DocumentRow>>> {
    let cache = core.revocations.shares();
    let ids = cache
        .covered(&core.db, &guest.org_id, &guest.share_id)
        .await?;
    let mut docs = Vec::with_capacity(ids.len());
    for id in ids.iter() {
        docs.push(
            cache
                .document(&core.db, &guest.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("document"))?,
        );
    }
    Ok(docs)
}

/// The share as a portal request sees it: this node's [`ShareCache`] entry, which a
/// revocation drops before the revoking request answers (see `share_cache`).
///
/// [`ShareCache`]: crate::share_cache::ShareCache
async fn current_share(core: &Liaison, org_id: &str, share_id: &str) -> Result<Option<Arc<Share>>> {
    Ok(core
        .revocations
        .shares()
        .get(&core.db, org_id, share_id)
        .await?)
}

/// Records that the guest tried to print (the browser's `beforeprint`). Printing is blocked
/// in the page where the share does not allow it; either way the attempt is audited.
/// Returns whether printing is allowed.
pub async fn record_print_attempt(
    core: &Liaison,
    guest: &Guest,
    meta: &RequestMeta,
) -> Result<bool> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let allowed = share.settings.allow_print;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &guest.org_id,
            event_type: EventType::PrintAttempted,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(&guest.document_id),
            details: json!({ "allowed": allowed }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(allowed)
}

/// What the portal page shows around the items: marking, instructions, what is allowed.
#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub recipient_name: String,
    pub recipient_email: String,
    pub share_id: String,
    pub tlp: String,
    pub instructions: String,
    pub allow_download: bool,
    pub allow_print: bool,
    pub watermark: bool,
    pub permission: crate::domain::Permission,
    pub items: Vec<PortalItem>,
}

pub async fn overview(core: &Liaison, guest: &Guest) -> Result<Overview> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    Ok(Overview {
        recipient_name: share.recipient_name.clone(),
        recipient_email: share.recipient_email.clone(),
        share_id: share.id.clone(),
        tlp: share.tlp.label(),
        instructions: share.settings.instructions.clone(),
        allow_download: share.settings.allow_download,
        allow_print: share.settings.allow_print,
        watermark: share.settings.watermark,
        permission: share.settings.permission,
        items: items(core, guest).await?,
    })
}

/// The items of the guest's share, and nothing else.
pub async fn items(core: &Liaison, guest: &Guest) -> Result<Vec<PortalItem>> {
    Ok(shared_documents(core, guest)
        .await?
        .iter()
        .map(|d| portal_item(d))
        .collect())
}

fn portal_item(d: &DocumentRow) -> PortalItem {
    PortalItem {
        id: d.id.clone(),
        kind: "document",
        title: d.title.clone(),
        file_name: d.file_name.clone(),
        content_type: d.content_type.clone(),
        size_bytes: d.size_bytes,
    }
}

/// The bytes of one item of the share; any other id is "not found". Audited as a view.
/// Why the guest fetches an item's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Shown inline in the view-only viewer.
    View,
    /// Saved as a file: only where the share allows download.
    Download,
}

pub async fn item_content(
    core: &Liaison,
    guest: &Guest,
    item_id: &str,
    purpose: Purpose,
    meta: &RequestMeta,
) -> Result<(PortalItem, Bytes)> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let d = shared_documents(core, guest)
        .await?
        .into_iter()
        .find(|d| d.id == item_id)
        .ok_or(ServiceError::NotFound("item"))?;
    if purpose == Purpose::Download && !share.settings.allow_download {
        return Err(ServiceError::Forbidden(
            "Downloading is not allowed for this content.",
        ));
    }
    let bytes = core.blobs.get(&d.blob_key).await?;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &guest.org_id,
            event_type: match purpose {
                Purpose::View => EventType::ItemViewed,
                Purpose::Download => EventType::ItemDownloaded,
            },
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(&d.id),
            details: json!({ "title": d.title }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok((portal_item(&d), bytes))
}
