//! The REST API held to its own OpenAPI document by schemathesis (a property-based API
//! fuzzer, from PyPI): every operation of `/api/v1` with an admin API key and every one of
//! `/api/portal` with a guest's portal session, from examples, the coverage of each
//! schema's edges, random data and stateful sequences (links inferred from the document).
//! It must find no server error, no answer the document does not describe, and no
//! malformed input accepted. The two streams, which a request-and-answer fuzzer cannot
//! wait out, are left to their own tests (`live`, `http_api`).

use serde_json::json;

use crate::node::{json_call, upload_text, Node, TestDb, PUBLIC_HOST};

/// What schemathesis checks every answer for.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,negative_data_rejection";

/// The operations that end the caller's own credential (revoking its key, resetting or
/// disabling its owner): fuzzed last, on their own, so the rest is fuzzed while the key
/// still works.
const ENDS_THE_KEY: &str = "^(revoke_api_key|reset_staff_password|change_staff)$";

/// Left out of every run: the streams (server-sent events, the WebSocket) stay open for the
/// session's life, which a request-and-answer fuzzer cannot wait out; their own tests
/// cover them. And the `ENDS_THE_KEY` operations, but for their own run. (Schemathesis
/// combines exclusions of different kinds with "and": one kind, one expression.)
const LEFT_OUT: &str = "^(events|portal_live|revoke_api_key|reset_staff_password|change_staff)$";

/// Which operations of the document one run takes.
enum Selection<'a> {
    /// The paths `regex` matches, less the operations `LEFT_OUT` names.
    Paths(&'a str),
    /// The `ENDS_THE_KEY` operations alone.
    EndingTheKey,
}

/// Ids that exist, for the operations whose path names one: without them most requests of
/// those operations would be refused at the id (404) before reaching what they do. The
/// stateful phase follows the document's links from new ones as well.
struct Known<'a> {
    document: &'a str,
    share: &'a str,
}

impl Known<'_> {
    /// Schemathesis's configuration: each group of operations with its `id`.
    fn config(&self) -> String {
        let group = |ops: &str, id: &str| {
            format!(
                "[[operations]]\ninclude-operation-id-regex = \"^({ops})$\"\n\
                 parameters = {{ \"path.id\" = \"{id}\" }}\n\n"
            )
        };
        [
            group(
                "item_content|open_view|guest_list|guest_post",
                self.document,
            ),
            group(
                "list_revisions|upload_revision|put_document_project|staff_list|staff_post",
                self.document,
            ),
            group(
                "get_share|change_share|copy_link|resend_invitation|list_devices|list_responses",
                self.share,
            ),
        ]
        .concat()
    }
}

/// Runs schemathesis against the node's document for `selection`, with `bearer` as the
/// credential and `known` ids, writing its report under `report`; fails the test on any
/// failure.
async fn schemathesis(
    node: &Node,
    selection: Selection<'_>,
    bearer: &str,
    known: &Known<'_>,
    report: &std::path::Path,
) {
    let port = node.port;
    let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    // Schemathesis keeps a cache in its working directory: the report's, not the clone.
    std::fs::create_dir_all(report).unwrap();
    let config = report.join("schemathesis.toml");
    std::fs::write(&config, known.config()).unwrap();
    let out = tokio::process::Command::new(&python)
        .current_dir(report)
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(&config)
        .arg("run")
        .arg(format!("http://127.0.0.1:{port}/api/v1/openapi.json"))
        .args(["--checks", CHECKS])
        .args(match selection {
            Selection::Paths(regex) => [
                "--include-path-regex",
                regex,
                "--exclude-operation-id-regex",
                LEFT_OUT,
            ],
            Selection::EndingTheKey => [
                "--include-operation-id-regex",
                ENDS_THE_KEY,
                "--include-path-regex",
                "^/api/v1/",
            ],
        })
        .args(["--header", &format!("Host: {PUBLIC_HOST}")])
        .args(["--header", &format!("Authorization: Bearer {bearer}")])
        // Deterministic: the same cases every run, so a failure is reproducible.
        .args([
            "--seed",
            "20261208",
            "--max-examples",
            "25",
            "--workers",
            "2",
        ])
        .args(["--generation-database", "none", "--no-color"])
        .args(["--request-timeout", "30", "--suppress-health-check", "all"])
        .args(["--report", "ndjson", "--report-dir"])
        .arg(report)
        .env("PYTHONUNBUFFERED", "1")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}); run scripts/bootstrap"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Its summary, for `--nocapture`: what was tested, and its warnings.
    println!("{stdout}");
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}\nThe node's errors:\n{}",
        String::from_utf8_lossy(&out.stderr),
        node.errors()
    );
    // It ran operations, not nothing.
    assert!(
        !stdout.contains("No operations"),
        "schemathesis tested nothing:\n{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_on_sqlite() {
    fuzz(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_on_postgres() {
    fuzz(Some(&TestDb::create().await)).await;
}

/// Both APIs fuzzed against one node on `db` (PostgreSQL) or, without one, on SQLite.
async fn fuzz(db: Option<&TestDb>) {
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(db, data.path(), &[]).await;
    let key = node.api_key().await;
    node.wait_healthy().await;
    let port = node.port;
    // Something to find: a document, a share of it that allows everything, and its guest's
    // session for the portal run.
    let (status, doc) = upload_text(port, &key, "brief.txt", b"A brief for the fuzzer.\n").await;
    assert_eq!(status, 201, "{doc}");
    let (status, share) = json_call(
        port,
        "POST",
        "/api/v1/shares",
        &key,
        json!({
            "item": doc["id"],
            "recipient": {"name": "Fuzz Guest", "email": "guest@partner.test"},
            "method": "link",
            "settings": {"permission": "edit", "allow_download": true, "allow_print": true},
            "expires_in_days": 30
        }),
    )
    .await;
    assert_eq!(status, 201, "{share}");
    let jwt = crate::live::open_link(port, &share).await;
    let known = Known {
        document: doc["id"].as_str().unwrap(),
        share: share["id"].as_str().unwrap(),
    };
    let reports = data.path().join("schemathesis");
    // The portal first: the admin run may revoke the share.
    schemathesis(
        &node,
        Selection::Paths("^/api/portal/"),
        &jwt,
        &known,
        &reports.join("portal"),
    )
    .await;
    schemathesis(
        &node,
        Selection::Paths("^/api/v1/"),
        &key,
        &known,
        &reports.join("admin"),
    )
    .await;
    schemathesis(
        &node,
        Selection::EndingTheKey,
        &key,
        &known,
        &reports.join("ending"),
    )
    .await;
}
