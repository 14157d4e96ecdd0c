//! A portal session after the open: authenticate each request against the share as it
//! is now, renew silently while every check still passes, end streams once it no longer
//! admits its guest.

use std::sync::Arc;

use super::{current_share, PortalSession};
use crate::actor::{Guest, RequestMeta, Site};
use crate::domain::{Denial, DeviceStatus, Method, Share};
use crate::portal_jwt::PortalClaims;
use crate::services::share_core::{check_policy_and_place, deny};
use crate::services::sites;
use crate::services::{Result, ServiceError};
use crate::store;
use crate::Liaison;

/// Why a portal session no longer admits its guest ([`session_standing`]).
#[derive(Debug)]
pub enum SessionEnd {
    /// The token is not good here (expired, another site's, forged): renew, or open the
    /// link again.
    Token(crate::portal_jwt::JwtError),
    /// The share no longer exists, or is not served on this site.
    Gone,
    /// The guest signed out (here, or everywhere).
    SignedOut,
    /// The share no longer admits them: revoked, expired, outside its networks, a
    /// rejected browser, an ended membership.
    Denied(Denial),
}

/// Authenticates a portal request (cookie or bearer JWT) and re-checks the share *now*:
/// a revoked or expired share fails on the very next request. A session is good only on
/// the site it was issued on (its `aud` is that site's origin), and a portal's domain
/// accepts only its own portal's shares — even a token issued there before the domain
/// changed hands.
#[tracing::instrument(skip_all)]
pub async fn authenticate(core: &Liaison, jwt: &str, meta: &RequestMeta) -> Result<Guest> {
    match session_standing(core, jwt, meta).await? {
        Ok(guest) => Ok(guest),
        Err(SessionEnd::Token(e)) => Err(e.into()),
        Err(SessionEnd::Gone) => Err(ServiceError::InvalidPortalToken(
            "the share no longer exists".into(),
        )),
        Err(SessionEnd::SignedOut) => Err(ServiceError::InvalidPortalToken(
            "You signed out; open the link you were sent to come back.".into(),
        )),
        Err(SessionEnd::Denied(denial)) => Err(ServiceError::InvalidPortalToken(
            denial.message().to_owned(),
        )),
    }
}

/// [`authenticate`]'s checks, saying why a session no longer admits its guest: what a
/// live channel re-runs while it stays open. A denial is audited as on any request.
pub async fn session_standing(
    core: &Liaison,
    jwt: &str,
    meta: &RequestMeta,
) -> Result<std::result::Result<Guest, SessionEnd>> {
    let claims = match core
        .keys
        .verify(
            jwt,
            &core.settings.issuer(),
            &core.settings.origin_of(&meta.site),
        )
        .await
    {
        Ok(claims) => claims,
        Err(e) if e.is_token_fault() => return Ok(Err(SessionEnd::Token(e))),
        Err(e) => return Err(e.into()),
    };
    let Some(share) = current_share(core, &claims.org, &claims.sub)
        .await?
        .filter(|s| sites::serves_share(&meta.site, s))
    else {
        return Ok(Err(SessionEnd::Gone));
    };
    // Signed out — this session, or the recipient everywhere since it passed its checks.
    if store::guest_sessions::signed_out(
        core.db.pool(),
        &share.org_id,
        &claims.sid,
        &share.recipient_email.to_lowercase(),
        claims.auth_time,
    )
    .await?
    {
        return Ok(Err(SessionEnd::SignedOut));
    }
    let mut standing = share.check_session(core.now()).and_then(|()| {
        if share.settings.network_allows(meta.ip) {
            Ok(())
        } else {
            Err(Denial::NotAllowedFromHere)
        }
    });
    // Each rule below applies on its own (one does not stand in for another), each one
    // indexed read, for the shares it concerns only.
    // "Approved devices only": a browser the owner rejects is cut off at its next request,
    // not only at renewal.
    if standing.is_ok() && share.settings.approved_devices_only {
        let approved = match &claims.dev {
            Some(hash) => store::devices::find(core.db.pool(), &share.org_id, &share.id, hash)
                .await?
                .is_some_and(|d| d.status == DeviceStatus::Approved),
            None => false,
        };
        if !approved {
            standing = Err(Denial::NotAllowedFromHere);
        }
    }
    // "Portal members": a membership that ended or passed its end date admits no one from
    // that instant, before its expiry is recorded.
    if standing.is_ok() && share.method == Method::Portal {
        let member = store::portals::is_member(
            core.db.pool(),
            &share.org_id,
            &share.portal_id,
            &share.recipient_email.to_lowercase(),
            core.now_ms(),
        )
        .await?;
        if !member {
            standing = Err(Denial::NotAMember);
        }
    }
    // Federated: the session was vouched for by an IdP that, with its partner, is still
    // enabled — disabling either cuts the guest off at their next request (and open live
    // channels at once: `Committed::GuestsChanged`).
    if standing.is_ok() && share.method == Method::Federated {
        let admitted = match &claims.idp {
            Some(idp) => {
                crate::services::federation::idp_admits_sessions(core, &share, idp).await?
            }
            None => false,
        };
        if !admitted {
            standing = Err(Denial::FederatedSignInRequired);
        }
    }
    // Criminal intelligence (28 CFR Part 23): in an organisation that flags any, a share
    // must still be cleared for what it carries now (one indexed read for the others).
    if standing.is_ok()
        && !crate::services::intelligence::clearance::still_cleared(core, &share).await?
    {
        standing = Err(Denial::PolicyForbids);
    }
    if let Err(denial) = standing {
        let _ = deny(core, &share, denial, meta).await;
        return Ok(Err(SessionEnd::Denied(denial)));
    }
    Ok(Ok(Guest {
        org_id: share.org_id.clone(),
        item_id: share.item_id().to_owned(),
        share_id: share.id.clone(),
        session_id: claims.sid,
        recipient_name: share.recipient_name.clone(),
        recipient_email: share.recipient_email.clone(),
        idp_id: claims.idp,
        auth_time: claims.auth_time,
        device_hash: claims.dev,
    }))
}

/// A guest's open stream (the event stream, a download in progress): the session it
/// speaks for, as the request presented it, and a subscription to the bus taken *before*
/// that session was checked, so that nothing announced since is missed.
pub struct GuestStream {
    pub guest: Guest,
    pub jwt: String,
    pub meta: RequestMeta,
    pub subscription: crate::revocation::Subscription,
}

/// Why a guest's stream ended ([`until_ended`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// The share was revoked (heard on the bus, or found so in the database).
    Revoked,
    /// The share expired, or no longer exists, or the session's token ran out.
    Expired,
    /// The session no longer admits its guest: their browser rejected, their partner or
    /// IdP disabled, signed out, outside the share's networks now.
    NotAllowed,
    /// The database could not be read to tell (the stream fails closed).
    Unchecked,
}

impl StreamEnd {
    /// The event's name on the portal's event stream.
    pub fn kind(self) -> &'static str {
        match self {
            StreamEnd::Revoked => "revoked",
            StreamEnd::Expired => "expired",
            StreamEnd::NotAllowed => "not_allowed",
            StreamEnd::Unchecked => "unavailable",
        }
    }

    /// What the guest is told.
    pub fn message(self) -> &'static str {
        match self {
            StreamEnd::Revoked => Denial::Revoked.message(),
            StreamEnd::Expired => Denial::Expired.message(),
            StreamEnd::NotAllowed => {
                "This session no longer has access to the share; reload the page."
            }
            StreamEnd::Unchecked => "The share could not be checked; reload the page.",
        }
    }
}

/// Resolves when `stream` must end, and says why: at once when its share is revoked on any
/// node (heard on the bus); and whenever what admits the share's or the organisation's
/// guests changed (a browser rejected, a sign-out, a partner or IdP disabled) or the bus
/// may have missed something, once the session, checked again as on a request
/// ([`session_standing`]), no longer admits its guest. Fails closed.
#[tracing::instrument(skip_all)]
pub async fn until_ended(core: Arc<Liaison>, stream: GuestStream) -> StreamEnd {
    use crate::revocation::{Heard, Interest};
    let GuestStream {
        guest,
        jwt,
        meta,
        mut subscription,
    } = stream;
    let interest = Interest {
        share_id: Some(&guest.share_id),
        guests_of: Some(&guest.org_id),
        ..Default::default()
    };
    loop {
        match subscription.next_live(interest).await {
            Heard::Revoked => return StreamEnd::Revoked,
            // Not followed here (no documents or feeds in the interest).
            Heard::Document(_) | Heard::Activity(_) => {}
            Heard::Unsure | Heard::Changed => match session_standing(&core, &jwt, &meta).await {
                Ok(Ok(_)) => {}
                Ok(Err(SessionEnd::Denied(Denial::Revoked))) => return StreamEnd::Revoked,
                Ok(Err(
                    SessionEnd::Denied(Denial::Expired | Denial::AccessCountExceeded)
                    | SessionEnd::Token(_)
                    | SessionEnd::Gone,
                )) => return StreamEnd::Expired,
                Ok(Err(SessionEnd::Denied(_) | SessionEnd::SignedOut)) => {
                    return StreamEnd::NotAllowed
                }
                Err(_) => return StreamEnd::Unchecked,
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
#[tracing::instrument(skip_all)]
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
            .is_some_and(|d| d.status == DeviceStatus::Approved),
        None => false,
    };
    if !device_approved {
        let _ = deny(core, &share, Denial::NotAllowedFromHere, meta).await;
        return refuse(Denial::NotAllowedFromHere.message());
    }
    if let Some(idp_id) = &guest.idp_id {
        if !crate::services::federation::idp_admits_sessions(core, &share, idp_id).await? {
            let _ = deny(core, &share, Denial::FederatedSignInRequired, meta).await;
            return refuse(Denial::FederatedSignInRequired.message());
        }
    }
    issue_session(
        core,
        &share,
        &meta.site,
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
pub(super) struct SessionStart {
    pub(super) session_id: String,
    pub(super) idp_id: Option<String>,
    /// Unix seconds.
    pub(super) auth_time: i64,
    pub(super) device_hash: Option<String>,
}

/// A portal session for `share`, good on `site` only (its `aud`).
pub(super) fn issue_session(
    core: &Liaison,
    share: &Share,
    site: &Site,
    start: SessionStart,
) -> Result<PortalSession> {
    let ttl = core
        .settings
        .portal_session_ttl
        .min(crate::Settings::MAX_PORTAL_SESSION_TTL);
    let iat = core.now_ms() / 1000;
    let claims = PortalClaims {
        iss: core.settings.issuer(),
        aud: core.settings.origin_of(site),
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
