//! The HTTP contract, through the real router (`Router::oneshot`): REST and portal APIs,
//! error envelopes, RFC 6750 challenges, the JWT attack set, CSRF and bad input.
#![allow(clippy::unwrap_used)] // A test crate: a panic is the failure report.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use backend::blobs::Blobs;
use backend::crypto::Sealer;
use backend::portal_jwt::PortalClaims;
use backend::store::Db;
use backend::{Liaison, Settings};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use http_body_util::BodyExt;
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::{json, Value};
use server::state::AppState;

#[path = "http_api/flash.rs"]
mod flash;
#[path = "http_api/front_end.rs"]
mod front_end;
#[path = "http_api/host_routing.rs"]
mod host_routing;
#[path = "http_api/openapi.rs"]
mod openapi;
#[path = "http_api/portal_structure.rs"]
mod portal_structure;
#[path = "http_api/records.rs"]
mod records;
#[path = "http_api/register.rs"]
mod register;
#[path = "http_api/responses.rs"]
mod responses;
#[path = "http_api/roles.rs"]
mod roles;
#[path = "http_api/secrets.rs"]
mod secrets;

const ORIGIN: &str = "http://127.0.0.1:3000";
const UPLOAD_LIMIT: usize = 64 * 1024;

struct TestApp {
    /// Acme's administrator (admin@acme.test), for console sessions.
    admin_password: String,
    router: Router,
    core: Arc<Liaison>,
    key: String,
    other_key: String,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl TestApp {
    async fn new() -> Self {
        Self::with_upload_limit(UPLOAD_LIMIT).await
    }

    async fn with_upload_limit(upload_limit: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let sealer = Sealer::new(&SecretSlice::from(vec![7u8; 32])).unwrap();
        let settings = Settings {
            max_upload_bytes: upload_limit,
            ..Settings::new(url::Url::parse(ORIGIN).unwrap())
        };
        let blobs = Blobs::local(&dir.path().join("blobs")).unwrap();
        let core = Arc::new(
            Liaison::builder(db, blobs, sealer, settings)
                .hash_workers(2)
                .single_node(true)
                .allow_private_networks(true)
                .build()
                .await
                .unwrap(),
        );
        let a = backend::services::bootstrap::bootstrap(&core, "Acme", "admin@acme.test")
            .await
            .unwrap();
        let b = backend::services::bootstrap::bootstrap(&core, "Globex", "admin@globex.test")
            .await
            .unwrap();
        let state = AppState::new(
            core.clone(),
            leptos::config::LeptosOptions::builder()
                .output_name("liaison")
                .build(),
        );
        let router = server::router::build(state);
        Self {
            router,
            core,
            key: a.api_key.expose_secret().to_owned(),
            admin_password: a.admin_password.expose_secret().to_owned(),
            other_key: b.api_key.expose_secret().to_owned(),
            _dir: dir,
        }
    }

    /// The same core behind a router whose public URL is https.
    fn https_router(&self) -> Router {
        let state = AppState {
            core: self.core.clone(),
            leptos_options: leptos::config::LeptosOptions::builder()
                .output_name("liaison")
                .build(),
            secure_cookies: true,
            limits: server::rate_limit::RateLimits::new(Default::default()),
            assets: Default::default(),
            tls_ask_key: None,
            live: Default::default(),
        };
        server::router::build(state)
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        reply(&self.router, req).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    async fn upload(&self, key: &str, file_name: &str, bytes: &[u8]) -> Reply {
        self.upload_to("/api/v1/documents", key, file_name, bytes)
            .await
    }

    /// A multipart upload titled "Exhibit" to `path` (a document or a revision).
    async fn upload_to(&self, path: &str, key: &str, file_name: &str, bytes: &[u8]) -> Reply {
        let boundary = "XyZboundary";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nExhibit\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    async fn document(&self) -> String {
        let r = self.upload(&self.key, "exhibit.txt", b"the exhibit").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_owned()
    }

    async fn share(&self, doc: &str, extra: Value) -> Value {
        let mut body = json!({ "item": doc, "recipient": { "name": "Jane Counsel", "email": "jane@lawfirm.example" } });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = self
            .call(Method::POST, "/api/v1/shares", Some(&self.key), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()
    }

    /// A guest's portal JWT for `share` (its link opened over the API, acknowledgement
    /// given).
    async fn guest_session(&self, share: &Value) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/portal/session",
                None,
                Some(json!({ "token": token_of(share), "acknowledged": true })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// The id of Acme's default portal.
    async fn default_portal(&self) -> String {
        let portals = self
            .call(Method::GET, "/api/v1/portals", Some(&self.key), None)
            .await
            .json();
        portals["portals"][0]["id"].as_str().unwrap().to_owned()
    }

    async fn counts(&self) -> (i64, i64, i64) {
        let pool = self.core.db.pool();
        let one = |sql: &'static str| async move {
            sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(pool)
                .await
                .unwrap()
                .0
        };
        (
            one("SELECT COUNT(*) FROM documents").await,
            one("SELECT COUNT(*) FROM shares").await,
            one("SELECT COUNT(*) FROM audit_events").await,
        )
    }
}

/// `req` answered by `router`, body read whole.
async fn reply(router: &Router, req: Request<Body>) -> Reply {
    use tower::ServiceExt;
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn token_of(share: &Value) -> String {
    share["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn health_and_jwks() {
    let app = TestApp::new().await;
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((r.status, r.text().as_str()), (StatusCode::OK, "ok"));
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
        ("cross-origin-opener-policy", "same-origin"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(r.headers[name], value, "{name}");
    }
    assert!(r.headers.contains_key("x-request-id"));
    let jwks = app
        .call(Method::GET, "/.well-known/jwks.json", None, None)
        .await
        .json();
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    assert!(key["kid"].is_string() && key["n"].is_string() && key.get("d").is_none());
}

#[tokio::test]
async fn admin_api_requires_a_valid_key() {
    let app = TestApp::new().await;
    for key in [None, Some("lsn_nope"), Some("not-a-key")] {
        let r = app.call(Method::GET, "/api/v1/shares", key, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "unauthenticated");
        assert!(r.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    }
    let r = app
        .call(Method::GET, "/api/v1/nope", Some(&app.key), None)
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn share_lifecycle_over_rest_and_portal_api() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let in_a_month = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    // Downloads allowed and no watermark: the one kind of share whose original may be shown.
    let share = app.share(&doc, json!({ "expires_at": in_a_month, "max_access_count": 5, "require_acknowledgement": true, "settings": { "allow_download": true } })).await;
    assert_eq!(share["status"], "active");
    assert_eq!(share["recipient"]["email"], "jane@lawfirm.example");
    assert_eq!(share["item"]["id"], doc);
    let id = share["id"].as_str().unwrap();
    let token = token_of(&share);

    // Acknowledgement required, then a Bearer session.
    let r = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token })),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "acknowledgement_required")
    );
    let r = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token, "acknowledged": true })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let s = r.json();
    assert_eq!(
        (s["token_type"].as_str(), s["expires_in"].as_i64()),
        (Some("Bearer"), Some(900))
    );
    let jwt = s["access_token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert!(header.kid.is_some());

    let items = app
        .call(Method::GET, "/api/portal/items", Some(&jwt), None)
        .await;
    assert_eq!(items.status, StatusCode::OK);
    assert_eq!(items.json()["items"][0]["id"], doc);
    let content = app
        .call(
            Method::GET,
            &format!("/api/portal/items/{doc}/content"),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(content.body, b"the exhibit");
    assert_eq!(
        content.headers[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert!(content.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    let other = app
        .call(
            Method::GET,
            "/api/portal/items/someone-elses/content",
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // The table and the single share.
    let list = app
        .call(
            Method::GET,
            "/api/v1/shares?status=active&sort=access_count&order=desc&limit=10",
            Some(&app.key),
            None,
        )
        .await
        .json();
    assert_eq!(list["items"][0]["access_count"], 1);
    let one = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{id}"),
            Some(&app.key),
            None,
        )
        .await
        .json();
    assert_eq!(one["max_access_count"], 5);

    // Revoke: the very next portal request fails with an RFC 6750 challenge.
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/shares/{id}/revoke"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "revoked");
    let r = app
        .call(Method::GET, "/api/portal/items", Some(&jwt), None)
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    let challenge = r.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("revoked"),
        "{challenge}"
    );
    let r = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token, "acknowledged": true })),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::GONE, "share_revoked")
    );

    let audit = app
        .call(
            Method::GET,
            &format!("/api/v1/audit?share_id={id}"),
            Some(&app.key),
            None,
        )
        .await
        .json();
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    for k in [
        "share.created",
        "share.acknowledgement_accepted",
        "share.accessed",
        "item.viewed",
        "share.revoked",
        "share.denied",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let revoked = app
        .call(
            Method::GET,
            &format!("/api/v1/audit?share_id={id}&event_type=share.revoked"),
            Some(&app.key),
            None,
        )
        .await
        .json();
    assert_eq!(
        revoked["items"][0]["details"]["revoked_by"]["email"],
        "admin@acme.test"
    );
}

#[tokio::test]
async fn forged_portal_tokens_are_rejected_with_a_challenge() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let good = app.guest_session(&share).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = |iss: &str, aud: &str, exp: i64| PortalClaims {
        iss: iss.into(),
        aud: aud.into(),
        sub: share["id"].as_str().unwrap().into(),
        org: "x".into(),
        sid: "s".into(),
        iat: now,
        exp,
        auth_time: now,
        dev: None,
        idp: None,
        partner: None,
    };
    let parts: Vec<&str> = good.split('.').collect();
    let kid = jsonwebtoken::decode_header(&good).unwrap().kid.unwrap();
    let none = format!(
        "{}.{}.",
        B64URL.encode(json!({"alg": "none", "kid": kid}).to_string()),
        parts[1]
    );
    let hs_header = B64URL.encode(json!({"alg": "HS256", "typ": "JWT", "kid": kid}).to_string());
    let jwks = app.core.keys.jwks().to_string();
    let mac = {
        use hmac::{Hmac, KeyInit, Mac};
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(jwks.as_bytes()).unwrap();
        m.update(format!("{hs_header}.{}", parts[1]).as_bytes());
        B64URL.encode(m.finalize().into_bytes())
    };
    let forged = [
        none,
        format!("{hs_header}.{}.{mac}", parts[1]),
        app.core
            .keys
            .issue(&claims(ORIGIN, "https://evil.example", now + 600))
            .unwrap(),
        app.core
            .keys
            .issue(&claims("https://evil.example", ORIGIN, now + 600))
            .unwrap(),
        app.core
            .keys
            .issue(&claims(ORIGIN, ORIGIN, now - 60))
            .unwrap(),
        format!("{}.{}.{}", parts[0], parts[1], "A".repeat(parts[2].len())),
        "garbage".into(),
    ];
    for (i, jwt) in forged.iter().enumerate() {
        let r = app
            .call(Method::GET, "/api/portal/items", Some(jwt), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "case {i}");
        assert_eq!(r.code(), "invalid_token", "case {i}");
        assert!(
            r.headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("error=\"invalid_token\""),
            "case {i}"
        );
    }
    // No credentials at all: a bare challenge (RFC 6750 §3.1).
    let r = app.call(Method::GET, "/api/portal/items", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers[header::WWW_AUTHENTICATE],
        "Bearer realm=\"liaison\""
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_writes_nothing() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let before = app.counts().await;

    let r = app
        .upload(&app.key, "big.txt", &vec![b'a'; UPLOAD_LIMIT + 1])
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let r = app
        .upload(&app.key, "evil.svg", b"<svg onload=alert(1)>")
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let bad_shares = [
        (
            json!({ "item": doc, "recipient": { "name": "J", "email": "not-an-email" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "item": doc, "recipient": { "name": "", "email": "j@x.org" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "item": doc, "recipient": { "name": "J", "email": "j@x.org" }, "expires_at": "tomorrow" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "item": doc, "recipient": { "name": "J", "email": "j@x.org" }, "expires_at": "2001-01-01T00:00:00Z" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "item": doc, "recipient": { "name": "J", "email": "j@x.org" }, "max_access_count": -5 }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "item": "' OR 1=1 --", "recipient": { "name": "J", "email": "j@x.org" } }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "item": doc, "recipient": { "name": "J", "email": "j@x.org" }, "sneaky": true }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "recipient": { "name": "J", "email": "j@x.org" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, status) in bad_shares {
        let r = app
            .call(
                Method::POST,
                "/api/v1/shares",
                Some(&app.key),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text());
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    // Security review, finding 6: a huge day count overflowed the date arithmetic (a
    // panic, the connection dropped); now a 422 naming the field.
    for days in [u32::MAX, 3651, 0] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/shares",
                Some(&app.key),
                Some(json!({
                    "item": doc, "recipient": { "name": "J", "email": "j@x.org" },
                    "expires_in_days": days,
                })),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{days}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["field"], "expires_in_days", "{days}");
    }
    let raw = Request::post("/api/v1/shares")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.key))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let r = app.send(raw).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
    );
    let r = app
        .send(
            Request::post("/api/v1/shares")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.key))
                .body(Body::from("x"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    for q in [
        "sort=recipient%3BDROP%20TABLE%20shares",
        "status=sideways",
        "order=up",
        "limit=0",
        "limit=100000",
        "cursor=%27%20OR%201%3D1",
        "bogus=1",
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/shares?{q}"),
                Some(&app.key),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            "{q}"
        );
    }
    for token in ["", "short", &"A".repeat(65), "../../etc/passwd"] {
        let r = app
            .call(
                Method::POST,
                "/api/portal/session",
                None,
                Some(json!({ "token": token })),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::NOT_FOUND, "unknown_token"),
            "{token}"
        );
    }
    assert_eq!(app.counts().await, before, "bad input wrote nothing");
}

#[tokio::test]
async fn organisations_cannot_reach_each_other() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let id = share["id"].as_str().unwrap();
    let key = app.other_key.clone();
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/shares/{id}/revoke"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let body = json!({ "item": doc, "recipient": { "name": "M", "email": "m@x.org" } });
    let r = app
        .call(Method::POST, "/api/v1/shares", Some(&key), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/audit?share_id={id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.json()["items"], json!([]));
    let r = app
        .call(Method::GET, "/api/v1/shares", Some(&key), None)
        .await;
    assert_eq!(r.json()["items"], json!([]));
    let still = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{id}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(still.json()["status"], "active");
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let app = TestApp::new().await;
    let before = app.counts().await;
    let forms = [
        ("/console/documents", Some("https://evil.example")),
        ("/console/documents", None),
        ("/api/revoke_share123", Some("null")),
        ("/auth/federation/share", Some("https://evil.example")),
        (
            "/auth/saml/some-idp/acs/extra",
            Some("https://evil.example"),
        ),
        ("/no/such/route", Some("https://evil.example")),
    ];
    for (path, origin) in forms {
        let mut req = Request::post(path)
            .header(header::COOKIE, "liaison_session=abc")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let r = app.send(req.body(Body::from("csrf=x&id=y")).unwrap()).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::FORBIDDEN, "cross_origin_request"),
            "{path} {origin:?}"
        );
    }
    assert_eq!(app.counts().await, before);
    // The SAML ACS is the one route that takes a cross-site POST (the IdP's form): it is
    // judged by its own checks (here: no such IdP), not refused for its origin.
    let acs = Request::post("/auth/saml/no-such-idp/acs")
        .header(header::ORIGIN, "https://idp.partner.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("SAMLResponse=x&RelayState=y"))
        .unwrap();
    let r = app.send(acs).await;
    assert!(!r.text().contains("cross_origin_request"), "{}", r.text());
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The path of the console server function `name` (Leptos adds a hash to each).
fn server_fn_path(name: &str) -> String {
    let found: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .filter(|p| server_fn_name(p) == name)
        .collect();
    assert_eq!(found.len(), 1, "server function {name}: {found:?}");
    found[0].clone()
}

fn server_fn_name(path: &str) -> &str {
    path.trim_start_matches("/api/")
        .trim_end_matches(|c: char| c.is_ascii_digit())
}

impl TestApp {
    /// Signs Acme's administrator in to the console; returns the session cookie and the
    /// session's CSRF token.
    async fn console_session(&self) -> (String, String) {
        self.console_session_as("admin@acme.test", &self.admin_password)
            .await
    }

    /// Signs `email` in to the console with `password`; returns the session cookie and the
    /// session's CSRF token.
    async fn console_session_as(&self, email: &str, password: &str) -> (String, String) {
        let r = self
            .send(
                Request::post(server_fn_path("sign_in"))
                    .header(header::ORIGIN, ORIGIN)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "email={}&password={}",
                        urlencode(email),
                        urlencode(password)
                    )))
                    .unwrap(),
            )
            .await;
        let cookie = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("liaison_session="))
            .unwrap_or_else(|| panic!("no session cookie: {} {}", r.status, r.text()))
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let me = self
            .send(
                Request::post(server_fn_path("get_current_user"))
                    .header(header::ORIGIN, ORIGIN)
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let csrf = me.json()["csrf"].as_str().unwrap_or_default().to_owned();
        assert!(!csrf.is_empty(), "{}", me.text());
        (cookie, csrf)
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every state-changing console form, posted from the right origin by a signed-in
/// administrator's browser but with a forged CSRF token, is refused and writes nothing.
/// The server functions are read from the registry, so a new one fails this test until it
/// is classified here.
#[tokio::test]
async fn every_console_form_checks_its_csrf_token() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let share_id = share["id"].as_str().unwrap().to_owned();
    let (cookie, csrf) = app.console_session().await;
    // Reads, sign-in, and the guest's portal functions (no staff session to ride on).
    let not_staff_writes = [
        "get_current_user",
        "list_staff_sign_ins",
        "list_audit",
        "list_documents",
        "list_outbox",
        "list_partners",
        "get_policy",
        "load_share_detail",
        "list_portals",
        "load_sections",
        "load_portal_analytics",
        "load_share_analytics",
        "list_terms_choices",
        "list_packages",
        "list_shares",
        "list_staff",
        "list_api_keys",
        "load_document",
        "list_records",
        "load_record",
        "preview_record",
        "check_import",
        "list_intelligence",
        "list_disseminations",
        "list_secrets",
        "list_redaction_rules",
        "load_dashboard",
        "list_projects",
        "load_terms_page",
        "event_filter_options",
        "list_renewals",
        "list_reviews",
        "load_review",
        "sign_in",
        // A set-password link is its own credential (no session yet).
        "check_password_link",
        "set_password",
        // The guest's functions, under /api/guest (the only ones a portal's domain serves).
        "guest/load_portal",
        "guest/share_landing",
        "guest/secret_overview",
        "guest/open_share",
        "guest/renew_portal_session",
        "guest/report_print_attempt",
        "guest/open_page_view",
        "guest/site_brand",
        "guest/load_home",
        "guest/open_from_home",
        "guest/sign_out_guest",
        "guest/add_member_as_manager",
        "guest/flash_message",
        "guest/request_renewal",
        "guest/guest_comments",
        "guest/post_guest_comment",
        "guest/edit_guest_comment",
        "guest/delete_guest_comment",
        "staff_comments",
        "load_comment_access",
        "load_share_comments",
    ];
    let form = |name: &str| roles::console_form(name, &doc, &share_id);
    let partners = || async {
        sqlx::query_as::<_, (i64,)>(
            "SELECT (SELECT COUNT(*) FROM partners) + (SELECT COUNT(*) FROM identity_providers)",
        )
        .fetch_one(app.core.db.pool())
        .await
        .unwrap()
        .0
    };
    let partners_before = partners().await;
    let before = app.counts().await;
    let mut checked = Vec::new();
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let name = server_fn_name(path);
        if not_staff_writes.contains(&name) {
            continue;
        }
        let fields = form(name).unwrap_or_else(|| {
            panic!("server function {name} is not classified in this test: add its form")
        });
        for token in ["forged", ""] {
            let body = if fields.is_empty() {
                format!("csrf={token}")
            } else {
                format!("csrf={token}&{fields}")
            };
            let r = app
                .send(
                    Request::post(path)
                        .header(header::ORIGIN, ORIGIN)
                        .header(header::COOKIE, &cookie)
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.text());
            assert!(
                r.text().contains("The form has expired"),
                "{name}: {}",
                r.text()
            );
        }
        checked.push(name.to_owned());
    }
    assert!(checked.len() >= 9, "{checked:?}");
    assert_eq!(app.counts().await, before, "a forged form wrote something");
    assert_eq!(
        partners().await,
        partners_before,
        "a forged form wrote something"
    );
    let still = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{share_id}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(still.json()["status"], "active");

    // Control: the same form with the session's token goes through.
    let r = app
        .send(
            Request::post(server_fn_path("revoke_share"))
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "csrf={}&id={share_id}",
                    urlencode(&csrf)
                )))
                .unwrap(),
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{} {}",
        r.status,
        r.text()
    );
    let revoked = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{share_id}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(revoked.json()["status"], "revoked");
}

/// The console's External access form: bad input gets a clear error and changes nothing;
/// good input is saved and audited.
#[tokio::test]
async fn console_policy_form_saves_and_refuses_bad_input() {
    let app = TestApp::new().await;
    let (cookie, csrf) = app.console_session().await;
    let post = |body: String| {
        Request::post(server_fn_path("save_policy"))
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}&{body}", urlencode(&csrf))))
            .unwrap()
    };
    let policy = || async {
        app.call(Method::GET, "/api/v1/policy", Some(&app.key), None)
            .await
            .json()
    };
    let original = policy().await;
    let before = app.counts().await;
    let bad = [
        ("default_expiry=custom&custom_expiry_days=soon&max_expiry_days=30&default_max_access_count=0&tlp_ceiling=RED&revoked_link=message&method_link=on&scope_single_revision=on", "whole number"),
        ("default_expiry=30&max_expiry_days=7&default_max_access_count=0&tlp_ceiling=RED&revoked_link=message&method_link=on&scope_single_revision=on", "expiry"),
        ("default_expiry=7&max_expiry_days=30&default_max_access_count=0&tlp_ceiling=PURPLE&revoked_link=message&method_link=on&scope_single_revision=on", "PURPLE"),
    ];
    for (body, says) in bad {
        let r = app.send(post(body.to_owned())).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text()
        );
        assert!(r.text().contains(says), "{body}: {}", r.text());
        // The refusal names its code and the field it is about, for the form to mark.
        let refusal = r.json();
        assert_eq!(refusal["code"], "invalid_input", "{refusal}");
        assert!(
            refusal["field"].as_str().is_some_and(|f| !f.is_empty()),
            "{refusal}"
        );
    }
    assert_eq!(
        policy().await,
        original,
        "a refused form changed the policy"
    );
    assert_eq!(app.counts().await, before);

    let r = app
        .send(post(
            "default_expiry=custom&custom_expiry_days=10&max_expiry_days=60&allow_custom_expiry=on&\
             default_max_access_count=3&scope_single_revision=on&method_link=on&method_invitation=on&\
             require_acknowledgement=on&tlp_ceiling=AMBER&revoked_link=not_found"
                .into(),
        ))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.text());
    let saved = policy().await;
    assert_eq!(saved["default_expiry_days"], 10, "{saved}");
    assert_eq!(saved["max_expiry_days"], 60);
    assert_eq!(saved["allow_controller_override"], false);
    assert_eq!(saved["allowed_methods"], json!(["link", "invitation"]));
    assert_eq!(saved["tlp_ceiling"], "AMBER");
    assert_eq!(saved["revoked_link"], "not_found");
    assert_eq!(app.counts().await.2, before.2 + 1, "the change is audited");

    // Settings the form does not hold keep their value; the secrets fieldset counts when
    // it is there, and its refusals name their field.
    let mut rest = saved.clone();
    rest["guests_see_staff_names"] = json!(true);
    rest["secrets"]["max_lifetime_hours"] = json!(12);
    let r = app
        .call(Method::PUT, "/api/v1/policy", Some(&app.key), Some(rest))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let form = "default_expiry=7&max_expiry_days=60&default_max_access_count=0&\
                scope_single_revision=on&method_link=on&tlp_ceiling=RED&revoked_link=message";
    let r = app.send(post(form.into())).await;
    assert!(r.status.is_success(), "{}", r.text());
    let kept = policy().await;
    assert_eq!(kept["guests_see_staff_names"], true, "{kept}");
    assert_eq!(kept["secrets"]["max_lifetime_hours"], 12, "{kept}");
    let r = app
        .send(post(format!(
            "{form}&secret_fields=1&secret_max_lifetime_hours=48&secret_code_required_from=GREEN&\
             secret_recipient_anyone=on"
        )))
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let secrets = policy().await["secrets"].clone();
    assert_eq!(
        secrets,
        json!({ "max_lifetime_hours": 48, "code_required_from": "GREEN", "recipients": ["anyone"] })
    );
    let r = app
        .send(post(format!(
            "{form}&secret_fields=1&secret_max_lifetime_hours=48&secret_code_required_from=RED"
        )))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(
        r.json()["field"],
        "secrets.code_required_from",
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn guest_pages_show_the_reason_and_escape_what_they_show() {
    let app = TestApp::new().await;
    let r = app
        .upload(
            &app.key,
            "<img src=x onerror=alert(1)>.txt",
            b"<script>alert(1)</script>",
        )
        .await;
    let doc = r.json()["id"].as_str().unwrap().to_owned();
    let share = app
        .share(
            &doc,
            json!({
                "recipient": { "name": "Jane <b onmouseover=alert(2)>Counsel</b>", "email": "jane@lawfirm.example" },
                "settings": { "instructions": "Read <script>alert(3)</script> then \"respond\" & sign" },
            }),
        )
        .await;
    let token = token_of(&share);

    let r = app
        .call(Method::GET, &format!("/s/{}", "A".repeat(65)), None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("This link is not valid."));
    let landing = app
        .call(Method::GET, &format!("/s/{token}"), None, None)
        .await;
    assert_eq!(landing.status, StatusCode::OK);
    let csp = landing.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'nonce-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // A GET (a mail scanner's prefetch) counts nothing.
    let one = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{}", share["id"].as_str().unwrap()),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(one.json()["access_count"], 0);

    let s = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token })),
        )
        .await
        .json();
    let jwt = s["access_token"].as_str().unwrap();
    let portal = app
        .send(
            Request::get("/portal")
                .header(header::COOKIE, format!("liaison_portal={jwt}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(portal.status, StatusCode::OK);
    let html = portal.text();
    assert!(html.contains("Exhibit"), "{html}");
    assert!(
        !html.contains("<img src=x onerror"),
        "file name must be escaped"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;.txt"),
        "{html}"
    );
    // Instructions and the recipient's name (watermark) arrive as text, never as markup.
    for raw in ["<script>alert(3)", "<b onmouseover"] {
        assert!(!html.contains(raw), "{raw} reached the page unescaped");
    }
    assert!(
        html.contains("Read &lt;script&gt;alert(3)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("Jane &lt;b onmouseover=alert(2)&gt;Counsel"),
        "{html}"
    );

    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/shares/{}/revoke", share["id"].as_str().unwrap()),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let gone = app
        .call(Method::GET, &format!("/s/{token}"), None, None)
        .await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.text().contains("This link has been revoked."));
}

#[tokio::test]
async fn audit_exports_stream_and_the_chain_verifies() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    app.share(&doc, json!({})).await;

    let r = app
        .call(
            Method::GET,
            "/api/v1/audit/export?format=csv&event_type=share.created",
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(r.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("liaison-audit.csv"));
    let text = r.text();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("seq,id,occurred_at,event_type"));
    let rows: Vec<_> = lines.collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].contains("share.created"));

    let r = app
        .call(
            Method::GET,
            "/api/v1/audit/export?format=jsonl",
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/x-ndjson");
    for line in r.text().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(v["hash"].as_str().unwrap().len() == 64);
    }

    let r = app
        .call(Method::GET, "/api/v1/audit/verify", Some(&app.key), None)
        .await;
    assert_eq!(r.json()["intact"], true, "{}", r.text());

    // Bad filters are named and nothing is exported (or audited as exported).
    let before = app.counts().await;
    for (query, field) in [
        ("format=xml", "format"),
        ("format=csv&event_type=nope", "event_type"),
        ("format=csv&from=yesterday", "from"),
        ("format=csv&share_id=%27%20OR%201%3D1%20--", "share_id"),
        ("format=csv&limit=5", "limit"),
        ("format=csv&colour=red", "query"),
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/audit/export?{query}"),
                Some(&app.key),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["field"], field, "{query}: {}", r.text());
    }
    assert_eq!(app.counts().await, before);

    // Tampering is reported through the API too.
    sqlx::query("UPDATE audit_events SET ip = '10.9.9.9' WHERE seq = 1")
        .execute(app.core.db.pool())
        .await
        .unwrap();
    let r = app
        .call(Method::GET, "/api/v1/audit/verify", Some(&app.key), None)
        .await
        .json();
    assert_eq!(r["intact"], false);
    assert_eq!(r["problems"][0]["problem"]["kind"], "edited");
    assert!(r["problems"][0]["message"].as_str().unwrap().contains("#1"));
}

#[tokio::test]
async fn portal_sessions_renew_silently_until_the_share_ends() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let s = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token_of(&share) })),
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text());
    let first = s.json();
    assert!(first["expires_in"].as_i64().unwrap() <= 900);
    assert_eq!(first["device"].as_str().unwrap().len(), 43);
    let jwt = first["access_token"].as_str().unwrap().to_owned();

    let r = app
        .call(Method::POST, "/api/portal/session/renew", Some(&jwt), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let renewed = r.json()["access_token"].as_str().unwrap().to_owned();
    assert!(
        !r.headers.contains_key(header::SET_COOKIE),
        "bearer clients get no cookie"
    );
    let items = app
        .call(Method::GET, "/api/portal/items", Some(&renewed), None)
        .await;
    assert_eq!(items.status, StatusCode::OK);

    // A cookie session is renewed as a cookie.
    let req = Request::post("/api/portal/session/renew")
        .header(header::COOKIE, format!("liaison_portal={renewed}"))
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("liaison_portal=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // After revocation neither token renews.
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/shares/{}/revoke", share["id"].as_str().unwrap()),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for t in [&jwt, &renewed] {
        let r = app
            .call(Method::POST, "/api/portal/session/renew", Some(t), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("invalid_token"));
    }
}

#[tokio::test]
async fn a_page_waiting_for_a_renderer_is_refused_once_its_share_is_revoked() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let jwt = app.guest_session(&share).await;
    let view = app
        .call(
            Method::POST,
            &format!("/api/portal/items/{doc}/views"),
            Some(&jwt),
            None,
        )
        .await
        .json()["view"]
        .as_str()
        .unwrap()
        .to_owned();
    // Every renderer taken: the page waits for one.
    let pool = &app.core.viewer.pool;
    let mut held = Vec::new();
    for _ in 0..pool.workers() {
        held.push(pool.enter().await.unwrap());
    }
    let page_path = format!("/api/portal/items/{doc}/pages/1?view={view}&w=800");
    let page = app.call(Method::GET, &page_path, Some(&jwt), None);
    let revoke = async {
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        let id = share["id"].as_str().unwrap();
        let r = app
            .call(
                Method::POST,
                &format!("/api/v1/shares/{id}/revoke"),
                Some(&app.key),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    };
    let (page, ()) = tokio::join!(page, revoke);
    assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.text());
    assert!(page.text().contains("revoked"), "{}", page.text());
    // The refused page's work goes on in its own task: once a renderer is free it draws
    // the page (and caches it), never cut short between drawing and caching.
    let started = pool.started();
    drop(held);
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while pool.waiting() > 0 || pool.started() == started {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the refused page's render runs once a renderer is free");
}

#[tokio::test]
async fn a_picture_to_trace_is_read_for_signed_in_staff_only() {
    let app = TestApp::new().await;
    // A stranger's 4 MB picture: refused before its body is read (the route takes 27 MB).
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/trace_leak")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(vec![b'a'; 4 << 20]))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert!(r.text().contains("sign in"), "{}", r.text());
    // That route is the console's: a signed-in administrator's 3 MB picture (over the
    // default body limit) is read, and answered on its field.
    assert_eq!(server_fn_path("trace_leak"), "/api/trace_leak");
    let (cookie, csrf) = app.console_session().await;
    let picture = "QUFB".repeat(3 << 18);
    let r = app
        .send(
            Request::post("/api/trace_leak")
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "csrf={}&picture={picture}",
                    urlencode(&csrf)
                )))
                .unwrap(),
        )
        .await;
    assert!(
        r.text().contains("The picture cannot be read"),
        "{} {}",
        r.status,
        r.text()
    );
}

#[tokio::test]
async fn downloads_only_where_allowed() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    // View-only: no endpoint answers the original; the viewer's pages are images drawn
    // on the server, and no response the guest gets holds the file's bytes.
    let view_only = app.share(&doc, json!({})).await;
    let jwt = app.guest_session(&view_only).await;
    let path = format!("/api/portal/items/{doc}/content");
    let r = app.call(Method::GET, &path, Some(&jwt), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.text().contains("shown as pages only"));
    let r = app
        .call(Method::GET, &format!("{path}?download=1"), Some(&jwt), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.text().contains("Downloading is not allowed"));
    let items = app
        .call(Method::GET, "/api/portal/items", Some(&jwt), None)
        .await;
    let opened = app
        .call(
            Method::POST,
            &format!("/api/portal/items/{doc}/views"),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let view = opened.json();
    assert_eq!(view["pages"].as_array().unwrap().len(), 1);
    let page = app
        .call(
            Method::GET,
            &format!(
                "/api/portal/items/{doc}/pages/1?view={}&w=800",
                view["view"].as_str().unwrap()
            ),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(page.headers[header::CONTENT_TYPE], "image/jpeg");
    assert!(page.body.starts_with(&[0xff, 0xd8]), "a JPEG");
    for (what, body) in [
        ("items", &items.body),
        ("view", &opened.body),
        ("page", &page.body),
    ] {
        assert!(
            !body
                .windows(b"the exhibit".len())
                .any(|w| w == b"the exhibit"),
            "the {what} response holds the original"
        );
    }
    // A page of another view, or past the end, is not found.
    for bad in ["pages/1?view=0000000000&w=800", "pages/2?view=X&w=800"] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/portal/items/{doc}/{bad}"),
                Some(&jwt),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {}", r.text());
    }

    let downloadable = app
        .share(&doc, json!({ "settings": { "allow_download": true } }))
        .await;
    let jwt = app.guest_session(&downloadable).await;
    let r = app
        .call(Method::GET, &format!("{path}?download=1"), Some(&jwt), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.body, b"the exhibit");
    let audit = app
        .call(
            Method::GET,
            "/api/v1/audit?event_type=item.downloaded",
            Some(&app.key),
            None,
        )
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

/// The console's bulk revoke (sparse `ids[N]` from the table's checkboxes) and the share
/// page's change form, and their REST twins: bad input changes nothing.
#[tokio::test]
async fn bulk_revoke_and_change_through_console_and_rest() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(
                app.share(&doc, json!({})).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        v
    };
    let (cookie, csrf) = app.console_session().await;
    let form = |name: &str, body: String| {
        Request::post(server_fn_path(name))
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}&{body}", urlencode(&csrf))))
            .unwrap()
    };
    let status = |id: String| {
        let app = &app;
        async move {
            app.call(
                Method::GET,
                &format!("/api/v1/shares/{id}"),
                Some(&app.key),
                None,
            )
            .await
            .json()
        }
    };

    // Change form: a limit that is not a number is refused and changes nothing.
    let before = status(ids[0].clone()).await;
    let r = app
        .send(form(
            "change_share",
            format!(
                "id={}&expires_at_shown=&expires_at_local=&tz_offset_minutes=&max_access_count=lots&permission=view",
                ids[0]
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("whole number"), "{}", r.text());
    assert_eq!(status(ids[0].clone()).await, before);
    let r = app
        .send(form(
            "change_share",
            format!(
                "id={}&expires_at_shown=&expires_at_local=&tz_offset_minutes=&max_access_count=7&permission=comment&allow_print=on",
                ids[0]
            ),
        ))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.text());
    let after = status(ids[0].clone()).await;
    assert_eq!(after["max_access_count"], 7, "{after}");
    assert_eq!(after["settings"]["permission"], "comment");
    assert_eq!(after["settings"]["allow_print"], true);
    assert_eq!(after["settings"]["allow_download"], false);
    assert_eq!(after["expires_at"], before["expires_at"]);

    // The expiry is a local date and time with the browser's offset: 17:00 in Paris in
    // winter (getTimezoneOffset -60) is 16:00 UTC. An unreadable one is refused on its field.
    let day = (time::OffsetDateTime::now_utc() + time::Duration::days(10)).date();
    let change_expiry = |local: String| {
        form(
            "change_share",
            format!(
                "id={}&expires_at_shown=x&expires_at_local={local}&tz_offset_minutes=-60&max_access_count=7&permission=comment",
                ids[0]
            ),
        )
    };
    let r = app.send(change_expiry("soon".into())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("expires_at"), "{}", r.text());
    assert_eq!(
        status(ids[0].clone()).await["expires_at"],
        before["expires_at"]
    );
    let r = app.send(change_expiry(format!("{day}T17:00"))).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.text());
    assert_eq!(
        status(ids[0].clone()).await["expires_at"],
        format!("{day}T16:00:00Z")
    );

    // REST: PATCH with an unknown field or a bad date is refused.
    for bad in [
        json!({ "max_access_count": 2, "colour": "red" }),
        json!({ "expires_at": "next week" }),
        json!({ "expires_at": "2030-01-01T00:00:00Z", "expires_in_days": 3 }),
    ] {
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v1/shares/{}", ids[1]),
                Some(&app.key),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
    }
    let r = app
        .call(
            Method::PATCH,
            &format!("/api/v1/shares/{}", ids[1]),
            Some(&app.key),
            Some(json!({ "expires_in_days": 14, "settings": { "allow_download": true } })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["settings"]["allow_download"], true);

    // Bulk revoke from the table: ticked rows 0 and 2 of three.
    let r = app
        .send(form(
            "revoke_shares",
            format!("ids[0]={}&ids[2]={}", ids[0], ids[2]),
        ))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.text());
    assert_eq!(r.text().trim(), "2");
    assert_eq!(status(ids[0].clone()).await["status"], "revoked");
    assert_eq!(status(ids[1].clone()).await["status"], "active");
    assert_eq!(status(ids[2].clone()).await["status"], "revoked");
    // Nothing ticked: a clear error.
    let r = app.send(form("revoke_shares", String::new())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // REST twin, with an unknown id: all or none.
    let r = app
        .call(
            Method::POST,
            "/api/v1/shares/revoke",
            Some(&app.key),
            Some(json!({ "ids": [ids[1], "no-such-share"] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(status(ids[1].clone()).await["status"], "active");
    let r = app
        .call(
            Method::POST,
            "/api/v1/shares/revoke",
            Some(&app.key),
            Some(json!({ "ids": [ids[1]] })),
        )
        .await;
    assert_eq!(r.json()["revoked"], 1, "{}", r.text());
}

/// Packages over REST: made, filled, shared as one item; bad input and other
/// organisations' ids are refused and write nothing.
#[tokio::test]
async fn packages_are_shared_as_one_item_over_rest() {
    let app = TestApp::new().await;
    let a = app.document().await;
    let b = app.document().await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/packages",
            Some(&app.key),
            Some(json!({ "name": "Exhibits" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let package = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::POST,
            "/api/v1/packages",
            Some(&app.key),
            Some(json!({ "name": "Exhibits" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    for doc in [&a, &b] {
        let r = app
            .call(
                Method::PUT,
                &format!("/api/v1/packages/{package}/documents/{doc}"),
                Some(&app.key),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    }
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/packages/{package}/documents/no-such-document"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let listed = app
        .call(Method::GET, "/api/v1/packages", Some(&app.key), None)
        .await
        .json();
    assert_eq!(listed["items"][0]["documents"], json!([a, b]));

    for (item, status) in [
        (
            json!({ "kind": "document_package", "id": "nope" }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "kind": "work_package", "id": "nope" }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "kind": "folder", "id": package }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let before = app.counts().await;
        let r = app
            .call(
                Method::POST,
                "/api/v1/shares",
                Some(&app.key),
                Some(json!({ "item": item, "recipient": { "name": "Jane", "email": "jane@lawfirm.example" } })),
            )
            .await;
        assert_eq!(r.status, status, "{item}: {}", r.text());
        assert_eq!(app.counts().await, before);
    }
    let share = app
        .call(
            Method::POST,
            "/api/v1/shares",
            Some(&app.key),
            Some(json!({
                "item": { "kind": "document_package", "id": package },
                "recipient": { "name": "Jane", "email": "jane@lawfirm.example" },
                "settings": { "bundle": { "id": "forged", "name": "Forged", "documents": 99 } },
            })),
        )
        .await;
    assert_eq!(share.status, StatusCode::CREATED, "{}", share.text());
    let body = share.json();
    assert_eq!(body["item"]["kind"], "document_package");
    assert_eq!(body["item"]["title"], "Exhibits");
    assert_eq!(
        body["settings"]["bundle"]["documents"], 2,
        "the caller cannot set the bundle"
    );

    let s = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token_of(&body) })),
        )
        .await
        .json();
    let jwt = s["access_token"].as_str().unwrap().to_owned();
    let items = app
        .call(Method::GET, "/api/portal/items", Some(&jwt), None)
        .await
        .json();
    let ids: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    for doc in [&a, &b] {
        let r = app
            .call(
                Method::POST,
                &format!("/api/portal/items/{doc}/views"),
                Some(&jwt),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
}

/// Security review, finding 6: HSTS on https deployments, and only there.
#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let r = app
        .send(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    // Every page of the installation's host (health checks come from load balancers, by
    // address, and are no browser's site).
    for path in ["/login", "/console", "/api/v1/shares", "/s/unknown"] {
        let resp = app
            .https_router()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            resp.headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap()),
            Some("max-age=63072000; includeSubDomains"),
            "{path}"
        );
    }
}

/// `liaison serve --production` on SQLite in `dir`, with an https public URL and a master
/// key: everything production asks for, so a test adds only what it checks.
fn production_serve(dir: &std::path::Path) -> tokio::process::Command {
    use base64::Engine;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_liaison"));
    cmd.arg("serve")
        .env("LIAISON_PRODUCTION", "true")
        .env("LIAISON_PUBLIC_URL", "https://liaison.example")
        .env(
            "LIAISON_MASTER_KEY",
            base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
        )
        .env("LIAISON_DATA_DIR", dir)
        .env("LIAISON_BIND", "127.0.0.1:0")
        .env_remove("LIAISON_DATABASE_URL");
    cmd
}

/// Security review, finding 6: `LIAISON_PRODUCTION=true` never generates and prints an
/// administrator's password and API key at start (they would land in the service journal);
/// it points to `liaison bootstrap` and exits.
#[tokio::test]
async fn production_serve_refuses_to_print_generated_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let out = production_serve(dir.path()).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(
        !stdout.contains("password") && !stdout.contains("lsn_"),
        "{stdout}"
    );
    assert!(stderr.contains("liaison bootstrap"), "{stderr}");
}

/// In production, documents never go to a blob store without verified TLS: an http
/// endpoint elsewhere, or certificate checks turned off, stop the start with the reason.
#[tokio::test]
async fn production_refuses_a_blob_store_without_verified_tls() {
    let cases = [
        (
            vec![("AWS_ENDPOINT_URL", "http://store.example:9000")],
            "AWS_ENDPOINT_URL must be https in production",
        ),
        (
            vec![
                ("AWS_ENDPOINT_URL", "https://store.example"),
                ("AWS_ALLOW_INVALID_CERTIFICATES", "true"),
            ],
            "AWS_ALLOW_INVALID_CERTIFICATES is refused in production",
        ),
        (
            vec![("AWS_ENDPOINT_URL", "not a url")],
            "AWS_ENDPOINT_URL is not a URL",
        ),
    ];
    for (env, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = production_serve(dir.path());
        cmd.env("LIAISON_BLOB_URL", "s3://agency-liaison/prod")
            .env_remove("AWS_ENDPOINT")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ALLOW_INVALID_CERTIFICATES");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{env:?}: {stderr}");
        assert!(stderr.contains(reason), "{env:?}: {stderr}");
    }
}

/// Security review, finding 4: unauthenticated endpoints are rate limited per client
/// address (after trusted-proxy resolution), answering 429 with `Retry-After`; other
/// addresses and authenticated APIs are unaffected.
#[tokio::test]
async fn unauthenticated_floods_are_rate_limited_per_address() {
    let app = TestApp::new().await;
    let from = |ip: &str, req: Request<Body>| {
        let mut req = req;
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo::<std::net::SocketAddr>(
                format!("{ip}:40000").parse().unwrap(),
            ));
        req
    };
    let junk_open = || {
        Request::post("/api/portal/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"token":"junk"}"#))
            .unwrap()
    };
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..100 {
        let r = app.send(from("198.51.100.9", junk_open())).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.code(), "too_many_requests");
            retry_after = r.headers.get(header::RETRY_AFTER).cloned();
        }
        statuses.push(r.status);
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(limited >= 30, "{limited} of 100 limited");
    let wait: u64 = retry_after
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Another address is not affected, nor is the admin API from the flooding one.
    let r = app.send(from("198.51.100.10", junk_open())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = app
        .send(from(
            "198.51.100.9",
            Request::get("/api/v1/shares")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.key))
                .body(Body::empty())
                .unwrap(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Every address of one IPv6 /64 shares a limit.
    let mut limited = 0;
    for i in 0..100 {
        let r = app
            .send(from(&format!("[2001:db8:7:7::{i:x}]"), junk_open()))
            .await;
        limited += usize::from(r.status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(limited >= 30, "{limited} of 100 limited across one /64");
    // The guest's server functions are the same door as the portal API (review of the
    // host routing change: they moved under /api/guest and must stay limited).
    let landing = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .find(|p| server_fn_name(p) == "guest/share_landing")
        .expect("the share_landing server function");
    let mut limited = 0;
    for _ in 0..100 {
        let r = app
            .send(from(
                "198.51.100.12",
                Request::post(landing)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("token=junk"))
                    .unwrap(),
            ))
            .await;
        limited += usize::from(r.status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(
        limited >= 30,
        "{limited} of 100 share_landing calls limited"
    );
    // Sign-in endpoints have their own limit: junk at an ACS is cut off too.
    let mut limited = 0;
    for _ in 0..100 {
        let r = app
            .send(from(
                "198.51.100.11",
                Request::post("/auth/saml/0190-unknown/acs")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("SAMLResponse=junk"))
                    .unwrap(),
            ))
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers.contains_key(header::RETRY_AFTER));
            limited += 1;
        }
    }
    assert!(limited >= 60, "{limited} of 100 limited");
}

/// Resident memory of this process (the server runs in it), in bytes.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}

/// A multipart response form whose attachment is `size` bytes, generated as it is read
/// and, like a network, not all ready at once (each piece after a yield); `read` counts
/// what the server pulled from it.
fn big_response_body(size: usize, read: Arc<std::sync::atomic::AtomicUsize>) -> Body {
    big_multipart_body("decision", "approve", "attachment", size, read)
}

/// A multipart form of one text field and one file part of `size` bytes (see above).
fn big_multipart_body(
    text_field: &str,
    text: &str,
    file_field: &str,
    size: usize,
    read: Arc<std::sync::atomic::AtomicUsize>,
) -> Body {
    use std::sync::atomic::Ordering;
    const B: &str = "liaison-test-boundary";
    let head = format!(
        "--{B}\r\nContent-Disposition: form-data; name=\"{text_field}\"\r\n\r\n{text}\r\n\
         --{B}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"big.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    );
    let tail = format!("\r\n--{B}--\r\n");
    let chunk = bytes::Bytes::from(vec![b'a'; 1024 * 1024]);
    let pieces: Vec<bytes::Bytes> = std::iter::once(bytes::Bytes::from(head))
        .chain((0..size / chunk.len()).map(move |_| chunk.clone()))
        .chain(std::iter::once(bytes::Bytes::from(tail)))
        .collect();
    let stream = futures::stream::unfold(pieces.into_iter(), move |mut rest| {
        let read = read.clone();
        async move {
            tokio::task::yield_now().await;
            let b = rest.next()?;
            read.fetch_add(b.len(), Ordering::Relaxed);
            Some((Ok::<_, std::io::Error>(b), rest))
        }
    });
    Body::from_stream(stream)
}

/// Security review, finding 5: a response upload was read whole into memory before the
/// guest's permission was checked. Now a view-only guest's 200 MB upload is refused before
/// its file is read, and an allowed guest's oversized one is cut off at the size limit
/// (413) — memory stays flat either way.
#[tokio::test]
async fn oversized_or_forbidden_uploads_are_refused_without_reading_them() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // The production default limit (50 MiB per file, so a 250 MiB body for five).
    let app = TestApp::with_upload_limit(
        Settings::new(url::Url::parse(ORIGIN).unwrap()).max_upload_bytes,
    )
    .await;
    let doc = app.document().await;
    let open = |share: Value| {
        let app = &app;
        async move {
            let s = app
                .call(
                    Method::POST,
                    "/api/portal/session",
                    None,
                    Some(json!({ "token": token_of(&share) })),
                )
                .await;
            s.json()["access_token"].as_str().unwrap().to_owned()
        }
    };
    let post = |jwt: String, size: usize, read: Arc<AtomicUsize>| {
        Request::post("/api/portal/responses")
            .header(header::AUTHORIZATION, format!("Bearer {jwt}"))
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=liaison-test-boundary",
            )
            .body(big_response_body(size, read))
            .unwrap()
    };
    let view_only = open(
        app.share(&doc, json!({ "settings": { "permission": "view" } }))
            .await,
    )
    .await;
    let before = rss_bytes();
    let read = Arc::new(AtomicUsize::new(0));
    let r = app
        .send(post(view_only, 200 * 1024 * 1024, read.clone()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let pulled = read.load(Ordering::Relaxed);
    assert!(pulled < 4 * 1024 * 1024, "read {pulled} bytes of the body");
    let grown = rss_bytes().saturating_sub(before);
    assert!(grown < 20 * 1024 * 1024, "memory grew by {grown} bytes");

    // Allowed to attach, but far over the 50 MiB limit: 413 once the limit is passed,
    // with at most a buffer's worth in memory, nothing stored.
    let editor = open(
        app.share(&doc, json!({ "settings": { "permission": "edit" } }))
            .await,
    )
    .await;
    let before = rss_bytes();
    let read = Arc::new(AtomicUsize::new(0));
    let r = app
        .send(post(editor, 200 * 1024 * 1024, read.clone()))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    let pulled = read.load(Ordering::Relaxed);
    assert!(
        pulled < 60 * 1024 * 1024,
        "read {pulled} bytes of the body, the limit is 50 MiB"
    );
    let grown = rss_bytes().saturating_sub(before);
    assert!(grown < 20 * 1024 * 1024, "memory grew by {grown} bytes");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM response_attachments")
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let blobs = std::fs::read_dir(app._dir.path().join("blobs/org"))
        .map(|orgs| {
            orgs.flatten()
                .filter(|o| o.path().join("attachments").exists())
                .flat_map(|o| std::fs::read_dir(o.path().join("attachments")).unwrap())
                .count()
        })
        .unwrap_or(0);
    assert_eq!(blobs, 0, "no attachment blob left behind");

    // Document uploads stream the same way.
    let (documents_before, _, _) = app.counts().await;
    let read = Arc::new(AtomicUsize::new(0));
    let r = app
        .send(
            Request::post("/api/v1/documents")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.key))
                .header(
                    header::CONTENT_TYPE,
                    "multipart/form-data; boundary=liaison-test-boundary",
                )
                .body(big_multipart_body(
                    "title",
                    "Huge",
                    "file",
                    200 * 1024 * 1024,
                    read.clone(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert!(read.load(Ordering::Relaxed) < 60 * 1024 * 1024);
    assert_eq!(app.counts().await.0, documents_before, "no document row");
}

/// Security review, finding 7 over REST: API keys created (secret once), used, listed with
/// their last use, revoked (the next request is a 401); a signing key rotation published
/// in the JWKS. Administrators' business only, each organisation its own keys.
#[tokio::test]
async fn api_keys_and_signing_key_rotation_over_rest() {
    let app = TestApp::new().await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/api-keys",
            Some(&app.key),
            Some(json!({ "name": "CRM", "expires_in_days": 90 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let id = r.json()["key"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(r.json()["key"]["prefix"].as_str().unwrap()));
    let r = app
        .call(Method::GET, "/api/v1/shares", Some(&secret), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let listed = app
        .call(Method::GET, "/api/v1/api-keys", Some(&app.key), None)
        .await
        .json();
    let crm = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(crm["last_used_at"].is_string(), "{crm}");
    assert!(crm.get("secret").is_none() && crm.get("key_hash").is_none());
    // Another organisation cannot revoke it.
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            Some(&app.other_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .call(Method::GET, "/api/v1/shares", Some(&secret), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .call(
            Method::POST,
            "/api/v1/api-keys",
            Some(&app.key),
            Some(json!({ "name": "x", "expires_in_days": 0 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "expires_in_days");

    let r = app
        .call(
            Method::POST,
            "/api/v1/signing-keys/rotate",
            Some(&app.key),
            Some(json!({ "publish_lead_seconds": 0 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "publish_lead_seconds");
    let r = app
        .call(
            Method::POST,
            "/api/v1/signing-keys/rotate",
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let kid = r.json()["kid"].as_str().unwrap().to_owned();
    let jwks = app
        .call(Method::GET, "/.well-known/jwks.json", None, None)
        .await
        .json();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&kid.as_str()));
    let listed = app
        .call(Method::GET, "/api/v1/signing-keys", Some(&app.key), None)
        .await
        .json();
    assert_eq!(listed["keys"][0]["kid"], kid.as_str());
    assert_eq!(listed["keys"][0]["status"], "pending");
    assert_eq!(listed["keys"][1]["status"], "signing");
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, _| image::Rgba([(x % 250) as u8, 40, 90, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

impl TestApp {
    async fn put_bytes(&self, path: &str, key: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
        self.send(
            Request::put(path)
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes))
                .unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn portal_branding_over_rest_and_on_every_guest_screen() {
    let app = TestApp::new().await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/portals",
            Some(&app.key),
            Some(json!({ "name": "Evidence" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let portal = r.json()["id"].as_str().unwrap().to_owned();
    let branding = format!("/api/v1/portals/{portal}/branding");
    let good = json!({
        "display_name": "Evidence <i>Unit</i></title><script>alert(1)</script>",
        "primary": "#0b3d91", "accent": "#b8860b", "background": "#ffffff",
        "disclaimer": "Handle under **TLP rules**.\n\n<script>alert('d')</script>",
        "support_contact": "help@agency.example",
        "footer_links": [{ "label": "Privacy", "url": "https://agency.example/privacy" }],
    });

    // Refusals name the field, say why, and change nothing.
    let before = app.counts().await;
    let mut bad = good.clone();
    bad["primary"] = json!("#fff000");
    let r = app
        .call(Method::PUT, &branding, Some(&app.key), Some(bad))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "primary");
    assert!(
        r.text().contains(":1") && r.text().contains("4.5:1"),
        "{}",
        r.text()
    );
    let mut bad = good.clone();
    bad["footer_links"] = json!([{ "label": "x", "url": "javascript:alert(1)" }]);
    let r = app
        .call(Method::PUT, &branding, Some(&app.key), Some(bad))
        .await;
    assert_eq!(r.json()["error"]["field"], "footer_links.url");
    let mut bad = good.clone();
    bad["colour"] = json!("#000000");
    let r = app
        .call(Method::PUT, &branding, Some(&app.key), Some(bad))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    assert_eq!(app.counts().await, before);
    // Another organisation cannot reach the portal.
    let r = app
        .call(
            Method::PUT,
            &branding,
            Some(&app.other_key),
            Some(good.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = app
        .call(Method::PUT, &branding, Some(&app.key), Some(good))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Logos: re-encoded WebP, served by content with immutable caching.
    let logo_path = format!("/api/v1/portals/{portal}/logo");
    let r = app
        .put_bytes(
            &logo_path,
            &app.key,
            "image/svg+xml",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("SVG"), "{}", r.text());
    let r = app
        .put_bytes(
            &logo_path,
            &app.key,
            "image/png",
            vec![7u8; 1024 * 1024 + 1],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = app
        .put_bytes(&logo_path, &app.other_key, "image/png", png(10, 10))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .put_bytes(&logo_path, &app.key, "image/png", png(300, 100))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let logo_url = r.json()["logo_url"].as_str().unwrap().to_owned();
    let logo = app.call(Method::GET, &logo_url, None, None).await;
    assert_eq!(logo.status, StatusCode::OK);
    assert_eq!(logo.headers[header::CONTENT_TYPE], "image/webp");
    assert!(logo.headers[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(logo.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let stale = logo_url.replace("logo-", "logo-0");
    assert_eq!(
        app.call(Method::GET, &stale, None, None).await.status,
        StatusCode::NOT_FOUND
    );

    // The landing page: name (escaped), logo, theme, disclaimer (no raw HTML), footer.
    let doc = app.document().await;
    let share = app
        .share(
            &doc,
            json!({ "portal_id": portal, "require_acknowledgement": true, "max_access_count": 1 }),
        )
        .await;
    assert_eq!(share["portal_id"], portal.as_str());
    let token = token_of(&share);
    let html = app
        .call(Method::GET, &format!("/s/{token}"), None, None)
        .await
        .text();
    assert!(html.contains("Evidence &lt;i&gt;Unit&lt;/i&gt;"), "{html}");
    // leptos_meta writes titles unescaped: the page's title drops markup characters.
    assert!(
        html.contains(
            "<title>Shared with you · Evidence iUnit/i/titlescriptalert(1)/script</title>"
        ),
        "{html}"
    );
    for raw in ["<i>Unit</i>", "<script>alert('d')", "<script>alert(1)"] {
        if let Some(at) = html.find(raw) {
            panic!(
                "{raw} reached the page: …{}…",
                &html[at.saturating_sub(300)..(at + 100).min(html.len())]
            );
        }
    }
    assert!(html.contains(&logo_url));
    assert!(html.contains("<strong>TLP rules</strong>"));
    assert!(
        html.contains("mailto:help@agency.example")
            && html.contains("https://agency.example/privacy")
    );
    let theme = html
        .split('"')
        .find(|s| s.starts_with(&format!("/brand/{portal}/theme-")))
        .expect("the theme style sheet is linked")
        .to_owned();
    let css = app.call(Method::GET, &theme, None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(css.text().contains("--brand:#0b3d91"));

    // The portal page and each denial are in the same brand.
    let s = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token, "acknowledged": true })),
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text());
    let jwt = s.json()["access_token"].as_str().unwrap().to_owned();
    let page = app
        .send(
            Request::get("/portal")
                .header(header::COOKIE, format!("liaison_portal={jwt}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .text();
    assert!(
        page.contains("Evidence &lt;i&gt;Unit&lt;/i&gt;") && page.contains(&theme),
        "{page}"
    );
    let used_up = app
        .call(Method::GET, &format!("/s/{token}"), None, None)
        .await;
    assert_eq!(used_up.status, StatusCode::GONE);
    assert!(
        used_up.text().contains("Evidence &lt;i&gt;Unit&lt;/i&gt;")
            && used_up.text().contains(&theme)
    );
    let revoked = app
        .call(
            Method::POST,
            &format!("/api/v1/shares/{}/revoke", share["id"].as_str().unwrap()),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let gone = app
        .call(Method::GET, &format!("/s/{token}"), None, None)
        .await
        .text();
    assert!(
        gone.contains("This link has been revoked.") && gone.contains(&theme),
        "{gone}"
    );
    // An unknown link names no organisation.
    let unknown = app
        .call(Method::GET, &format!("/s/{}", "A".repeat(65)), None, None)
        .await
        .text();
    assert!(
        !unknown.contains("Evidence") && !unknown.contains("/brand/"),
        "{unknown}"
    );
}

#[tokio::test]
async fn custom_domains_over_rest_and_the_tls_ask() {
    let app = TestApp::new().await;
    let portal = app
        .call(
            Method::POST,
            "/api/v1/portals",
            Some(&app.key),
            Some(json!({ "name": "Evidence" })),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/portals/{portal}/domains");
    // Bad names: a clear refusal naming the field; nothing written.
    for bad in [
        "*.agency.example",
        "203.0.113.9",
        "127.0.0.1:3000",
        "xn--pple-43d.example",
        "127.0.0.1",
    ] {
        let r = app
            .call(
                Method::POST,
                &path,
                Some(&app.key),
                Some(json!({ "domain": bad })),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["field"], "domain", "{bad}");
    }
    let listed = app
        .call(Method::GET, &path, Some(&app.key), None)
        .await
        .json();
    assert_eq!(listed["domains"].as_array().unwrap().len(), 0);

    let r = app
        .call(
            Method::POST,
            &path,
            Some(&app.key),
            Some(json!({ "domain": "Share.Agency.Example." })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let d = r.json();
    assert_eq!(d["domain"], "share.agency.example");
    assert_eq!(d["status"], "pending");
    assert_eq!(d["txt_name"], "_liaison-challenge.share.agency.example");
    let listed = app
        .call(Method::GET, &path, Some(&app.key), None)
        .await
        .json();
    assert_eq!(listed["domains"].as_array().unwrap().len(), 1);
    // Another organisation may add the name while it is only pending (each row has its own
    // challenge: a pending name holds nothing), but cannot touch this organisation's row.
    let theirs = app
        .call(
            Method::POST,
            "/api/v1/portals",
            Some(&app.other_key),
            Some(json!({ "name": "Theirs" })),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/portals/{theirs}/domains"),
            Some(&app.other_key),
            Some(json!({ "domain": "share.agency.example" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let their_pending = r.json()["id"].as_str().unwrap().to_owned();
    let id = d["id"].as_str().unwrap();
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/domains/{id}"),
            Some(&app.other_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The TLS ask: only verified names, only for the local proxy.
    let ask = |domain: &str, peer: &str, forwarded: bool| {
        let mut req = Request::get(format!("/internal/tls/ask?domain={domain}"));
        if forwarded {
            req = req.header("x-forwarded-for", "198.51.100.20");
        }
        let mut req = req.body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo::<std::net::SocketAddr>(
                peer.parse().unwrap(),
            ));
        req
    };
    let local = "127.0.0.1:50000";
    assert_eq!(
        app.send(ask("share.agency.example", local, false))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "pending"
    );
    sqlx::query("UPDATE portal_domains SET status = 'verified' WHERE id = $1")
        .bind(id)
        .execute(app.core.db.pool())
        .await
        .unwrap();
    assert_eq!(
        app.send(ask("share.agency.example", local, false))
            .await
            .status,
        StatusCode::OK
    );
    // Verified, the name is this portal's alone: the other organisation, starting again,
    // is told it is taken (not by whom).
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/domains/{their_pending}"),
            Some(&app.other_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/portals/{theirs}/domains"),
            Some(&app.other_key),
            Some(json!({ "domain": "share.agency.example" })),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "conflict"),
        "{}",
        r.text()
    );
    assert!(!r.text().contains("Acme"), "{}", r.text());
    assert_eq!(
        app.send(ask("SHARE.agency.example.", local, false))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(ask("unknown.agency.example", local, false))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send(ask("share.agency.example", "203.0.113.7:40000", false))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(ask("share.agency.example", local, true))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a proxied guest request"
    );
    // A proxy on another host, with the configured key (and only with it).
    let keyed = AppState::new(
        app.core.clone(),
        leptos::config::LeptosOptions::builder()
            .output_name("liaison")
            .build(),
    )
    .with_tls_ask_key(Some("k".repeat(40).into()));
    let keyed = server::router::build(keyed);
    let remote = |key: &str| {
        let mut req = ask("share.agency.example", "203.0.113.7:40000", false);
        *req.uri_mut() = format!("/internal/tls/ask?domain=share.agency.example&key={key}")
            .parse()
            .unwrap();
        req
    };
    for (key, status) in [
        ("k".repeat(40), StatusCode::OK),
        ("k".repeat(39), StatusCode::FORBIDDEN),
        ("x".repeat(40), StatusCode::FORBIDDEN),
        (String::new(), StatusCode::FORBIDDEN),
    ] {
        let r = reply(&keyed, remote(&key)).await;
        assert_eq!(r.status, status, "key of {} characters", key.len());
    }

    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/domains/{id}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(ask("share.agency.example", local, false))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
