//! OpenID Connect relying party: issuer discovery, authorization code flow with PKCE (S256),
//! state and nonce, `id_token` validation, RFC 9207 `iss` check, userinfo for missing claims.

use std::collections::BTreeMap;

use base64::Engine as _;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::outbound::Outbound;
use super::{AttributeMap, FederationError, Identity};

/// An OpenID Provider as configured for a partner (or for staff sign-in).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct OidcIdpConfig {
    /// The issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Clock skew tolerated on `iat` (seconds).
    #[serde(default)]
    pub skew_secs: Option<i64>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

/// Algorithms an `id_token` may be signed with: asymmetric only. `none` and the HMAC
/// family are never accepted (an HMAC "signature" keyed with the client secret proves
/// nothing about the provider, and `none` proves nothing at all).
const ASYMMETRIC: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Where to send the browser, and what the sign-in row must remember.
pub struct AuthStart {
    pub url: Url,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The provider's metadata, fetched through the outbound guard. Discovery also checks that
/// the document's `issuer` equals the configured issuer (OIDC Discovery §4.3).
pub async fn discover(
    http: &Outbound,
    issuer: &str,
) -> Result<CoreProviderMetadata, FederationError> {
    let issuer = IssuerUrl::new(issuer.to_owned())
        .map_err(|e| FederationError::Refused(format!("the issuer is not a URL: {e}")))?;
    http.check_url(issuer.url())?;
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| FederationError::Unreachable(format!("discovery failed: {e}")))
}

fn client(
    meta: CoreProviderMetadata,
    cfg: &OidcIdpConfig,
    secret: Option<&str>,
    redirect: &Url,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    FederationError,
> {
    Ok(CoreClient::from_provider_metadata(
        meta,
        ClientId::new(cfg.client_id.clone()),
        secret.map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::from_url(redirect.clone())))
}

/// Builds the authorization request: code flow, PKCE S256, the caller's state, a fresh
/// nonce.
pub async fn start(
    http: &Outbound,
    cfg: &OidcIdpConfig,
    secret: Option<&str>,
    redirect: &Url,
    state: &str,
) -> Result<AuthStart, FederationError> {
    let meta = discover(http, &cfg.issuer).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let client = client(meta, cfg, secret, redirect)?;
    let mut req = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        move || CsrfToken::new(state),
        Nonce::new_random,
    );
    for s in cfg.scopes.iter().filter(|s| *s != "openid") {
        req = req.add_scope(Scope::new(s.clone()));
    }
    let (url, _, nonce) = req.set_pkce_challenge(challenge).url();
    Ok(AuthStart {
        url,
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// What came back on the redirect URI (the state was already matched by the caller).
pub struct CallbackParams<'a> {
    pub code: &'a str,
    /// RFC 9207 `iss` parameter, if the provider sent one.
    pub iss: Option<&'a str>,
}

/// What this sign-in remembered when it sent the browser to the provider.
pub struct Remembered<'a> {
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
}

/// Redeems the code and verifies the `id_token`.
///
/// Checks, each against a named attack:
/// - RFC 9207 `iss` parameter equals the configured issuer — stops the mix-up attack (a
///   code from one provider replayed to the callback of another);
/// - PKCE verifier — stops code interception and injection;
/// - `id_token` signature by a key in the provider's JWKS, with an algorithm the provider's
///   metadata lists *and* that is asymmetric — stops forged tokens, `alg: none`, HMAC with
///   the client secret or a public key, and tokens signed by an unknown key;
/// - `iss` and `aud` (and `azp` when several audiences) — stops tokens minted for another
///   client or by another provider;
/// - `exp` and `iat` (within `skew`, not older than the sign-in window) — stops replay of old
///   tokens;
/// - `nonce` equals the one stored with this sign-in — stops token injection and replay.
pub async fn finish(
    http: &Outbound,
    cfg: &OidcIdpConfig,
    secret: Option<&str>,
    redirect: &Url,
    map: &AttributeMap,
    remembered: Remembered<'_>,
    params: CallbackParams<'_>,
) -> Result<Identity, FederationError> {
    let Remembered {
        nonce,
        pkce_verifier,
    } = remembered;
    if let Some(iss) = params.iss {
        if iss != cfg.issuer {
            return Err(FederationError::IssuerParameterMismatch);
        }
    }
    let meta = discover(http, &cfg.issuer).await?;
    let allowed: Vec<CoreJwsSigningAlgorithm> = meta
        .id_token_signing_alg_values_supported()
        .iter()
        .filter(|a| ASYMMETRIC.contains(a))
        .cloned()
        .collect();
    if allowed.is_empty() {
        return Err(FederationError::Refused(
            "the provider signs id_tokens only with algorithms Liaison does not accept".into(),
        ));
    }
    let userinfo_url = meta.userinfo_endpoint().map(|u| u.url().clone());
    let client = client(meta, cfg, secret, redirect)?;
    let token = client
        .exchange_code(AuthorizationCode::new(params.code.to_owned()))
        .map_err(|e| FederationError::Refused(format!("the provider has no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(token_error)?;
    let id_token = token
        .id_token()
        .ok_or_else(|| FederationError::Malformed("the token response has no id_token".into()))?;
    let skew = chrono::Duration::seconds(cfg.skew_secs.unwrap_or(super::DEFAULT_SKEW_SECS));
    let oldest = chrono::Duration::milliseconds(super::LOGIN_TTL_MS);
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(allowed)
        .set_issue_time_verifier_fn(move |iat| {
            let now = chrono::Utc::now();
            if iat > now + skew {
                Err("issued in the future".into())
            } else if iat + oldest < now {
                Err("issued too long ago".into())
            } else {
                Ok(())
            }
        });
    let claims = id_token
        .claims(&verifier, &Nonce::new(nonce.to_owned()))
        .map_err(claims_error)?;
    let subject = claims.subject().as_str().to_owned();
    // The signature is verified: the payload's claims (including ones the library does
    // not model, such as groups) may now be read as asserted.
    let mut attributes = payload_claims(&id_token.to_string())?;
    let has_email = claims.email().is_some();
    if !has_email || claims.name().is_none() {
        if let Some(url) = userinfo_url {
            for (k, v) in userinfo(http, &url, token.access_token().secret(), &subject).await? {
                attributes.entry(k).or_insert(v);
            }
        }
    }
    // An address the provider itself says it has not verified proves nothing: a share
    // bound to that address (and a staff account) would open for whoever typed it in at
    // the provider. An absent claim leaves the address as the provider asserts it.
    let unverified = claims.email_verified() == Some(false)
        || attributes
            .get("email_verified")
            .is_some_and(|v| v.iter().any(|x| x == "false"));
    if unverified {
        return Err(FederationError::EmailNotVerified);
    }
    map.identity(subject, attributes, None)
}

/// Userinfo (OIDC Core §5.3.2): its `sub` must equal the `id_token`'s, or the answer is
/// about someone else (token substitution) and is refused.
async fn userinfo(
    http: &Outbound,
    url: &Url,
    access_token: &str,
    subject: &str,
) -> Result<BTreeMap<String, Vec<String>>, FederationError> {
    let req = http::Request::builder()
        .method(http::Method::GET)
        .uri(url.as_str())
        .header(
            http::header::AUTHORIZATION,
            format!("Bearer {access_token}"),
        )
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| FederationError::Malformed(e.to_string()))?;
    let resp = openidconnect::AsyncHttpClient::call(http, req)
        .await
        .map_err(|e| FederationError::Unreachable(format!("userinfo: {e}")))?;
    if !resp.status().is_success() {
        return Err(FederationError::IdpError(format!(
            "userinfo answered {}",
            resp.status()
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(resp.body())
        .map_err(|_| FederationError::Malformed("userinfo is not JSON".into()))?;
    let claims = flatten_claims(&value);
    if claims
        .get("sub")
        .and_then(|v| v.first())
        .map(String::as_str)
        != Some(subject)
    {
        return Err(FederationError::Refused(
            "userinfo describes a different subject than the id_token".into(),
        ));
    }
    Ok(claims)
}

fn payload_claims(jwt: &str) -> Result<BTreeMap<String, Vec<String>>, FederationError> {
    let payload = jwt
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .ok_or_else(|| FederationError::Malformed("the id_token payload is not JSON".into()))?;
    Ok(flatten_claims(&payload))
}

/// Claims as name → string values (arrays become several values; objects are skipped).
fn flatten_claims(value: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    let as_text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let values: Vec<String> = match v {
                serde_json::Value::Array(xs) => xs.iter().filter_map(as_text).collect(),
                other => as_text(other).into_iter().collect(),
            };
            (!values.is_empty()).then(|| (k.clone(), values))
        })
        .collect()
}

fn token_error<E: std::error::Error>(e: E) -> FederationError {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    // Token responses carrying an unparseable id_token (alg "none" among them) fail here.
    if msg.contains("alg") || msg.contains("none") {
        return FederationError::DisallowedAlgorithm;
    }
    FederationError::IdpError(format!("the code was not accepted: {msg}"))
}

fn claims_error(e: openidconnect::ClaimsVerificationError) -> FederationError {
    use openidconnect::{ClaimsVerificationError as C, SignatureVerificationError as S};
    match e {
        C::Expired(_) => FederationError::Expired,
        C::InvalidAudience(_) => FederationError::WrongAudience,
        C::InvalidIssuer(_) => FederationError::WrongIssuer,
        C::InvalidNonce(_) => FederationError::NonceMismatch,
        C::SignatureVerification(S::NoMatchingKey) => FederationError::UnknownKey,
        C::SignatureVerification(S::DisallowedAlg(_) | S::NoSignature | S::UnsupportedAlg(_)) => {
            FederationError::DisallowedAlgorithm
        }
        C::SignatureVerification(_) => FederationError::BadSignature,
        C::Other(m) if m.contains("in the future") => FederationError::NotYetValid,
        C::Other(m) if m.contains("too long ago") => FederationError::Expired,
        other => FederationError::Malformed(other.to_string()),
    }
}
