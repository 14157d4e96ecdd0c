//! The IdP's answer: the SAML ACS and its same-site continuation, and the OIDC redirect
//! URI. Each checks that the answer reaches the browser that started the sign-in before
//! anything is recorded, then hands the verified identity to `complete`.

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::complete::complete;
use super::refusals::{audit_failure, refuse};
use super::{
    attribute_map, client_secret, idp_config, oidc_redirect_uri, pkce_context, same_browser,
    same_secret, sp_for, Finished,
};
use crate::actor::RequestMeta;
use crate::crypto::{sha256_hex, token::random_b64};
use crate::federation::{self, oidc, saml, FederationError, Identity, IdpConfig};
use crate::services::{Result, ServiceError};
use crate::store;
use crate::Liaison;

/// The ACS: verifies a `SAMLResponse` for IdP `idp_id` and completes the sign-in its
/// RelayState names (or, where allowed, an IdP-initiated staff sign-in).
#[tracing::instrument(skip_all)]
pub async fn finish_saml(
    core: &Liaison,
    idp_id: &str,
    saml_response: &str,
    relay_state: Option<&str>,
    meta: &RequestMeta,
) -> Result<Finished> {
    let idp = store::partners::get_idp_any_org(core.db.pool(), idp_id)
        .await?
        .ok_or(ServiceError::NotFound("identity provider"))?;
    let login = match relay_state {
        Some(s) if !s.is_empty() => {
            store::federation::pending(core.db.pool(), &sha256_hex(s.as_bytes()), core.now_ms())
                .await?
                .filter(|l| l.idp_id == idp.id)
        }
        _ => None,
    };
    let outcome = async {
        if idp.disabled_at.is_some() {
            return Err(FederationError::Disabled);
        }
        let IdpConfig::Saml(cfg) =
            idp_config(&idp).map_err(|e| FederationError::Refused(e.to_string()))?
        else {
            return Err(FederationError::Refused(
                "this IdP is not a SAML IdP".into(),
            ));
        };
        if relay_state.is_some_and(|s| !s.is_empty()) && login.is_none() {
            // A RelayState we did not issue (or one already used or expired).
            return Err(FederationError::UnknownState);
        }
        if login.is_none() && idp.partner_id.is_some() {
            // Partner guests start from their link; an unsolicited answer has no share.
            return Err(FederationError::IdpInitiatedNotAllowed);
        }
        let map = attribute_map(&idp).map_err(|e| FederationError::Refused(e.to_string()))?;
        let sp = sp_for(core, &idp.id);
        let expected = login.as_ref().and_then(|l| l.saml_request_id.clone());
        let response = saml_response.to_owned();
        let skew_ms = cfg.skew_secs.unwrap_or(federation::DEFAULT_SKEW_SECS) * 1000;
        let verified = tokio::task::spawn_blocking(move || {
            saml::verify_response(&cfg, &sp, &map, &response, expected.as_deref())
        })
        .await
        .map_err(|e| FederationError::Refused(format!("verification did not finish: {e}")))??;
        // One-time use: the assertion id is remembered for as long as the assertion could
        // still be accepted — its NotOnOrAfter plus the skew the check tolerates.
        let fresh = store::federation::remember_assertion(
            core.db.pool(),
            &idp.org_id,
            &idp.id,
            &verified.assertion_id,
            verified.valid_until.timestamp_millis() + skew_ms,
        )
        .await
        .map_err(|e| FederationError::Refused(e.to_string()))?;
        if !fresh {
            return Err(FederationError::Replayed);
        }
        Ok(verified.identity)
    }
    .await;
    let identity = match outcome {
        Ok(identity) => identity,
        Err(e) => return Err(refuse(core, &idp, login.as_ref(), e, None, meta).await?),
    };
    let (Some(login), Some(state)) = (login, relay_state) else {
        // IdP-initiated, for staff (partner IdPs were refused above): the assertion is
        // used up, and this browser is sent to start a sign-in bound to itself.
        audit_failure(
            core,
            &idp,
            None,
            "idp_initiated_restarted",
            Some(&identity.email),
            meta,
        )
        .await?;
        return Ok(Finished::Restart {
            url: format!("{}/auth/staff/{}", core.settings.issuer(), idp.id),
        });
    };
    let delivery = random_b64(32);
    let identity_json = serde_json::to_string(&identity).map_err(ServiceError::internal)?;
    if !store::federation::deliver(
        core.db.pool(),
        &login.state_hash,
        &sha256_hex(delivery.as_bytes()),
        &identity_json,
        core.now_ms(),
    )
    .await?
    {
        return Err(refuse(
            core,
            &idp,
            Some(&login),
            FederationError::Replayed,
            None,
            meta,
        )
        .await?);
    }
    let mut continue_url = Url::parse(&format!(
        "{}/auth/saml/{}/continue",
        core.settings.issuer(),
        idp.id
    ))
    .map_err(ServiceError::internal)?;
    continue_url.query_pairs_mut().append_pair("state", state);
    Ok(Finished::Delivered {
        continue_url: continue_url.into(),
        delivery: SecretString::from(delivery),
    })
}

/// The same-site step after the ACS (`GET /auth/saml/{idp}/continue`): applies a delivered
/// answer only in a browser holding both the delivery cookie set on the ACS response and
/// the device cookie the sign-in was started with. Either alone proves nothing: the
/// delivery cookie is in whichever browser the IdP answered, the device cookie in
/// whichever browser started the sign-in.
#[tracing::instrument(skip_all)]
pub async fn continue_saml(
    core: &Liaison,
    idp_id: &str,
    state: &str,
    delivery: Option<&SecretString>,
    device: Option<&SecretString>,
    meta: &RequestMeta,
) -> Result<Finished> {
    let login =
        store::federation::delivered(core.db.pool(), &sha256_hex(state.as_bytes()), core.now_ms())
            .await?
            .filter(|l| l.idp_id == idp_id)
            .ok_or(FederationError::UnknownState)?;
    let idp = store::partners::get_idp(core.db.pool(), &login.org_id, &login.idp_id)
        .await?
        .ok_or(ServiceError::NotFound("identity provider"))?;
    let delivered_here = login
        .delivery_hash
        .as_deref()
        .is_some_and(|bound| same_secret(bound, delivery));
    if !delivered_here || !same_browser(login.device_hash.as_deref(), device) {
        return Err(refuse(
            core,
            &idp,
            Some(&login),
            FederationError::BrowserMismatch,
            None,
            meta,
        )
        .await?);
    }
    if idp.disabled_at.is_some() {
        return Err(refuse(
            core,
            &idp,
            Some(&login),
            FederationError::Disabled,
            None,
            meta,
        )
        .await?);
    }
    let identity: Identity = login
        .identity
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or(FederationError::UnknownState)?;
    complete(core, &idp, login, state, identity, "saml", meta).await
}

/// The OIDC redirect URI: `state` names the sign-in; `error` is the provider's refusal.
pub struct OidcCallback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub iss: Option<&'a str>,
    pub error: Option<&'a str>,
    pub error_description: Option<&'a str>,
}

/// The OIDC redirect URI. A top-level GET, so the browser's SameSite=Lax device cookie
/// comes with it: an answer arriving in a browser other than the one that started the
/// sign-in is refused before the code is redeemed or anything is recorded.
#[tracing::instrument(skip_all)]
pub async fn finish_oidc(
    core: &Liaison,
    cb: OidcCallback<'_>,
    device: Option<&SecretString>,
    meta: &RequestMeta,
) -> Result<Finished> {
    let login = match cb.state {
        Some(s) if !s.is_empty() => {
            store::federation::pending(core.db.pool(), &sha256_hex(s.as_bytes()), core.now_ms())
                .await?
        }
        _ => None,
    };
    // Without a sign-in of ours there is no IdP to attribute the failure to: the state is
    // forged, replayed or expired (CSRF on the redirect URI).
    let Some(login) = login else {
        tracing::warn!(reason = "unknown_state", "OIDC callback refused");
        return Err(FederationError::UnknownState.into());
    };
    let idp = store::partners::get_idp(core.db.pool(), &login.org_id, &login.idp_id)
        .await?
        .ok_or(ServiceError::NotFound("identity provider"))?;
    if !same_browser(login.device_hash.as_deref(), device) {
        return Err(refuse(
            core,
            &idp,
            Some(&login),
            FederationError::BrowserMismatch,
            None,
            meta,
        )
        .await?);
    }
    let outcome = async {
        if idp.disabled_at.is_some() {
            return Err(FederationError::Disabled);
        }
        if let Some(err) = cb.error {
            let detail = cb.error_description.unwrap_or_default();
            return Err(FederationError::IdpError(
                format!("{err} {detail}").trim().to_owned(),
            ));
        }
        let IdpConfig::Oidc(cfg) =
            idp_config(&idp).map_err(|e| FederationError::Refused(e.to_string()))?
        else {
            return Err(FederationError::Refused(
                "this IdP is not an OpenID Provider".into(),
            ));
        };
        let code = cb
            .code
            .ok_or_else(|| FederationError::Malformed("the callback has no code".into()))?;
        let refused = |e: ServiceError| FederationError::Refused(e.to_string());
        let secret = client_secret(core, &idp).map_err(refused)?;
        let verifier = login
            .pkce_verifier_sealed
            .as_ref()
            .ok_or(FederationError::UnknownState)
            .and_then(|sealed| {
                core.sealer
                    .open(&pkce_context(&login.state_hash), sealed)
                    .map_err(|_| FederationError::UnknownState)
            })?;
        let verifier = String::from_utf8(verifier.expose_secret().to_vec())
            .map_err(|_| FederationError::UnknownState)?;
        let map = attribute_map(&idp).map_err(refused)?;
        oidc::finish(
            &core.outbound,
            &cfg,
            secret.as_ref().map(|s| s.expose_secret()),
            &oidc_redirect_uri(core).map_err(refused)?,
            &map,
            oidc::Remembered {
                nonce: login.oidc_nonce.as_deref().unwrap_or_default(),
                pkce_verifier: &verifier,
            },
            oidc::CallbackParams { code, iss: cb.iss },
        )
        .await
    }
    .await;
    match outcome {
        Ok(identity) => {
            let state = cb.state.unwrap_or_default();
            complete(core, &idp, login, state, identity, "oidc", meta).await
        }
        Err(e) => Err(refuse(core, &idp, Some(&login), e, None, meta).await?),
    }
}
