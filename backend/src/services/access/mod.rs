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
//!
//! `landing` (here) is the cheap page before the link is proven; `open` proves it and
//! issues a portal session; `session` authenticates, renews and ends sessions; `content`
//! is what a session may see; `pages` is the protected viewer (documents as watermarked page
//! images); `record` is a record share's record and its signed export.

mod content;
mod home;
mod open;
mod pages;
mod record;
mod session;

use std::sync::Arc;

use secrecy::SecretString;
use serde::Serialize;

use super::portals::branding::GuestBrand;
use super::share_core::{check_standing, deny, device_hash, find, policies_now};
use super::{Result, ServiceError};
use crate::actor::{RequestMeta, Site};
use crate::domain::{DeviceStatus, Share};
use crate::store::{self, devices::DeviceRow};
use crate::Liaison;

pub use content::{
    item_content, items, overview, record_print_attempt, Overview, PortalItem, Purpose,
};
pub use home::{
    add_member, home, link_from_home, sign_out, Home, HomeGroup, HomeShare, ManagerPanel,
    SIGN_OUT_MATTERS_MS,
};
pub use open::open;
pub use pages::{open_view, page_image, PageBox, PageView};
pub use record::{shared_record, signed_record, SignedRecord};
pub use session::{
    authenticate, renew, session_standing, until_ended, GuestStream, SessionEnd, StreamEnd,
    MAX_SESSION_AGE,
};

/// What the link's landing page may show before the token is verified.
#[derive(Clone, Debug, Serialize)]
pub struct Landing {
    pub org_name: String,
    /// The brand of the share's portal.
    pub brand: GuestBrand,
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

/// The share's legal terms (its own, or its portal's as they were when it was created).
async fn terms_of(core: &Liaison, share: &Share) -> Result<Option<Terms>> {
    let Some(id) = share.terms_id.clone() else {
        return Ok(None);
    };
    let t = store::policies::terms(core.db.pool(), &share.org_id, &id)
        .await?
        .ok_or_else(|| ServiceError::fault(format!("share {} names missing terms", share.id)))?;
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

/// The landing page for `GET /s/{token}`: cheap (no PBKDF2), counts nothing. Denials for a
/// known share are audited.
#[tracing::instrument(skip_all)]
pub async fn landing(
    core: &Liaison,
    token_text: &str,
    device: Option<&SecretString>,
    meta: &RequestMeta,
) -> Result<Landing> {
    let (_, share) = find(core, token_text, &meta.site).await?;
    if let Err(denial) = check_standing(core, &share, meta).await {
        return Err(deny(core, &share, denial, meta).await);
    }
    let org = store::orgs::get(core.db.pool(), &share.org_id)
        .await?
        .ok_or(ServiceError::NotFound("organisation"))?;
    let recognised = device_row(core, &share, device)
        .await?
        .is_some_and(|d| d.status == DeviceStatus::Approved);
    Ok(Landing {
        brand: super::portals::branding::for_share(core, &share).await?,
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

/// The brand a denied link's page is shown in (a revoked or expired share's denial is shown
/// in its portal's brand: name, logo, colours, footer). The portal's disclaimer is left
/// out: a denial is often a leaked link, and says no more than it must. A link that finds
/// no share gets the site's brand — Liaison's own on the public URL, the portal's on its
/// domain — which reveals nothing about any other organisation.
#[tracing::instrument(skip_all)]
pub async fn brand_for_link(core: &Liaison, token_text: &str, site: &Site) -> Result<GuestBrand> {
    let brand = match find(core, token_text, site).await {
        Ok((_, share)) => super::portals::branding::for_share(core, &share).await?,
        Err(ServiceError::Denied(_)) => super::portals::branding::for_site(core, site).await?,
        Err(e) => return Err(e),
    };
    Ok(GuestBrand {
        disclaimer_html: String::new(),
        ..brand
    })
}

/// The brand of the share a portal session belongs to.
#[tracing::instrument(skip_all)]
pub async fn brand_for_guest(core: &Liaison, guest: &crate::actor::Guest) -> Result<GuestBrand> {
    match current_share(core, &guest.org_id, &guest.share_id).await? {
        Some(share) => super::portals::branding::for_share(core, &share).await,
        None => Ok(GuestBrand::liaison()),
    }
}
