//! `liaison serve` as a child process, a fresh PostgreSQL database per test, and a minimal
//! HTTP/1.1 client that sends exactly the Host it is given.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The public URL every node of these tests serves (`LIAISON_PUBLIC_URL`), and its host.
pub const PUBLIC_URL: &str = "http://liaison.test";
pub const PUBLIC_HOST: &str = "liaison.test";

fn admin_url() -> String {
    std::env::var("LIAISON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh database, dropped when the test ends (even when it fails).
pub struct TestDb {
    name: String,
}

impl TestDb {
    pub async fn create() -> Self {
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

    pub fn url(&self) -> String {
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

/// `liaison serve` on `port`: on `db` (PostgreSQL) or, without one, on a SQLite file in
/// `data`, with `env` added to the defaults.
fn serve_command(
    db: Option<&TestDb>,
    data: &std::path::Path,
    env: &[(&str, String)],
    port: u16,
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_liaison"));
    cmd.arg("serve")
        // The same master key and public URL on every node, as in production.
        .env(
            "LIAISON_MASTER_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("LIAISON_PUBLIC_URL", PUBLIC_URL)
        .env("LIAISON_DATA_DIR", data)
        .env("LIAISON_BIND", format!("127.0.0.1:{port}"))
        .env("LIAISON_SITE_DIR", data.join("no-site"))
        .env("LIAISON_HASH_WORKERS", "1")
        .env_remove("LIAISON_SMTP_HOST")
        .env_remove("LIAISON_DATABASE_URL");
    if let Some(db) = db {
        cmd.env("LIAISON_DATABASE_URL", db.url());
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// One `liaison serve` process, killed when dropped.
pub struct Node {
    child: Child,
    pub port: u16,
    data: std::path::PathBuf,
}

/// Where a node's log goes, in its data folder.
const LOG: &str = "node.log";

/// What a node's first start prints.
pub struct FirstStart {
    pub email: String,
    pub password: String,
    pub api_key: String,
}

impl Node {
    /// Starts a node on a free port: on `db` (PostgreSQL) or, without one, on a SQLite file
    /// in `data`, with `env` added to the defaults.
    pub async fn start(
        db: Option<&TestDb>,
        data: &std::path::Path,
        env: &[(&str, String)],
    ) -> Node {
        let port = free_port();
        let mut cmd = serve_command(db, data, env, port);
        // Its log, for a test to quote when it fails (`Node::errors`).
        let log = std::fs::File::create(data.join(LOG)).unwrap();
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        Node {
            child: cmd.spawn().unwrap(),
            port,
            data: data.to_owned(),
        }
    }

    /// The error lines of the node's log so far.
    pub fn errors(&self) -> String {
        std::fs::read_to_string(self.data.join(LOG))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Starts a node that must refuse to start: what it said on stderr.
    pub async fn refused(
        db: Option<&TestDb>,
        data: &std::path::Path,
        env: &[(&str, String)],
    ) -> String {
        let mut cmd = serve_command(db, data, env, free_port());
        cmd.kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("the node neither started nor stopped within a minute")
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "the node started: {stderr}");
        stderr
    }

    /// Reads the first start's printed API key.
    pub async fn api_key(&mut self) -> String {
        self.first_start().await.api_key
    }

    /// Reads what the first start printed: the administrator's credentials and API key.
    pub async fn first_start(&mut self) -> FirstStart {
        let out = self.child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut email, mut password) = (String::new(), String::new());
        while Instant::now() < deadline {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
                .await
                .unwrap()
                .unwrap()
                .expect("node exited");
            let field = |name: &str| line.trim().strip_prefix(name).map(|v| v.trim().to_owned());
            if let Some(v) = field("email:") {
                email = v;
            } else if let Some(v) = field("password:") {
                password = v;
            } else if let Some(at) = line.find("lsn_") {
                let api_key = line[at..].trim().to_owned();
                // Keep draining stdout so the node never blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return FirstStart {
                    email,
                    password,
                    api_key,
                };
            }
        }
        panic!("the node printed no API key");
    }

    pub async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = http(self.port, "GET", "/healthz", None, None).await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "node on port {} never became healthy",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A minimal HTTP/1.1 client (Connection: close) addressing the public host: status and
/// body.
pub async fn http(
    port: u16,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {PUBLIC_HOST}\r\nConnection: close\r\n");
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

pub async fn json_call(
    port: u16,
    method: &str,
    path: &str,
    bearer: &str,
    body: Value,
) -> (u16, Value) {
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

/// Uploads `file` as a document named `name` (text/plain) through the REST API: status and
/// the answer.
pub async fn upload_text(port: u16, key: &str, name: &str, file: &[u8]) -> (u16, Value) {
    let boundary = "b0undary";
    let mut form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n").into_bytes();
    form.extend_from_slice(file);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/documents",
        Some(key),
        Some((&format!("multipart/form-data; boundary={boundary}"), form)),
    )
    .await
    .unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A GET with an API key or JWT: status and the JSON answer (null if none).
pub async fn get_json(port: u16, path: &str, bearer: &str) -> (u16, Value) {
    let (status, body) = http(port, "GET", path, Some(bearer), None).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}
