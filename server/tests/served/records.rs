//! A record share's signed export, checked by a third party: PyJWT
//! (`end2end/peers/jws-verify/verify.py`) verifies it against the JWK Set the node
//! publishes, finds exactly what the guest was shown — nothing withheld — and refuses it
//! once a byte of it is changed.

use serde_json::{json, Value};

use crate::node::{http, json_call, Node, PUBLIC_URL};

/// Runs the PyJWT verifier on `jws` with `jwks`: the payload, or why it did not verify.
async fn pyjwt_verify(dir: &std::path::Path, jwks: &[u8], jws: &str) -> Result<Value, String> {
    let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../end2end/peers/jws-verify/verify.py"
    );
    let (jwks_file, jws_file) = (dir.join("jwks.json"), dir.join("record.jws"));
    std::fs::write(&jwks_file, jwks).unwrap();
    std::fs::write(&jws_file, jws).unwrap();
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(&jwks_file)
        .arg(&jws_file)
        .arg(PUBLIC_URL)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}); run scripts/bootstrap"));
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("the verifier prints JSON"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_record_export_verifies_with_pyjwt_against_the_published_jwks() {
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(None, data.path(), &[]).await;
    let key = node.api_key().await;
    node.wait_healthy().await;
    let port = node.port;
    let (status, record) = json_call(
        port,
        "POST",
        "/api/v1/records",
        &key,
        json!({
            "record_type": "delivery", "title": "Consignment 42", "reference": "DEL-42",
            "fields": {"weight_kg": 12.5, "consignee": {"name": "Port", "phone": "CANARY-JWS"}},
            "redacted": ["consignee.phone"],
            "history": [{"occurred_at": "2026-11-01T08:00:00Z", "process": "loaded"}]
        }),
    )
    .await;
    assert_eq!(status, 201, "{record}");
    let (status, share) = json_call(
        port,
        "POST",
        "/api/v1/shares",
        &key,
        json!({
            "item": {"kind": "record", "id": record["id"]},
            "recipient": {"name": "Jane", "email": "jane@lawfirm.example"},
            "settings": {"allow_download": true}
        }),
    )
    .await;
    assert_eq!(status, 201, "{share}");
    let jwt = &crate::live::open_link(port, &share).await;
    let (status, jws) = http(port, "GET", "/api/portal/record/export", Some(jwt), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&jws));
    let jws = String::from_utf8(jws).unwrap();
    let (status, jwks) = http(port, "GET", "/.well-known/jwks.json", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);

    let payload = pyjwt_verify(data.path(), &jwks, &jws)
        .await
        .expect("PyJWT verifies the export");
    assert_eq!(payload["sub"], record["id"]);
    assert_eq!(payload["share"], share["id"]);
    assert_eq!(payload["record"]["title"], "Consignment 42");
    assert_eq!(
        payload["record"]["fields"]["consignee"],
        json!({"name": "Port"})
    );
    assert_eq!(payload["record"]["withheld"], 1);
    assert!(!payload.to_string().contains("CANARY-JWS"), "{payload}");

    // The export is signed with the session key, yet is no session.
    let (status, _) = http(port, "GET", "/api/portal/record", Some(&jws), None)
        .await
        .unwrap();
    assert_eq!(status, 401);

    // One character of the payload changed: PyJWT refuses it.
    let dot = jws.find('.').unwrap();
    let mut forged: Vec<char> = jws.chars().collect();
    forged[dot + 3] = if forged[dot + 3] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let why = pyjwt_verify(data.path(), &jwks, &forged).await.unwrap_err();
    assert!(why.contains("does not verify"), "{why}");

    // The record the export signs is the one the portal API shows.
    let (status, shown) = http(port, "GET", "/api/portal/record", Some(jwt), None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let shown: Value = serde_json::from_slice(&shown).unwrap();
    assert_eq!(shown["record"], payload["record"]);
}
