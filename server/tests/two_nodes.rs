//! Two `liaison serve` processes on one PostgreSQL database: a revocation made on one node
//! closes a guest's live event stream on the other within 250 ms (LISTEN/NOTIFY), and the
//! other node's very next request is refused.
#![allow(clippy::unwrap_used)] // A test crate: a panic is the failure report.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

fn admin_url() -> String {
    std::env::var("LIAISON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh database, dropped when the test ends (even when it fails).
struct TestDb {
    name: String,
}

impl TestDb {
    async fn create() -> Self {
        sqlx::any::install_default_drivers();
        let name = format!("liaison_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::AnyConnection::connect(&admin_url())
            .await
            .expect("PostgreSQL must answer (the test command starts it)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        Self { name }
    }

    fn url(&self) -> String {
        let mut u = url::Url::parse(&admin_url()).unwrap();
        u.set_path(&format!("/{}", self.name));
        u.to_string()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::AnyConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

struct Node {
    child: Child,
    port: u16,
}

async fn start_node(db: &TestDb, data: &std::path::Path, port: u16) -> Node {
    let child = Command::new(env!("CARGO_BIN_EXE_liaison"))
        .arg("serve")
        .env("LIAISON_DATABASE_URL", db.url())
        // The same master key and public URL on every node, as in production.
        .env(
            "LIAISON_MASTER_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("LIAISON_PUBLIC_URL", "http://liaison.test")
        .env("LIAISON_DATA_DIR", data)
        .env("LIAISON_BIND", format!("127.0.0.1:{port}"))
        .env("LIAISON_SITE_DIR", data.join("no-site"))
        .env("LIAISON_HASH_WORKERS", "1")
        .env_remove("LIAISON_SMTP_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    Node { child, port }
}

/// Reads the first start's printed API key.
async fn api_key(node: &mut Node) -> String {
    let out = node.child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .expect("node exited");
        if let Some(at) = line.find("lsn_") {
            let key = line[at..].trim().to_owned();
            // Keep draining stdout so the node never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return key;
        }
    }
    panic!("node A printed no API key");
}

async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = http(port, "GET", "/healthz", None, None).await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "node on port {port} never became healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A minimal HTTP/1.1 client (Connection: close): status and body.
async fn http(
    port: u16,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(t) = bearer {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.map(|(ct, b)| {
        head.push_str(&format!(
            "Content-Type: {ct}\r\nContent-Length: {}\r\n",
            b.len()
        ));
        b
    });
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await?;
    if let Some(b) = body {
        s.write_all(&b).await?;
    }
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| raw[i + 4..].to_vec())
        .unwrap_or_default();
    Ok((status, body))
}

async fn json_call(port: u16, method: &str, path: &str, bearer: &str, body: Value) -> (u16, Value) {
    let (status, bytes) = http(
        port,
        method,
        path,
        Some(bearer),
        Some(("application/json", body.to_string().into_bytes())),
    )
    .await
    .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_on_one_node_closes_streams_on_another() {
    let db = TestDb::create().await;
    let data = tempfile::tempdir().unwrap();
    let mut a = start_node(&db, data.path(), free_port()).await;
    let key = api_key(&mut a).await;
    wait_healthy(a.port).await;
    let b = start_node(&db, data.path(), free_port()).await;
    wait_healthy(b.port).await;

    // On node A: a document and a share.
    let boundary = "b0undary";
    let mut form = Vec::new();
    form.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"memo.txt\"\r\nContent-Type: text/plain\r\n\r\nthe memo\r\n--{boundary}--\r\n").as_bytes());
    let (status, doc) = http(
        a.port,
        "POST",
        "/api/v1/documents",
        Some(&key),
        Some((&format!("multipart/form-data; boundary={boundary}"), form)),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&doc));
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    let (status, share) = json_call(a.port, "POST", "/api/v1/shares", &key, json!({ "item": doc["id"], "recipient": { "name": "Jane", "email": "jane@lawfirm.example" } })).await;
    assert_eq!(status, 201, "{share}");
    let token = share["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();

    // On node B: the guest opens it and holds a live event stream.
    let (status, session) = json_call(
        b.port,
        "POST",
        "/api/portal/session",
        "",
        json!({ "token": token }),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let jwt = session["access_token"].as_str().unwrap().to_owned();
    let mut stream = TcpStream::connect(("127.0.0.1", b.port)).await.unwrap();
    stream
        .write_all(format!("GET /api/portal/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {jwt}\r\nAccept: text/event-stream\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("event: ready") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "stream closed early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }

    // Node A revokes; node B's stream carries `revoked` and closes.
    let started = Instant::now();
    let (status, revoked) = json_call(
        a.port,
        "POST",
        &format!("/api/v1/shares/{}/revoke", share["id"].as_str().unwrap()),
        &key,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    let reached = loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("the stream on node B stayed open after the revocation")
            .unwrap();
        if n > 0 {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        if seen.contains("event: revoked") {
            break started.elapsed();
        }
        assert!(n > 0, "stream closed without a revoked event: {seen}");
    };
    println!(
        "revocation on node A reached node B's stream after {} ms",
        reached.as_millis()
    );
    assert!(reached <= Duration::from_millis(250), "took {reached:?}");

    // The very next request on node B is refused, with an RFC 6750 challenge.
    let (status, body) = http(b.port, "GET", "/api/portal/items", Some(&jwt), None)
        .await
        .unwrap();
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    drop(a);
    drop(b);
}
