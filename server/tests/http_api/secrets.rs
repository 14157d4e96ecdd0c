//! End-to-end encrypted secrets over HTTP (issue 14, points 4–5): created over REST and
//! from the console (CSRF-checked), revealed as bytes to the proof, refused with errors
//! that name their field, and the page that says when a secret is gone.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{TestApp, ORIGIN};

const KEY: [u8; 32] = [5; 32];
const NONCE: [u8; 12] = [3; 12];

fn proof() -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"liaison-secret-proof:");
    h.update(KEY);
    h.finalize().to_vec()
}

/// A link-key password secret's create body, as a browser would send it.
fn body(extra: Value) -> Value {
    let content = b"CANARY-HTTP correct horse";
    let mut plaintext = 0u32.to_be_bytes().to_vec();
    plaintext.extend_from_slice(&(content.len() as u32).to_be_bytes());
    plaintext.extend_from_slice(content);
    plaintext.resize(1024, 0);
    let ciphertext = Aes256Gcm::new_from_slice(&KEY)
        .unwrap()
        .encrypt(&Nonce::from(NONCE), plaintext.as_slice())
        .unwrap();
    let mut b = json!({
        "kind": "password", "label": "Router admin", "tlp": "GREEN", "delivery": "link_key",
        "expires_in_minutes": 60, "max_views": 2,
        "ciphertext": B64URL.encode(&ciphertext), "nonce": B64URL.encode(NONCE),
        "proof": B64URL.encode(proof()),
    });
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

impl TestApp {
    async fn open_secret(&self, token: &str, proof: &[u8]) -> super::Reply {
        self.send(
            Request::post(app::SECRET_OPEN_PATH)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({ "token": token, "proof": B64URL.encode(proof) }).to_string(),
                ))
                .unwrap(),
        )
        .await
    }

    async fn secret_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
            .fetch_one(self.core.db.pool())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_secret_made_over_rest_is_revealed_as_bytes_to_its_proof_and_then_gone() {
    let app = TestApp::new().await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/secrets",
            Some(&app.key),
            Some(body(json!({}))),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let link = r.json()["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("{ORIGIN}/secret/")), "{link}");
    assert!(!r.text().contains("CANARY"));
    let id = r.json()["secret"]["id"].as_str().unwrap().to_owned();
    let token = link.rsplit('/').next().unwrap().to_owned();

    // The page renders without taking a view and names what was sent.
    let page = app
        .send(
            Request::get(format!("/secret/{token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("a password"), "{}", page.text());
    assert!(!page.text().contains("CANARY"));

    for views_left in [1, 0] {
        let r = app.open_secret(&token, &proof()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.headers["content-type"], "application/octet-stream");
        assert_eq!(r.headers["cache-control"], "no-store");
        assert_eq!(r.headers["x-views-left"], views_left.to_string().as_str());
        let (nonce, ciphertext) = r.body.split_at(12);
        let plain = Aes256Gcm::new_from_slice(&KEY)
            .unwrap()
            .decrypt(
                &Nonce::from(<[u8; 12]>::try_from(nonce).unwrap()),
                ciphertext,
            )
            .unwrap();
        assert_eq!(&plain[8..8 + 25], b"CANARY-HTTP correct horse");
    }
    let gone = app.open_secret(&token, &proof()).await;
    assert_eq!(
        (gone.status, gone.code()),
        (StatusCode::GONE, "secret_gone".into())
    );
    // The page says so, with the status to match.
    let page = app
        .send(
            Request::get(format!("/secret/{token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page
        .text()
        .contains("viewed as many times as its sender allowed"));

    let shown = app
        .call(
            Method::GET,
            &format!("/api/v1/secrets/{id}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(shown.json()["state"], "burned");
    assert_eq!(shown.json()["views"], 2);
    let listed = app
        .call(Method::GET, "/api/v1/secrets", Some(&app.key), None)
        .await;
    assert_eq!(listed.json()["secrets"].as_array().unwrap().len(), 1);
    // Another organisation sees nothing of it.
    let theirs = app
        .call(
            Method::GET,
            &format!("/api/v1/secrets/{id}"),
            Some(&app.other_key),
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    // An unknown link: 404, nothing said.
    let unknown = app.open_secret("nothing-here", &proof()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let page = app
        .send(
            Request::get("/secret/nothing-here")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_secret_input_is_refused_naming_its_field_and_writes_nothing() {
    let app = TestApp::new().await;
    let cases = [
        (json!({ "kind": "wifi" }), "kind"),
        (json!({ "tlp": "PURPLE" }), "tlp"),
        (json!({ "delivery": "carrier_pigeon" }), "delivery"),
        (json!({ "ciphertext": "not base64!" }), "ciphertext"),
        (json!({ "nonce": "AAAA" }), "nonce"),
        (json!({ "tlp": "RED" }), "delivery"),
        (json!({ "max_views": 1000 }), "max_views"),
        (json!({ "expires_in_minutes": 1 }), "expires_in_minutes"),
        (json!({ "csrf": "anything" }), "csrf"),
        (json!({ "colour": "red" }), "body"),
    ];
    for (extra, field) in cases {
        let r = app
            .call(
                Method::POST,
                "/api/v1/secrets",
                Some(&app.key),
                Some(body(extra.clone())),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{extra}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["field"], field, "{extra}: {}", r.text());
    }
    // Too big for a password: 413. Not JSON: 415.
    let big = B64URL.encode(vec![0u8; 70 * 1024]);
    let r = app
        .call(
            Method::POST,
            "/api/v1/secrets",
            Some(&app.key),
            Some(body(json!({ "ciphertext": big }))),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    let r = app
        .send(
            Request::post("/api/v1/secrets")
                .header(header::AUTHORIZATION, format!("Bearer {}", app.key))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("hunter2"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A body over the whole limit is cut off at 413 before it is read.
    let huge = "A".repeat(server::api::secrets::CREATE_LIMIT + 1);
    let r = app
        .call(
            Method::POST,
            "/api/v1/secrets",
            Some(&app.key),
            Some(body(json!({ "ciphertext": huge }))),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A reveal with a malformed proof: 422 naming it.
    let r = app
        .send(
            Request::post(app::SECRET_OPEN_PATH)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({ "token": "x", "proof": "!!" }).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("proof"))
    );
    assert_eq!(app.secret_count().await, 0);
}

#[tokio::test]
async fn the_console_creates_secrets_with_its_csrf_token_only() {
    let app = TestApp::new().await;
    let (cookie, csrf) = app.console_session().await;
    let post = |b: Value| {
        Request::post(app::CONSOLE_SECRETS_PATH)
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, cookie.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap()
    };
    for forged in [
        json!({}),
        json!({ "csrf": "forged" }),
        json!({ "csrf": "" }),
    ] {
        let r = app.send(post(body(forged.clone()))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{forged}: {}", r.text());
    }
    assert_eq!(app.secret_count().await, 0);
    let r = app.send(post(body(json!({ "csrf": csrf })))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // From another site, even with the token: refused before it is read.
    let r = app
        .send(
            Request::post(app::CONSOLE_SECRETS_PATH)
                .header(header::ORIGIN, "https://evil.example")
                .header(header::COOKIE, cookie.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body(json!({ "csrf": csrf })).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.secret_count().await, 1);
}
