//! The portal JWT attack set: each forged or misused token is rejected.

use crate::common::Harness;
use backend::portal_jwt::{JwtError, PortalClaims, TokenType};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

both_engines!(
    attacks_are_rejected,
    rotation_publishes_first_then_signs_then_retires
);

const ISS: &str = "http://127.0.0.1:3000";
const AUD: &str = "http://127.0.0.1:3000";

fn claims(exp_offset: i64) -> PortalClaims {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    PortalClaims {
        iss: ISS.into(),
        aud: AUD.into(),
        sub: "share".into(),
        org: "org".into(),
        sid: "sid".into(),
        iat: now,
        exp: now + exp_offset,
        auth_time: now,
        dev: None,
        idp: None,
        partner: None,
    }
}

fn b64(v: &serde_json::Value) -> String {
    B64URL.encode(v.to_string())
}

async fn attacks_are_rejected(h: Harness) {
    let keys = &h.core.keys;
    // One set of claims, compared with itself: two calls of `claims` may straddle a second.
    let issued = claims(600);
    let good = keys.issue(&issued).unwrap();
    assert_eq!(keys.verify(&good, ISS, AUD).await.unwrap(), issued);
    let kid = keys.jwks()["keys"][0]["kid"].as_str().unwrap().to_owned();
    let body = b64(&serde_json::to_value(claims(600)).unwrap());

    // alg none
    let none = format!(
        "{}.{body}.",
        b64(&serde_json::json!({"alg": "none", "kid": kid}))
    );
    assert!(matches!(
        keys.verify(&none, ISS, AUD).await,
        Err(JwtError::Malformed | JwtError::WrongAlgorithm)
    ));
    // HS256 "signed" with the RSA public key (algorithm confusion)
    let header = b64(&serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid}));
    let public = serde_json::to_vec(&keys.jwks()["keys"][0]).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&public).unwrap();
    mac.update(format!("{header}.{body}").as_bytes());
    let hs = format!(
        "{header}.{body}.{}",
        B64URL.encode(mac.finalize().into_bytes())
    );
    assert!(matches!(
        keys.verify(&hs, ISS, AUD).await,
        Err(JwtError::WrongAlgorithm)
    ));
    // wrong audience / issuer / expired
    assert!(matches!(
        keys.verify(&good, ISS, "https://evil.example").await,
        Err(JwtError::WrongAudience)
    ));
    assert!(matches!(
        keys.verify(&good, "https://evil.example", AUD).await,
        Err(JwtError::WrongIssuer)
    ));
    let expired = keys.issue(&claims(-60)).unwrap();
    assert!(matches!(
        keys.verify(&expired, ISS, AUD).await,
        Err(JwtError::Expired)
    ));
    // unknown kid
    let parts: Vec<&str> = good.split('.').collect();
    let other_kid = format!(
        "{}.{}.{}",
        b64(&serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "nope"})),
        parts[1],
        parts[2]
    );
    assert!(matches!(
        keys.verify(&other_kid, ISS, AUD).await,
        Err(JwtError::UnknownKey)
    ));
    // tampered payload (sub changed after signing)
    let mut c = claims(600);
    c.sub = "another-share".into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&serde_json::to_value(c).unwrap()),
        parts[2]
    );
    assert!(matches!(
        keys.verify(&tampered, ISS, AUD).await,
        Err(JwtError::BadSignature)
    ));
    // A signed export (another `typ`) carrying every claim of a session: not a session.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let export = keys
        .sign(&claims(600), now, TokenType::RecordExport)
        .unwrap();
    assert!(matches!(
        keys.verify(&export, ISS, AUD).await,
        Err(JwtError::WrongType)
    ));
    // garbage
    for junk in ["", "a.b.c", "....", "eyJ.eyJ.sig", &"A".repeat(10_000)] {
        assert!(keys.verify(junk, ISS, AUD).await.is_err(), "{junk}");
    }
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Security review, finding 7: a rotation publishes the new key in the JWKS before any
/// token carries it, signs with it from its activation, keeps the old key verifying until
/// every token it signed has expired, then retires it — audited, one rotation at a time.
async fn rotation_publishes_first_then_signs_then_retires(h: Harness) {
    use backend::services::{auth, bootstrap, signing_keys, ServiceError};
    use secrecy::ExposeSecret;
    let b = bootstrap::bootstrap(&h.core, "Acme", "admin@acme.example.org")
        .await
        .unwrap();
    let meta = backend::actor::RequestMeta::default();
    let admin = auth::staff_for_api_key(&h.core, b.api_key.expose_secret(), &meta)
        .await
        .unwrap();
    let keys = &h.core.keys;
    let old = keys.issue(&claims(600)).unwrap();
    let old_kid = kid_of(&old);

    // A key must be published longer than the JWKS may be cached plus a node's refresh
    // before it signs.
    match signing_keys::rotate(&h.core, &admin, Some(0), &meta).await {
        Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "publish_lead_seconds"),
        other => panic!("{other:?}"),
    }
    let rotated = signing_keys::rotate(&h.core, &admin, Some(420), &meta)
        .await
        .unwrap();
    assert_eq!(rotated.status, "pending");
    let published: Vec<String> = keys.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(published.contains(&rotated.kid), "published before use");
    assert!(published.contains(&old_kid));
    assert!(matches!(
        signing_keys::rotate(&h.core, &admin, Some(420), &meta).await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(
        kid_of(&keys.issue(&claims(600)).unwrap()),
        old_kid,
        "not yet"
    );
    let mut later = claims(600);
    later.iat += 421;
    later.exp += 421;
    assert_eq!(kid_of(&keys.issue(&later).unwrap()), rotated.kid);
    assert!(keys.verify(&old, ISS, AUD).await.is_ok());

    // Tokens the old key signed may live 15 minutes after the switch (plus the nodes'
    // refresh slack): until then it stays.
    h.clock.advance(time::Duration::minutes(7 + 10));
    assert!(signing_keys::maintain(&h.core).await.unwrap().is_empty());
    assert!(keys.verify(&old, ISS, AUD).await.is_ok());
    h.clock.advance(time::Duration::minutes(8));
    assert_eq!(
        signing_keys::maintain(&h.core).await.unwrap(),
        vec![old_kid.clone()]
    );
    assert_eq!(keys.jwks()["keys"].as_array().unwrap().len(), 1);
    assert!(matches!(
        keys.verify(&old, ISS, AUD).await,
        Err(JwtError::UnknownKey)
    ));
    let listed = signing_keys::list(&h.core, &admin).await.unwrap();
    let status = |kid: &str| listed.iter().find(|k| k.kid == kid).unwrap().status;
    assert_eq!(status(&rotated.kid), "signing");
    assert_eq!(status(&old_kid), "retired");
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'keys.rotated'")
            .fetch_one(h.core.db.pool())
            .await
            .unwrap();
    assert_eq!(audited, 1);
}
