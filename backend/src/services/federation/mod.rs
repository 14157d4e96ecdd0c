//! Federated sign-in flows: a guest opening a federated share, "test connection" for an
//! administrator, and staff signing in to the console through the organisation's own IdP.
//! One code path for SAML and OIDC: [`begin`] sends the browser to the IdP and remembers
//! the sign-in; `finish` verifies the answer (`finish_saml` / `continue_saml`,
//! `finish_oidc`) and `complete` applies it to what the sign-in was for
//! ([`LoginPurpose`]). Every refusal is audited with its reason (`refusals`) and creates
//! nothing.
//!
//! Depends on `share_core` (the proven link, device hashes, the sealed link) and `auth`
//! (the staff session), never on `shares` or `access`.

mod complete;
mod finish;
mod guest;
mod refusals;
mod staff;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use url::Url;

use super::share_core::device_hash;
use super::{Result, ServiceError};
use crate::crypto::{sha256_hex, token::random_b64};
use crate::federation::{
    oidc, saml, AttributeMap, FederationError, Identity, IdpConfig, LoginPurpose,
};
use crate::store::{self, federation::LoginRow, partners::IdpRow};
use crate::Liaison;

pub use finish::{continue_saml, finish_oidc, finish_saml, OidcCallback};
pub use guest::{idp_admits_sessions, landing, signed_in_for_share, start_for_share};
pub use refusals::audit_repeated_junk;
pub use staff::{finish_staff, sp_metadata, staff_idps, start_for_staff};

/// What a federated share's landing page offers.
#[derive(Clone, Debug, Serialize)]
pub struct LandingFederation {
    pub partner_name: String,
    /// Enabled IdPs of the partner: (id, name).
    pub idps: Vec<(String, String)>,
    /// This browser completed a sign-in that this share admits: the email it asserted.
    pub signed_in_as: Option<String>,
}

/// What a completed sign-in leads to.
#[derive(Debug)]
pub enum Finished {
    /// Back to the share's link, where the open form now passes the federated check.
    Share { link: SecretString },
    /// Staff: the browser continues at `/auth/staff/finish?state=…` (same-site, so its
    /// device cookie proves it is the browser that started the sign-in — no login CSRF).
    Staff { state: SecretString },
    /// SAML: the ACS verified the answer and holds it for the browser that posted it. The
    /// edge sets `delivery` as a one-time cookie and sends the browser, same-site, to
    /// `continue_url`, where [`continue_saml`] applies it.
    Delivered {
        continue_url: String,
        delivery: SecretString,
    },
    /// An IdP-initiated staff answer: never a session in a browser that did not ask for
    /// one (login CSRF). The browser starts a sign-in of its own at `url` instead.
    Restart { url: String },
    /// "Test connection": what the IdP asserted.
    Test {
        idp_name: String,
        identity: Identity,
    },
}

fn sp_for(core: &Liaison, idp_id: &str) -> saml::SpEndpoints {
    saml::SpEndpoints::for_idp(&core.settings.issuer(), idp_id)
}

/// The OIDC redirect URI (one for every provider; the state names the sign-in).
pub fn oidc_redirect_uri(core: &Liaison) -> Result<Url> {
    Url::parse(&format!("{}/auth/oidc/callback", core.settings.issuer()))
        .map_err(ServiceError::internal)
}

fn idp_config(idp: &IdpRow) -> Result<IdpConfig> {
    serde_json::from_str(&idp.config)
        .map_err(|e| ServiceError::internal_while(format!("IdP {} config", idp.id), e))
}

fn attribute_map(idp: &IdpRow) -> Result<AttributeMap> {
    serde_json::from_str(&idp.attribute_map)
        .map_err(|e| ServiceError::internal_while(format!("IdP {} attribute map", idp.id), e))
}

/// AAD for an IdP's sealed client secret.
pub(crate) fn secret_context(idp_id: &str) -> String {
    format!("idp-client-secret:{idp_id}")
}

fn client_secret(core: &Liaison, idp: &IdpRow) -> Result<Option<SecretString>> {
    idp.client_secret_sealed
        .as_ref()
        .map(|sealed| {
            let plain = core.sealer.open(&secret_context(&idp.id), sealed)?;
            String::from_utf8(plain.expose_secret().to_vec())
                .map(SecretString::from)
                .map_err(|_| ServiceError::fault("sealed client secret is not UTF-8"))
        })
        .transpose()
}

/// AAD for a SAML connection's sealed SP signing key.
pub(crate) fn sp_key_context(idp_id: &str) -> String {
    format!("sp-key:{idp_id}")
}

/// The connection's SP signing key (PKCS#8 DER), if it has one.
fn sp_key(core: &Liaison, idp: &IdpRow) -> Result<Option<secrecy::SecretSlice<u8>>> {
    idp.sp_key_sealed
        .as_ref()
        .map(|sealed| Ok(core.sealer.open(&sp_key_context(&idp.id), sealed)?))
        .transpose()
}

fn pkce_context(state_hash: &str) -> String {
    format!("pkce:{state_hash}")
}

/// Who is starting the sign-in, and for what.
pub struct Start<'a> {
    pub purpose: LoginPurpose,
    pub share_id: Option<&'a str>,
    pub device: Option<&'a SecretString>,
    pub user_id: Option<&'a str>,
}

/// Sends the browser to the IdP: remembers the sign-in (request id / nonce / PKCE verifier)
/// under the SHA-256 of a fresh random state, and returns the IdP's URL.
#[tracing::instrument(skip_all)]
pub async fn begin(core: &Liaison, idp: &IdpRow, start: Start<'_>) -> Result<Url> {
    if idp.disabled_at.is_some() {
        return Err(FederationError::Disabled.into());
    }
    let state = random_b64(32);
    let state_hash = sha256_hex(state.as_bytes());
    let now = core.now_ms();
    let mut row = LoginRow {
        share_id: start.share_id.map(str::to_owned),
        device_hash: start.device.map(device_hash),
        user_id: start.user_id.map(str::to_owned),
        ..LoginRow::started(
            state_hash.clone(),
            idp.org_id.clone(),
            idp.id.clone(),
            start.purpose,
            now,
        )
    };
    let url = match idp_config(idp)? {
        IdpConfig::Saml(cfg) => {
            // xs:ID must start with a letter or underscore; 128 random bits.
            let request_id = format!("_{}", crate::crypto::hex_lower(&random_bytes::<16>()));
            let key = sp_key(core, idp)?;
            let url = saml::authn_request_url(
                &cfg,
                &sp_for(core, &idp.id),
                &request_id,
                &state,
                key.as_ref().map(|k| k.expose_secret()),
            )?;
            row.saml_request_id = Some(request_id);
            url
        }
        IdpConfig::Oidc(cfg) => {
            let secret = client_secret(core, idp)?;
            let started = oidc::start(
                &core.outbound,
                &cfg,
                secret.as_ref().map(|s| s.expose_secret()),
                &oidc_redirect_uri(core)?,
                &state,
            )
            .await?;
            row.oidc_nonce = Some(started.nonce);
            row.pkce_verifier_sealed = Some(
                core.sealer
                    .seal(&pkce_context(&state_hash), started.pkce_verifier.as_bytes()),
            );
            started.url
        }
    };
    store::federation::insert(core.db.pool(), &row).await?;
    Ok(url)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// Does `presented` hash to `bound` (both SHA-256 hex)? Constant time.
fn same_secret(bound: &str, presented: Option<&SecretString>) -> bool {
    presented.is_some_and(|p| {
        crate::crypto::constant_time_eq(
            sha256_hex(p.expose_secret().as_bytes()).as_bytes(),
            bound.as_bytes(),
        )
    })
}

/// Is the browser presenting `device` the one a sign-in was started from? A sign-in bound
/// to no browser ("test connection" started over the API) opens nothing and passes.
fn same_browser(bound: Option<&str>, device: Option<&SecretString>) -> bool {
    match bound {
        None => true,
        Some(bound) => device.is_some_and(|d| {
            crate::crypto::constant_time_eq(device_hash(d).as_bytes(), bound.as_bytes())
        }),
    }
}
