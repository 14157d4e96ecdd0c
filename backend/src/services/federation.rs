//! Federated sign-in flows: a guest opening a federated share, "test connection" for an
//! administrator, and staff signing in to the console through the organisation's own IdP.
//! One code path for SAML and OIDC: [`begin`] sends the browser to the IdP and remembers
//! the sign-in; [`finish_saml`] / [`finish_oidc`] verify the answer and [`complete`] applies
//! what the sign-in was for. Every refusal is audited with its reason and creates nothing.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use url::Url;

use super::{Result, ServiceError};
use crate::actor::RequestMeta;
use crate::audit::coalesce::{Repeated, Verdict, WINDOW_MS};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::{sha256_hex, token::random_b64};
use crate::domain::{Denial, Method, Share};
use crate::federation::{
    self, oidc, saml, AttributeMap, FederationError, Identity, IdpConfig, LOGIN_TTL_MS,
};
use crate::store::{self, federation::LoginRow, partners::IdpRow};
use crate::Liaison;

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
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

fn idp_config(idp: &IdpRow) -> Result<IdpConfig> {
    serde_json::from_str(&idp.config)
        .map_err(|e| ServiceError::Internal(format!("IdP {} config: {e}", idp.id)))
}

fn attribute_map(idp: &IdpRow) -> Result<AttributeMap> {
    serde_json::from_str(&idp.attribute_map)
        .map_err(|e| ServiceError::Internal(format!("IdP {} attribute map: {e}", idp.id)))
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
                .map_err(|_| ServiceError::Internal("sealed client secret is not UTF-8".into()))
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
pub struct Purpose<'a> {
    pub kind: &'static str,
    pub share_id: Option<&'a str>,
    pub device: Option<&'a SecretString>,
    pub user_id: Option<&'a str>,
}

/// Sends the browser to the IdP: remembers the sign-in (request id / nonce / PKCE verifier)
/// under the SHA-256 of a fresh random state, and returns the IdP's URL.
pub async fn begin(core: &Liaison, idp: &IdpRow, purpose: Purpose<'_>) -> Result<Url> {
    if idp.disabled_at.is_some() {
        return Err(FederationError::Disabled.into());
    }
    let state = random_b64(32);
    let state_hash = sha256_hex(state.as_bytes());
    let now = core.now_ms();
    let mut row = LoginRow {
        state_hash: state_hash.clone(),
        org_id: idp.org_id.clone(),
        idp_id: idp.id.clone(),
        purpose: purpose.kind.into(),
        share_id: purpose.share_id.map(str::to_owned),
        device_hash: purpose.device.map(super::portal::device_hash),
        user_id: purpose.user_id.map(str::to_owned),
        created_at: now,
        expires_at: now + LOGIN_TTL_MS,
        ..LoginRow::default()
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

/// Starts the sign-in for a federated share from its landing page. `idp_id` picks one of
/// the partner's IdPs when it has several (default: the first enabled one).
pub async fn start_for_share(
    core: &Liaison,
    token_text: &str,
    idp_id: Option<&str>,
    device: &SecretString,
    meta: &RequestMeta,
) -> Result<Url> {
    let share = super::portal::proven_link(core, token_text, meta).await?;
    if share.method != Method::Federated {
        return Err(ServiceError::invalid(
            "token",
            "this link does not use partner sign-in",
        ));
    }
    let idps = partner_idps(core, &share).await?;
    let idp = match idp_id {
        Some(id) => idps.into_iter().find(|i| i.id == id),
        None => idps.into_iter().next(),
    }
    .ok_or(ServiceError::NotFound("identity provider"))?;
    begin(
        core,
        &idp,
        Purpose {
            kind: "share",
            share_id: Some(&share.id),
            device: Some(device),
            user_id: None,
        },
    )
    .await
}

/// May a federated session that signed in at `idp_id` go on (be renewed)? Only while the
/// share's partner and that IdP are both still enabled: disabling either ends the
/// partner's sessions at their next renewal.
pub async fn idp_admits_sessions(core: &Liaison, share: &Share, idp_id: &str) -> Result<bool> {
    Ok(partner_idps(core, share)
        .await?
        .iter()
        .any(|i| i.id == idp_id))
}

/// The enabled IdPs of the share's partner (none when the partner is disabled).
async fn partner_idps(core: &Liaison, share: &Share) -> Result<Vec<IdpRow>> {
    let rule = share.settings.federation.as_ref().ok_or_else(|| {
        ServiceError::Internal(format!("federated share {} has no partner", share.id))
    })?;
    let partner = store::partners::get_partner(core.db.pool(), &share.org_id, &rule.partner_id)
        .await?
        .filter(|p| p.disabled_at.is_none());
    if partner.is_none() {
        return Ok(Vec::new());
    }
    Ok(
        store::partners::list_idps(core.db.pool(), &share.org_id, Some(&rule.partner_id))
            .await?
            .into_iter()
            .filter(|i| i.disabled_at.is_none())
            .collect(),
    )
}

/// The landing page's federation block for a federated share.
pub async fn landing(
    core: &Liaison,
    share: &Share,
    device: Option<&SecretString>,
) -> Result<Option<LandingFederation>> {
    if share.method != Method::Federated {
        return Ok(None);
    }
    let Some(rule) = &share.settings.federation else {
        return Ok(None);
    };
    let partner_name =
        store::partners::get_partner(core.db.pool(), &share.org_id, &rule.partner_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
    let idps = partner_idps(core, share)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    let signed_in_as = match device {
        Some(d) => signed_in_for_share(core, share, d)
            .await?
            .and_then(|l| l.identity)
            .and_then(|j| serde_json::from_str::<Identity>(&j).ok())
            .map(|i| i.email),
        None => None,
    };
    Ok(Some(LandingFederation {
        partner_name,
        idps,
        signed_in_as,
    }))
}

/// This browser's completed, unused sign-in for this share, if any.
pub(crate) async fn signed_in_for_share(
    core: &Liaison,
    share: &Share,
    device: &SecretString,
) -> Result<Option<LoginRow>> {
    let hash = super::portal::device_hash(device);
    Ok(
        store::federation::completed_for_device(
            core.db.pool(),
            &share.org_id,
            &hash,
            core.now_ms(),
        )
        .await?
        .filter(|l| l.share_id.as_deref() == Some(share.id.as_str())),
    )
}

/// The ACS: verifies a `SAMLResponse` for IdP `idp_id` and completes the sign-in its
/// RelayState names (or, where allowed, an IdP-initiated staff sign-in).
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
    let identity_json =
        serde_json::to_string(&identity).map_err(|e| ServiceError::Internal(e.to_string()))?;
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
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
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
            crate::crypto::constant_time_eq(
                super::portal::device_hash(d).as_bytes(),
                bound.as_bytes(),
            )
        }),
    }
}

/// Audits a refused step and returns the error to answer with. (A sign-in whose answer
/// reached the wrong browser stays as it is: no browser holds what completing it needs,
/// so every further try is refused and audited too, until it expires.)
async fn refuse(
    core: &Liaison,
    idp: &IdpRow,
    login: Option<&LoginRow>,
    e: FederationError,
    email: Option<&str>,
    meta: &RequestMeta,
) -> Result<ServiceError> {
    tracing::warn!(idp.id = %idp.id, reason = e.code(), "federated sign-in refused");
    audit_failure(core, idp, login, e.code(), email, meta).await?;
    Ok(e.into())
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
            login.oidc_nonce.as_deref().unwrap_or_default(),
            &verifier,
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

async fn audit_failure(
    core: &Liaison,
    idp: &IdpRow,
    login: Option<&LoginRow>,
    reason: &str,
    email: Option<&str>,
    meta: &RequestMeta,
) -> Result<()> {
    let now = core.now_ms();
    let mut details = json!({
        "idp": idp.id,
        "idp_name": idp.name,
        "reason": reason,
        "purpose": login.map(|l| l.purpose.as_str()),
        "asserted_email": email,
    });
    if login.is_none() && email.is_none() {
        // Junk: no sign-in of ours, nothing verified. Once per window, with a count.
        let key = Repeated {
            org_id: idp.org_id.clone(),
            source_id: idp.id.clone(),
            reason: reason.to_owned(),
            address: meta.ip_subject(),
        };
        match core.junk.admit(&key, now) {
            Verdict::Counted => return Ok(()),
            Verdict::Record { earlier_repeats } => {
                details["repeated_before"] = json!(earlier_repeats);
            }
        }
    }
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &idp.org_id,
            event_type: EventType::FederatedSignInFailed,
            actor: AuditActor::Federated {
                name: email.unwrap_or("unknown"),
                idp_id: &idp.id,
            },
            share_id: login.and_then(|l| l.share_id.as_deref()),
            item_id: None,
            details,
            meta,
            at_ms: now,
        },
    )
    .await?;
    Ok(())
}

/// Records what [`audit_failure`] only counted: one event per (IdP, reason, address)
/// whose window has passed, naming how many refusals it stands for. Run periodically.
pub async fn audit_repeated_junk(core: &Liaison) -> Result<usize> {
    let finished = core.junk.take_finished(core.now_ms());
    for (key, count) in &finished {
        audit::record_alone(
            &core.db,
            NewEvent {
                org_id: &key.org_id,
                event_type: EventType::FederatedSignInFailed,
                actor: AuditActor::Federated {
                    name: "unknown",
                    idp_id: &key.source_id,
                },
                share_id: None,
                item_id: None,
                details: json!({
                    "idp": key.source_id,
                    "reason": key.reason,
                    "repeated": count,
                    "address": key.address,
                    "window_minutes": WINDOW_MS / 60_000,
                }),
                meta: &RequestMeta::default(),
                at_ms: core.now_ms(),
            },
        )
        .await?;
    }
    Ok(finished.len())
}

/// Applies a verified identity to what the sign-in was for.
async fn complete(
    core: &Liaison,
    idp: &IdpRow,
    login: LoginRow,
    state: &str,
    identity: Identity,
    protocol: &str,
    meta: &RequestMeta,
) -> Result<Finished> {
    let now = core.now_ms();
    let identity_json =
        serde_json::to_string(&identity).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let purpose = login.purpose.clone();
    // Who the IdP may vouch for: a partner IdP only for addresses in the partner's domains.
    // ("Test connection" shows whatever was asserted: it opens nothing.)
    if let (Some(partner_id), false) = (&idp.partner_id, purpose == "test") {
        let domains = store::partners::domains(core.db.pool(), &idp.org_id, partner_id).await?;
        let domain = federation::email_domain(&identity.email).unwrap_or_default();
        if !domains.contains(&domain) {
            audit_failure(
                core,
                idp,
                Some(&login),
                "email_outside_partner_domains",
                Some(&identity.email),
                meta,
            )
            .await?;
            return Err(FederationError::Refused(format!(
                "{} is not in one of this partner's email domains",
                identity.email
            ))
            .into());
        }
    }
    let mut tx = core.db.begin().await?;
    let finished = match purpose.as_str() {
        "share" => {
            let login = &login;
            let share_id = login.share_id.as_deref().unwrap_or_default();
            let share = store::shares::get(&mut *tx, &idp.org_id, share_id)
                .await?
                .ok_or(ServiceError::NotFound("share"))?;
            let admits = share.settings.federation.as_ref().is_some_and(|rule| {
                Some(&rule.partner_id) == idp.partner_id.as_ref()
                    && (rule.any_partner_user
                        || identity
                            .email
                            .eq_ignore_ascii_case(share.recipient_email.trim()))
            });
            if !admits {
                tx.rollback().await?;
                audit_failure(
                    core,
                    idp,
                    Some(login),
                    Denial::FederatedIdentityMismatch.code(),
                    Some(&identity.email),
                    meta,
                )
                .await?;
                return Err(ServiceError::Denied(Denial::FederatedIdentityMismatch));
            }
            if !store::federation::complete(&mut *tx, &login.state_hash, &identity_json, now)
                .await?
            {
                tx.rollback().await?;
                return Err(FederationError::Replayed.into());
            }
            store::partners::upsert_guest(
                &mut tx,
                &store::partners::FederatedGuestRow {
                    id: store::new_id(),
                    org_id: idp.org_id.clone(),
                    partner_id: idp.partner_id.clone().unwrap_or_default(),
                    idp_id: idp.id.clone(),
                    subject: identity.subject.clone(),
                    email: identity.email.clone(),
                    display_name: identity.display_name.clone(),
                    organisation: identity.organisation.clone(),
                    groups: serde_json::to_string(&identity.groups).unwrap_or_else(|_| "[]".into()),
                    first_seen_at: now,
                    last_seen_at: now,
                },
            )
            .await?;
            audit::record(
                &mut tx,
                NewEvent {
                    org_id: &idp.org_id,
                    event_type: EventType::FederatedSignIn,
                    actor: AuditActor::Federated {
                        name: &identity.display_name,
                        idp_id: &idp.id,
                    },
                    share_id: Some(&share.id),
                    item_id: Some(&share.document_id),
                    details: json!({
                        "idp": idp.id, "idp_name": idp.name, "protocol": protocol,
                        "email": identity.email, "subject": identity.subject,
                        "partner": idp.partner_id,
                    }),
                    meta,
                    at_ms: now,
                },
            )
            .await?;
            Finished::Share {
                link: super::shares::share_link(core, &share.org_id, &share.id).await?,
            }
        }
        "test" => {
            let login = &login;
            if !store::federation::complete(&mut *tx, &login.state_hash, &identity_json, now)
                .await?
            {
                tx.rollback().await?;
                return Err(FederationError::Replayed.into());
            }
            audit::record(
                &mut tx,
                NewEvent {
                    org_id: &idp.org_id,
                    event_type: EventType::FederationTested,
                    actor: AuditActor::Federated {
                        name: &identity.display_name,
                        idp_id: &idp.id,
                    },
                    share_id: None,
                    item_id: None,
                    details: json!({
                        "idp": idp.id, "idp_name": idp.name, "protocol": protocol,
                        "tested_by": login.user_id, "identity": identity,
                    }),
                    meta,
                    at_ms: now,
                },
            )
            .await?;
            Finished::Test {
                idp_name: idp.name.clone(),
                identity,
            }
        }
        _ => {
            // Staff: only the organisation's own IdP, only existing, enabled accounts of
            // this organisation (roles stay Liaison's; the IdP proves who, not what).
            if idp.partner_id.is_some() {
                tx.rollback().await?;
                audit_failure(
                    core,
                    idp,
                    Some(&login),
                    "partner_idp_for_staff",
                    Some(&identity.email),
                    meta,
                )
                .await?;
                return Err(ServiceError::Forbidden(
                    "a partner's IdP cannot sign staff in",
                ));
            }
            let user = store::users::find_by_email(&mut *tx, &identity.email)
                .await?
                .filter(|u| u.org_id == idp.org_id && u.disabled_at.is_none());
            let Some(user) = user else {
                tx.rollback().await?;
                audit_failure(
                    core,
                    idp,
                    Some(&login),
                    "no_staff_account",
                    Some(&identity.email),
                    meta,
                )
                .await?;
                return Err(ServiceError::Forbidden(
                    "there is no Liaison account for this identity in this organisation",
                ));
            };
            // The console session itself is created at `/auth/staff/finish`, in the browser
            // that started the sign-in; here the sign-in is only marked completed.
            if !store::federation::complete(&mut *tx, &login.state_hash, &identity_json, now)
                .await?
            {
                tx.rollback().await?;
                return Err(FederationError::Replayed.into());
            }
            let _ = user;
            Finished::Staff {
                state: SecretString::from(state.to_owned()),
            }
        }
    };
    tx.commit().await?;
    Ok(finished)
}

/// Starts staff sign-in at the organisation's own IdP (`/login` offers it by id).
pub async fn start_for_staff(core: &Liaison, idp_id: &str, device: &SecretString) -> Result<Url> {
    let idp = store::partners::get_idp_any_org(core.db.pool(), idp_id)
        .await?
        .filter(|i| i.partner_id.is_none())
        .ok_or(ServiceError::NotFound("identity provider"))?;
    begin(
        core,
        &idp,
        Purpose {
            kind: "staff",
            share_id: None,
            device: Some(device),
            user_id: None,
        },
    )
    .await
}

/// Every organisation's enabled staff IdPs, for the sign-in page: (id, name).
pub async fn staff_idps(core: &Liaison) -> Result<Vec<(String, String)>> {
    Ok(store::partners::list_staff_idps_all(core.db.pool())
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect())
}

/// SP metadata for one SAML IdP connection.
pub async fn sp_metadata(core: &Liaison, idp_id: &str) -> Result<String> {
    let idp = store::partners::get_idp_any_org(core.db.pool(), idp_id)
        .await?
        .filter(|i| i.kind == "saml")
        .ok_or(ServiceError::NotFound("identity provider"))?;
    Ok(saml::sp_metadata_xml(
        &sp_for(core, &idp.id),
        idp.sp_cert.as_deref(),
    ))
}

/// The last step of a staff sign-in at the organisation's IdP: in the browser that started
/// it (its device cookie matches), once, within the sign-in window. Returns the staff
/// member to put in the console session.
pub async fn finish_staff(
    core: &Liaison,
    state: &str,
    device: Option<&SecretString>,
    meta: &RequestMeta,
) -> Result<crate::actor::Staff> {
    let refused = || {
        ServiceError::Unauthenticated(
            "This sign-in is unknown, expired or was already used. Sign in again.",
        )
    };
    let state_hash = sha256_hex(state.as_bytes());
    let Some(login) = store::federation::by_state(core.db.pool(), &state_hash).await? else {
        return Err(refused());
    };
    let usable = login.purpose == "staff"
        && login.completed_at.is_some()
        && login.consumed_at.is_none()
        && login.expires_at > core.now_ms()
        && login.device_hash.is_some()
        && same_browser(login.device_hash.as_deref(), device);
    if !usable {
        // Someone holds this state but not the finished sign-in in the browser that started
        // it (a lure, a replay, a late or repeated click): audited against its organisation.
        if let Some(idp) =
            store::partners::get_idp(core.db.pool(), &login.org_id, &login.idp_id).await?
        {
            audit_failure(core, &idp, Some(&login), "staff_finish_refused", None, meta).await?;
        }
        return Err(refused());
    }
    let identity: Identity = login
        .identity
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(refused)?;
    let user = store::users::find_by_email(core.db.pool(), &identity.email)
        .await?
        .filter(|u| u.org_id == login.org_id && u.disabled_at.is_none())
        .ok_or(ServiceError::Forbidden(
            "there is no Liaison account for this identity in this organisation",
        ))?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::federation::consume(&mut *tx, &login.org_id, &state_hash, now).await? {
        tx.rollback().await?;
        return Err(refused());
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &login.org_id,
            event_type: EventType::SignedIn,
            actor: AuditActor::Federated {
                name: &user.display_name,
                idp_id: &login.idp_id,
            },
            share_id: None,
            item_id: None,
            details: json!({ "method": "idp", "idp": login.idp_id, "user": user.id, "email": identity.email }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    super::auth::staff_for_session(core, &user.id)
        .await?
        .ok_or(ServiceError::Forbidden("this account is disabled"))
}
