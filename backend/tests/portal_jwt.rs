//! The portal JWT attack set: each forged or misused token is rejected.
#![allow(clippy::unwrap_used)] // A test crate: a panic is the failure report.

mod common;

use backend::portal_jwt::{JwtError, PortalClaims};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use common::Harness;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

both_engines!(attacks_are_rejected, rotation_keeps_old_tokens_valid);

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
    let good = keys.issue(&claims(600)).unwrap();
    assert_eq!(keys.verify(&good, ISS, AUD).await.unwrap(), claims(600));
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
        b64(&serde_json::json!({"alg": "RS256", "kid": "nope"})),
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
    // garbage
    for junk in ["", "a.b.c", "....", "eyJ.eyJ.sig", &"A".repeat(10_000)] {
        assert!(keys.verify(junk, ISS, AUD).await.is_err(), "{junk}");
    }
}

async fn rotation_keeps_old_tokens_valid(h: Harness) {
    let keys = &h.core.keys;
    let old = keys.issue(&claims(600)).unwrap();
    let new_kid = keys.rotate(h.core.now_ms()).await.unwrap();
    let new = keys.issue(&claims(600)).unwrap();
    assert!(keys.verify(&old, ISS, AUD).await.is_ok());
    assert!(keys.verify(&new, ISS, AUD).await.is_ok());
    let header = jsonwebtoken::decode_header(&new).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    assert_eq!(keys.jwks()["keys"].as_array().unwrap().len(), 2);
}
