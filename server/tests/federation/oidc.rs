//! OpenID Connect: a partner user signs in at the real `oidc-provider`; the attack matrix
//! against a hostile provider (served here) and the real one (mix-up, state).

use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{self, reason, App, Client};

async fn oidc_idp(app: &App, partner: &str, issuer: &str) -> String {
    let (s, idp) = app
        .rest(
            Method::POST,
            &format!("/api/v1/partners/{partner}/idps"),
            Some(json!({
                "kind": "oidc",
                "name": "Partner OIDC",
                "issuer": issuer,
                "client_id": "liaison",
                "client_secret": "liaison-test-secret",
            })),
        )
        .await;
    assert_eq!(s, 201, "{idp}");
    assert_eq!(idp["has_client_secret"], true);
    assert!(
        idp.get("client_secret").is_none(),
        "the secret is never returned"
    );
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT client_secret_sealed FROM identity_providers WHERE id = $1")
            .bind(idp["id"].as_str().unwrap())
            .fetch_one(app.core.db.pool())
            .await
            .unwrap();
    assert!(
        !sealed
            .windows(b"liaison-test-secret".len())
            .any(|w| w == b"liaison-test-secret"),
        "the client secret is stored sealed"
    );
    idp["id"].as_str().unwrap().to_owned()
}

/// Starts the share's sign-in and logs in at oidc-provider as `login`; returns the
/// callback URL the provider redirects the browser to (not yet followed).
async fn sign_in_at_op(app: &App, browser: &Client, token: &str, login: &str) -> String {
    let start = browser
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token)],
            Some(&app.base),
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.body);
    let auth_url = harness::refresh_url(&start);
    assert!(
        auth_url.contains("code_challenge_method=S256"),
        "PKCE S256: {auth_url}"
    );
    assert!(auth_url.contains("nonce="), "nonce: {auth_url}");
    drive_op(app, browser, &auth_url, login).await
}

/// Follows the provider from `auth_url`, logging in as `login`; returns the callback URL.
async fn drive_op(app: &App, browser: &Client, auth_url: &str, login: &str) -> String {
    // Follow the provider's redirects, logging in when it asks (a second sign-in in the
    // same browser reuses the provider's session); stop at the callback, unfollowed.
    let mut page = browser.get(auth_url).await;
    for _ in 0..15 {
        if let Some(next) = page.location.clone() {
            if next.starts_with(&app.base) {
                return next;
            }
            page = browser.get(&next).await;
        } else if page.url.contains("/interaction/") {
            let url = page.url.clone();
            page = browser
                .post_form(
                    &url,
                    &[("prompt", "login"), ("login", login), ("password", "x")],
                    None,
                )
                .await;
        } else {
            panic!("stuck at {} ({}): {}", page.url, page.status, page.body);
        }
    }
    panic!("no callback");
}

#[tokio::test]
async fn partner_user_signs_in_at_oidc_provider_and_opens_the_share() {
    let app = App::start().await;
    let op = harness::oidc_provider(&format!("{}/auth/oidc/callback", app.base)).await;
    let partner = app.partner().await;
    let idp_id = oidc_idp(&app, &partner, &op.base).await;
    let (_, token) = app.federated_share("ann@partner.test", false).await;
    let device = harness::device_id();
    let browser = Client::new();
    browser.set_cookie(&app.base, &format!("liaison_device={device}"));

    let callback = sign_in_at_op(&app, &browser, &token, "ann").await;
    assert!(
        callback.contains("iss="),
        "RFC 9207 iss parameter: {callback}"
    );
    // Mix-up: the same answer claiming to come from another issuer.
    let mixed = callback.replace(
        &format!("iss={}", urlencode(&op.base)),
        &format!("iss={}", urlencode("http://evil.example")),
    );
    assert_ne!(mixed, callback);
    let page = browser.get(&mixed).await;
    assert_eq!(
        (page.status, reason(&page).as_str()),
        (403, "issuer_parameter_mismatch")
    );

    // A fresh sign-in goes through.
    let callback = sign_in_at_op(&app, &browser, &token, "ann").await;
    let done = browser.get(&callback).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let (s, session) = app.open(&token, &device).await;
    assert_eq!(s, 200, "{session}");
    let claims: Value = serde_json::from_slice(
        &B64URL
            .decode(
                session["access_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .nth(1)
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["idp"], idp_id.as_str());
    let signed_in = app.audit("federation.signed_in").await;
    let last = signed_in.last().unwrap();
    assert_eq!(last["details"]["protocol"], "oidc");
    assert_eq!(last["details"]["email"], "ann@partner.test");
    // Groups and organisation come from the claims, for the partner guest record.
    let (_, guests) = app
        .rest(
            Method::GET,
            &format!("/api/v1/partners/{partner}/guests"),
            None,
        )
        .await;
    assert_eq!(guests["guests"][0]["organisation"], "Partner Agency");
    assert_eq!(
        guests["guests"][0]["groups"],
        json!(["auditors", "partner-staff"])
    );

    // The callback again (code and state used up), and a forged state.
    let again = browser.get(&callback).await;
    assert_eq!(
        (again.status, reason(&again).as_str()),
        (403, "unknown_state")
    );
    let forged = browser
        .get(&format!(
            "{}/auth/oidc/callback?state=forged&code=x",
            app.base
        ))
        .await;
    assert_eq!(
        (forged.status, reason(&forged).as_str()),
        (403, "unknown_state")
    );
    let failures = app.audit("federation.sign_in_failed").await;
    assert!(failures
        .iter()
        .any(|e| e["details"]["reason"] == "issuer_parameter_mismatch"));
}

#[tokio::test]
async fn test_connection_shows_what_the_provider_asserted() {
    let app = App::start().await;
    let op = harness::oidc_provider(&format!("{}/auth/oidc/callback", app.base)).await;
    let partner = app.partner().await;
    let idp_id = oidc_idp(&app, &partner, &op.base).await;
    let (s, body) = app
        .rest(Method::POST, &format!("/api/v1/idps/{idp_id}/test"), None)
        .await;
    assert_eq!(s, 200, "{body}");
    let browser = Client::new();
    let form = browser.follow(body["sign_in_url"].as_str().unwrap()).await;
    let mut page = browser
        .post_form(
            &form.url,
            &[("prompt", "login"), ("login", "bob"), ("password", "x")],
            None,
        )
        .await;
    while let Some(next) = page.location.clone() {
        page = browser.get(&next).await;
    }
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Connection works"), "{}", page.body);
    assert!(page.body.contains("bob@partner.test"));
    assert!(page.body.contains("partner-staff"));
    assert_eq!(app.audit("federation.tested").await.len(), 1);

    // The attribute mapping: refused without an email source (nothing changes), then
    // without a groups source the next round trip asserts no groups.
    let map_url = format!("/api/v1/idps/{idp_id}/attribute-map");
    let (s, body) = app
        .rest(Method::PUT, &map_url, Some(json!({ "email": [" "] })))
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.to_string().contains("email"), "{body}");
    let (s, body) = app
        .rest(Method::PUT, &map_url, Some(json!({ "emails": ["mail"] })))
        .await;
    assert_eq!(s, 422, "unknown field accepted: {body}");
    let (s, body) = app
        .rest(
            Method::PUT,
            &map_url,
            Some(json!({ "email": ["email"], "display_name": ["name"], "organisation": ["org"], "groups": [] })),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["attribute_map"]["groups"], json!([]));
    let (_, body) = app
        .rest(Method::POST, &format!("/api/v1/idps/{idp_id}/test"), None)
        .await;
    // A fresh browser: the first one still has a session at the provider, which would skip
    // its login form.
    let browser = Client::new();
    let form = browser.follow(body["sign_in_url"].as_str().unwrap()).await;
    let mut page = browser
        .post_form(
            &form.url,
            &[("prompt", "login"), ("login", "bob"), ("password", "x")],
            None,
        )
        .await;
    while let Some(next) = page.location.clone() {
        page = browser.get(&next).await;
    }
    assert!(page.body.contains("Connection works"), "{}", page.body);
    assert!(page.body.contains("bob@partner.test"));
    // Mapped: no groups (the raw claims below still list what the provider sent).
    assert!(
        page.body.contains("<dt>Groups</dt><dd></dd>"),
        "{}",
        page.body
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What the hostile provider's token endpoint answers with next.
#[derive(Clone, Default)]
struct Scenario {
    id_token: String,
}

struct Hostile {
    base: String,
    scenario: Arc<Mutex<Scenario>>,
    dir: tempfile::TempDir,
    kid: String,
}

fn rsa_key(dir: &std::path::Path, name: &str) -> (Vec<u8>, String) {
    let key = dir.join(format!("{name}.pem"));
    assert!(Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out"
        ])
        .arg(&key)
        .output()
        .unwrap()
        .status
        .success());
    let modulus = Command::new("openssl")
        .args(["rsa", "-noout", "-modulus", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    let hex = String::from_utf8(modulus.stdout).unwrap();
    let hex = hex.trim().trim_start_matches("Modulus=");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    (std::fs::read(key).unwrap(), B64URL.encode(bytes))
}

impl Hostile {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (_, n) = rsa_key(dir.path(), "good");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let scenario = Arc::new(Mutex::new(Scenario::default()));
        let kid = "good-key".to_owned();
        let discovery = json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/auth"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "authorization_response_iss_parameter_supported": true,
        });
        let jwks = json!({ "keys": [{ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": "AQAB" }] });
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(move || async move { Json(discovery) }))
            .route("/jwks", get(move || async move { Json(jwks) }))
            .route(
                "/token",
                post(|State(s): State<Arc<Mutex<Scenario>>>| async move {
                    let id_token = s.lock().unwrap().id_token.clone();
                    Json(json!({ "access_token": "at-1", "token_type": "Bearer", "expires_in": 60, "id_token": id_token }))
                }),
            )
            .with_state(scenario.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            base,
            scenario,
            dir,
            kid,
        }
    }

    fn sign(&self, key: &str, kid: &str, claims: &Value) -> String {
        let pem = std::fs::read(self.dir.path().join(format!("{key}.pem")))
            .unwrap_or_else(|_| rsa_key(self.dir.path(), key).0);
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(
            &header,
            claims,
            &jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap(),
        )
        .unwrap()
    }
}

#[tokio::test]
async fn hostile_provider_tokens_are_refused_and_audited() {
    let app = App::start().await;
    let op = Hostile::start().await;
    let partner = app.partner().await;
    let _idp = oidc_idp(&app, &partner, &op.base).await;
    let (_, token) = app.federated_share("ann@partner.test", false).await;
    let device = harness::device_id();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = |nonce: &str| {
        json!({
            "iss": op.base, "aud": "liaison", "sub": "sub-ann", "email": "ann@partner.test",
            "name": "Ann Partner", "nonce": nonce, "iat": now, "exp": now + 300,
        })
    };
    let with = |mut v: Value, k: &str, x: Value| {
        v[k] = x;
        v
    };
    type Case<'a> = (&'static str, &'static str, Box<dyn Fn(&str) -> String + 'a>);
    let cases: Vec<Case> = vec![
        (
            "nonce mismatch",
            "nonce_mismatch",
            Box::new(|n| {
                op.sign(
                    "good",
                    &op.kid,
                    &with(good(n), "nonce", json!("another-nonce")),
                )
            }),
        ),
        (
            "wrong iss",
            "wrong_issuer",
            Box::new(|n| {
                op.sign(
                    "good",
                    &op.kid,
                    &with(good(n), "iss", json!("http://evil.example")),
                )
            }),
        ),
        (
            "wrong aud",
            "wrong_audience",
            Box::new(|n| {
                op.sign(
                    "good",
                    &op.kid,
                    &with(good(n), "aud", json!("someone-else")),
                )
            }),
        ),
        (
            "expired",
            "expired",
            Box::new(|n| {
                op.sign(
                    "good",
                    &op.kid,
                    &with(
                        with(good(n), "exp", json!(now - 600)),
                        "iat",
                        json!(now - 900),
                    ),
                )
            }),
        ),
        (
            "alg none",
            "disallowed_algorithm",
            Box::new(|n| {
                format!(
                    "{}.{}.",
                    B64URL.encode(r#"{"alg":"none","typ":"JWT"}"#),
                    B64URL.encode(good(n).to_string())
                )
            }),
        ),
        (
            // Security review, finding 6.
            "email not verified",
            "email_not_verified",
            Box::new(|n| {
                op.sign(
                    "good",
                    &op.kid,
                    &with(good(n), "email_verified", json!(false)),
                )
            }),
        ),
        (
            "unknown key",
            "unknown_key",
            Box::new(|n| op.sign("stranger", "stranger-key", &good(n))),
        ),
        (
            "known kid, other key",
            "bad_signature",
            Box::new(|n| op.sign("stranger", &op.kid, &good(n))),
        ),
    ];
    for (name, expected, make) in &cases {
        let browser = Client::new();
        browser.set_cookie(&app.base, &format!("liaison_device={device}"));
        let (state, nonce) = start(&app, &browser, &token).await;
        op.scenario.lock().unwrap().id_token = make(&nonce);
        let page = browser
            .get(&format!(
                "{}/auth/oidc/callback?code=c&state={}&iss={}",
                app.base,
                urlencode(&state),
                urlencode(&op.base)
            ))
            .await;
        assert_eq!(page.status, 403, "{name}: {}", page.body);
        assert_eq!(reason(&page), *expected, "{name}");
    }
    assert_eq!(app.completed_logins().await, 0);
    let (s, _) = app.open(&token, &device).await;
    assert_eq!(s, 403);
    assert_eq!(
        app.audit("federation.sign_in_failed").await.len(),
        cases.len()
    );

    // Positive control: a correct token from the same provider is accepted.
    let browser = Client::new();
    browser.set_cookie(&app.base, &format!("liaison_device={device}"));
    let (state, nonce) = start(&app, &browser, &token).await;
    op.scenario.lock().unwrap().id_token = op.sign("good", &op.kid, &good(&nonce));
    let page = browser
        .get(&format!(
            "{}/auth/oidc/callback?code=c&state={}",
            app.base,
            urlencode(&state)
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (s, body) = app.open(&token, &device).await;
    assert_eq!(s, 200, "{body}");
}

/// Starts a sign-in; returns (state, nonce) from the authorization URL.
async fn start(app: &App, browser: &Client, token: &str) -> (String, String) {
    let start = browser
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token)],
            Some(&app.base),
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.body);
    let url = url::Url::parse(&harness::refresh_url(&start)).unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    (q["state"].clone(), q["nonce"].clone())
}

#[tokio::test]
async fn staff_sign_in_through_the_organisations_own_provider() {
    let app = App::start().await;
    let op = harness::oidc_provider(&format!("{}/auth/oidc/callback", app.base)).await;
    let (s, idp) = app
        .rest(
            Method::POST,
            "/api/v1/idps",
            Some(json!({
                "kind": "oidc", "name": "Acme SSO", "issuer": op.base,
                "client_id": "liaison", "client_secret": "liaison-test-secret",
            })),
        )
        .await;
    assert_eq!(s, 201, "{idp}");
    let idp_id = idp["id"].as_str().unwrap();

    let browser = Client::new();
    let start = browser
        .get(&format!("{}/auth/staff/{idp_id}", app.base))
        .await;
    assert_eq!(start.status, 303, "{}", start.body);
    let callback = drive_op(
        &app,
        &browser,
        start.location.as_deref().unwrap(),
        "admin@liaison.test",
    )
    .await;
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find("/auth/staff/finish?state=").unwrap();
    let finish = format!(
        "{}{}",
        app.base,
        harness::unescape(&page.body[at..at + page.body[at..].find('"').unwrap()])
    );
    // Login CSRF: another browser given the continuation link gets nothing.
    let other = Client::new().get(&finish).await;
    assert_eq!(other.status, 401, "{}", other.body);
    let done = browser.get(&finish).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{}/console", app.base).as_str())
    );
    let signed_in = app.audit("auth.signed_in").await;
    let last = signed_in.last().unwrap();
    assert_eq!(last["details"]["method"], "idp");
    assert_eq!(last["actor"]["credential"], format!("idp:{idp_id}"));
    // Used once.
    assert_eq!(browser.get(&finish).await.status, 401);

    // Someone the provider knows but Liaison does not.
    let browser = Client::new();
    let start = browser
        .get(&format!("{}/auth/staff/{idp_id}", app.base))
        .await;
    let callback = drive_op(
        &app,
        &browser,
        start.location.as_deref().unwrap(),
        "nobody@liaison.test",
    )
    .await;
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("no Liaison account"), "{}", page.body);
}

/// The `state` query parameter of an authorization URL.
fn state_of(auth_url: &str) -> String {
    url::Url::parse(auth_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no state in {auth_url}"))
}

/// Account takeover through a sign-in started in another browser (security review, finding
/// 1): the attacker starts a staff sign-in, keeps the provider URL and gets a signed-in
/// staff member to open it. The provider's answer lands in the victim's browser, which did
/// not start that sign-in: it is refused at the callback, before anything is recorded, so
/// the attacker's continuation yields nothing. The victim's own sign-in still works, and
/// both refusals are audited.
#[tokio::test]
async fn a_staff_sign_in_started_in_another_browser_cannot_be_completed() {
    let app = App::start().await;
    let op = harness::oidc_provider(&format!("{}/auth/oidc/callback", app.base)).await;
    let (s, idp) = app
        .rest(
            Method::POST,
            "/api/v1/idps",
            Some(json!({
                "kind": "oidc", "name": "Acme SSO", "issuer": op.base,
                "client_id": "liaison", "client_secret": "liaison-test-secret",
            })),
        )
        .await;
    assert_eq!(s, 201, "{idp}");
    let idp_id = idp["id"].as_str().unwrap();

    let attacker = Client::new();
    let lure = attacker
        .get(&format!("{}/auth/staff/{idp_id}", app.base))
        .await;
    assert_eq!(lure.status, 303, "{}", lure.body);
    let lure = lure.location.unwrap();
    let attacker_state = state_of(&lure);

    // The victim opens the attacker's provider URL and signs in there as herself.
    let victim = Client::new();
    let callback = drive_op(&app, &victim, &lure, "admin@liaison.test").await;
    let refused = victim.get(&callback).await;
    assert_eq!(
        (refused.status, reason(&refused).as_str()),
        (403, "browser_mismatch"),
        "{}",
        refused.body
    );
    assert_eq!(app.completed_logins().await, 0, "nothing was recorded");

    // The attacker's continuation, with the attacker's own device cookie: no session.
    let finish = format!("{}/auth/staff/finish?state={attacker_state}", app.base);
    let stolen = attacker.get(&finish).await;
    assert_eq!(stolen.status, 401, "{}", stolen.body);
    assert_ne!(
        stolen.location.as_deref(),
        Some(format!("{}/console", app.base).as_str())
    );

    // The victim's own sign-in, in her browser, still works.
    let own = victim
        .get(&format!("{}/auth/staff/{idp_id}", app.base))
        .await;
    let callback = drive_op(
        &app,
        &victim,
        own.location.as_deref().unwrap(),
        "admin@liaison.test",
    )
    .await;
    let page = victim.get(&callback).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = victim
        .get(&format!("{}{}", app.base, harness::refresh_url(&page)))
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{}/console", app.base).as_str())
    );

    // Both attempts are audited: the callback in the wrong browser and the attacker's finish.
    let failures = app.audit("federation.sign_in_failed").await;
    let reasons: Vec<&str> = failures
        .iter()
        .filter_map(|e| e["details"]["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"browser_mismatch"), "{reasons:?}");
    assert!(reasons.contains(&"staff_finish_refused"), "{reasons:?}");
}

/// The same trick against a federated share: the recipient's one click at the provider
/// must not open the share for the browser that started the sign-in.
#[tokio::test]
async fn a_share_sign_in_started_in_another_browser_does_not_open_the_share() {
    let app = App::start().await;
    let op = harness::oidc_provider(&format!("{}/auth/oidc/callback", app.base)).await;
    let partner = app.partner().await;
    oidc_idp(&app, &partner, &op.base).await;
    let (_, token) = app.federated_share("ann@partner.test", false).await;

    let attacker = Client::new();
    let attacker_device = harness::device_id();
    attacker.set_cookie(&app.base, &format!("liaison_device={attacker_device}"));
    let start = attacker
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token.as_str())],
            Some(&app.base),
        )
        .await;
    let lure = harness::refresh_url(&start);

    let victim = Client::new();
    let victim_device = harness::device_id();
    victim.set_cookie(&app.base, &format!("liaison_device={victim_device}"));
    let callback = drive_op(&app, &victim, &lure, "ann").await;
    let refused = victim.get(&callback).await;
    assert_eq!(
        (refused.status, reason(&refused).as_str()),
        (403, "browser_mismatch")
    );
    let (s, body) = app.open(&token, &attacker_device).await;
    assert_eq!(s, 403, "the attacker's browser opens nothing: {body}");
    assert_eq!(body["error"]["code"], "federated_sign_in_required");

    // The recipient's own sign-in opens it, in her browser only.
    let callback = sign_in_at_op(&app, &victim, &token, "ann").await;
    assert_eq!(victim.get(&callback).await.status, 200);
    let (s, _) = app.open(&token, &attacker_device).await;
    assert_eq!(s, 403);
    let (s, body) = app.open(&token, &victim_device).await;
    assert_eq!(s, 200, "{body}");
}

/// Security review, finding 6: starting a federated sign-in proves the whole link (its
/// verifier, under the attempt limits), not just the selector half that finds the share —
/// the completion page leads to the link, so a guessed selector must not get that far.
#[tokio::test]
async fn a_federated_start_needs_the_whole_link() {
    let app = App::start().await;
    let op = harness::oidc_provider(&format!("{}/auth/oidc/callback", app.base)).await;
    let partner = app.partner().await;
    oidc_idp(&app, &partner, &op.base).await;
    let (share_id, token) = app.federated_share("ann@partner.test", false).await;
    let mut forged = token.clone().into_bytes();
    forged[30] = if forged[30] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let browser = Client::new();
    let start = |t: String| {
        let browser = &browser;
        let base = app.base.clone();
        async move {
            browser
                .post_form(
                    &format!("{base}/auth/federation/share"),
                    &[("token", t.as_str())],
                    Some(&base),
                )
                .await
        }
    };
    let refused = start(forged).await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert!(!refused.body.contains("idp-link"), "{}", refused.body);
    let denied = app.audit("share.denied").await;
    assert!(
        denied.iter().any(
            |e| e["share_id"] == share_id.as_str() && e["details"]["reason"] == "unknown_token"
        ),
        "{denied:?}"
    );
    let started = start(token).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains("idp-link"));
}

/// A portal session opened through the partner's IdP, with the page's live socket open:
/// (access token, socket).
async fn federated_session(
    app: &App,
    token: &str,
    login: &str,
) -> (
    String,
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let device = harness::device_id();
    let browser = Client::new();
    browser.set_cookie(&app.base, &format!("liaison_device={device}"));
    let callback = sign_in_at_op(app, &browser, token, login).await;
    assert_eq!(browser.get(&callback).await.status, 200);
    let (s, session) = app.open(token, &device).await;
    assert_eq!(s, 200, "{session}");
    let jwt = session["access_token"].as_str().unwrap().to_owned();
    let mut request = format!("{}/api/portal/live", app.base.replace("http", "ws"))
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("origin", HeaderValue::from_str(&app.base).unwrap());
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {jwt}")).unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let ready = socket.next().await.unwrap().unwrap();
    assert!(ready.to_text().unwrap().contains("ready"), "{ready:?}");
    (jwt, socket)
}

/// The guest's request with `jwt`: its status and error code.
async fn portal_items(app: &App, jwt: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/portal/items", app.base))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

/// The close code and reason of `socket`'s next frame, waited for at most 2 s.
async fn closed(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> (u16, String) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(2), socket.next())
            .await
            .expect("the socket stayed open")
            .unwrap()
            .unwrap();
        if let Message::Close(Some(f)) = frame {
            return (u16::from(f.code), f.reason.to_string());
        }
    }
}

/// The portal event stream (server-sent events) of `jwt`, read past its `ready` event.
async fn event_stream(app: &App, jwt: &str) -> reqwest::Response {
    let mut resp = reqwest::Client::new()
        .get(format!("{}/api/portal/events", app.base))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let first = resp.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: ready"));
    resp
}

/// The next event of an event stream (skipping keep-alive comments), waited for at most
/// 2 s.
async fn next_event(stream: &mut reqwest::Response) -> String {
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(2), stream.chunk())
            .await
            .expect("the event stream stayed open")
            .unwrap()
            .expect("the event stream ended without an event");
        let text = String::from_utf8_lossy(&chunk).into_owned();
        if let Some(line) = text.lines().find_map(|l| l.strip_prefix("event: ")) {
            return line.to_owned();
        }
    }
}

/// Disabling the partner's IdP, or the partner, ends the sessions it vouched for: the
/// next request is refused and the open live socket and event stream end at once
/// (before, such a session kept working until its token ran out, and its event stream
/// stayed open).
#[tokio::test]
async fn disabling_the_idp_or_the_partner_ends_the_sessions_it_vouched_for() {
    let app = App::start().await;
    let op = harness::oidc_provider(&format!("{}/auth/oidc/callback", app.base)).await;
    let partner = app.partner().await;
    let idp_id = oidc_idp(&app, &partner, &op.base).await;
    let (_, token) = app.federated_share("ann@partner.test", false).await;
    // The token is refused with what the guest must do (sign in at the partner again).
    let refused = (401, "invalid_token".to_owned());

    let (jwt, mut socket) = federated_session(&app, &token, "ann").await;
    assert_eq!(portal_items(&app, &jwt).await.0, 200);
    let mut events = event_stream(&app, &jwt).await;
    let path = format!("/api/v1/idps/{idp_id}/enabled");
    let (s, _) = app
        .rest(Method::PUT, &path, Some(json!({ "enabled": false })))
        .await;
    assert_eq!(s, 204);
    assert_eq!(closed(&mut socket).await, (4004, "not_allowed".to_owned()));
    assert_eq!(next_event(&mut events).await, "not_allowed");
    assert_eq!(portal_items(&app, &jwt).await, refused);

    // The IdP back on, a new session; then the partner off.
    app.rest(Method::PUT, &path, Some(json!({ "enabled": true })))
        .await;
    let (jwt, mut socket) = federated_session(&app, &token, "ann").await;
    assert_eq!(portal_items(&app, &jwt).await.0, 200);
    let mut events = event_stream(&app, &jwt).await;
    let (s, _) = app
        .rest(
            Method::PUT,
            &format!("/api/v1/partners/{partner}/enabled"),
            Some(json!({ "enabled": false })),
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(closed(&mut socket).await, (4004, "not_allowed".to_owned()));
    assert_eq!(next_event(&mut events).await, "not_allowed");
    assert_eq!(portal_items(&app, &jwt).await, refused);
}
