//! Nodes on S3-compatible object storage (moto in server mode, from PyPI): two nodes on one
//! PostgreSQL database and one bucket serve each other's documents with no shared folder,
//! and a store that goes away in the middle of an upload leaves no document, no blob and no
//! audit record behind, with a clear 503 to the uploader.

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::watch;

use crate::node::{free_port, get_json, http, json_call, upload_text, Node, TestDb};

const BUCKET: &str = "liaison-blobs";

/// `moto` in server mode: an S3 API on a free port, its one bucket created; killed when
/// dropped.
struct Moto {
    _child: Child,
    port: u16,
}

impl Moto {
    async fn start() -> Moto {
        let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let port = free_port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {python} -m moto.server ({e}); run scripts/bootstrap")
            });
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start on port {port}; is it installed? run scripts/bootstrap"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let moto = Moto {
            _child: child,
            port,
        };
        let created = reqwest::Client::new()
            .put(moto.url(BUCKET))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "{created:?}");
        moto
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// The keys stored under `prefix`, read from moto directly.
    async fn keys(&self, prefix: &str) -> Vec<String> {
        let listing = reqwest::get(self.url(&format!("{BUCKET}?list-type=2&prefix={prefix}")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }

    /// What a node needs to keep its blobs under `prefix`, reaching the store on `port`
    /// (moto's own, or a proxy in front of it).
    fn env(port: u16, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            ("LIAISON_BLOB_URL", format!("s3://{BUCKET}/{prefix}")),
            ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "liaison-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "liaison-test-secret".into()),
            ("LIAISON_BLOB_RETRY_SECONDS", "2".into()),
        ]
    }
}

/// A TCP proxy in front of the store that can be cut: every open connection dropped and
/// every new one refused, at once or after a given number of bytes towards the store.
struct Proxy {
    port: u16,
    cut: watch::Sender<bool>,
    state: Arc<ProxyState>,
}

struct ProxyState {
    forwarded: AtomicU64,
    cut_after: AtomicU64,
}

impl Proxy {
    async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, _) = watch::channel(false);
        let state = Arc::new(ProxyState {
            forwarded: AtomicU64::new(0),
            cut_after: AtomicU64::new(u64::MAX),
        });
        let (accept_cut, accept_state) = (cut.clone(), state.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *accept_cut.borrow() {
                    continue; // refused: dropped unanswered
                }
                let Ok(store) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                    continue;
                };
                let (cut, state) = (accept_cut.clone(), accept_state.clone());
                tokio::spawn(async move {
                    let mut until_cut = cut.subscribe();
                    tokio::select! {
                        _ = pipe(client, store, &cut, &state) => {}
                        _ = until_cut.wait_for(|c| *c) => {}
                    }
                });
            }
        });
        Proxy { port, cut, state }
    }

    /// Cuts the store off once `bytes` more have gone towards it.
    fn cut_after(&self, bytes: u64) {
        let sent = self.state.forwarded.load(Ordering::SeqCst);
        self.state.cut_after.store(sent + bytes, Ordering::SeqCst);
    }

    fn is_cut(&self) -> bool {
        *self.cut.borrow()
    }

    fn restore(&self) {
        self.state.cut_after.store(u64::MAX, Ordering::SeqCst);
        self.cut.send_replace(false);
    }
}

/// Copies both ways, counting the bytes towards the store and cutting at the armed count.
async fn pipe(client: TcpStream, store: TcpStream, cut: &watch::Sender<bool>, state: &ProxyState) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut store_read, mut store_write) = store.into_split();
    let towards_store = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let total = state.forwarded.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            if total >= state.cut_after.load(Ordering::SeqCst) {
                cut.send_replace(true);
                return;
            }
            if store_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let towards_client = tokio::io::copy(&mut store_read, &mut client_write);
    tokio::select! {
        _ = towards_store => {}
        _ = towards_client => {}
    }
}

/// A text file of `len` bytes whose every line differs (no two parts alike).
fn text_file(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut n = 0u64;
    while out.len() < len {
        out.extend_from_slice(format!("line {n:09} of the evidence bundle\n").as_bytes());
        n += 1;
    }
    out.truncate(len);
    out
}

/// What a guest downloads of document `doc` (shared on `create`, opened on `open`).
async fn guest_download(create: u16, open: u16, key: &str, doc: &Value) -> Vec<u8> {
    let (status, share) = json_call(
        create,
        "POST",
        "/api/v1/shares",
        key,
        json!({ "item": doc["id"], "recipient": { "name": "Jane", "email": "jane@lawfirm.example" }, "settings": { "allow_download": true } }),
    )
    .await;
    assert_eq!(status, 201, "{share}");
    let jwt = crate::live::open_link(open, &share).await;
    let item = crate::live::first_item(open, &jwt).await;
    let (status, body) = http(
        open,
        "GET",
        &format!("/api/portal/items/{item}/content?download=1"),
        Some(&jwt),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        status,
        200,
        "{}",
        String::from_utf8_lossy(&body[..body.len().min(300)])
    );
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_bucket_and_no_folder() {
    let moto = Moto::start().await;
    let db = TestDb::create().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = Moto::env(moto.port, "nodes");
    let mut a = Node::start(Some(&db), dir_a.path(), &env).await;
    let key = a.api_key().await;
    a.wait_healthy().await;
    let b = Node::start(Some(&db), dir_b.path(), &env).await;
    b.wait_healthy().await;

    // Two parts and a short last one: a multipart upload as S3 requires (5 MiB parts).
    let file = text_file(11 << 20);
    let (status, doc) = upload_text(a.port, &key, "bundle.txt", &file).await;
    assert_eq!(status, 201, "{doc}");
    let stored = moto.keys("nodes/").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored[0].ends_with(doc["id"].as_str().unwrap()),
        "{stored:?}"
    );

    // Uploaded on A, shared on A, downloaded by a guest on B, byte for byte.
    assert!(guest_download(a.port, b.port, &key, &doc).await == file);
    // Neither node kept a copy of its own.
    for dir in [dir_a.path(), dir_b.path()] {
        assert!(
            !dir.join("blobs").exists(),
            "a node wrote blobs into {}",
            dir.display()
        );
    }

    // A third node left on a folder of its own, or on another prefix, would find none of
    // the files the database lists: it refuses to start, saying why.
    let dir_c = tempfile::tempdir().unwrap();
    let said = Node::refused(Some(&db), dir_c.path(), &[]).await;
    assert!(
        said.contains("does not hold the documents this database lists"),
        "{said}"
    );
    let said = Node::refused(Some(&db), dir_c.path(), &Moto::env(moto.port, "elsewhere")).await;
    assert!(said.contains("s3://liaison-blobs/elsewhere"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_lost_mid_upload_leaves_nothing_behind() {
    let moto = Moto::start().await;
    let proxy = Proxy::start(moto.port).await;
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(None, data.path(), &Moto::env(proxy.port, "outage")).await;
    let key = node.api_key().await;
    node.wait_healthy().await;

    // The store goes away one MiB into the first part of a 9 MiB upload.
    let file = text_file(9 << 20);
    proxy.cut_after(1 << 20);
    let (status, refused) = upload_text(node.port, &key, "bundle.txt", &file).await;
    assert!(proxy.is_cut(), "the upload never reached the store");
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"]["code"], "unavailable", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was changed"),
        "{refused}"
    );

    // Nothing recorded and nothing stored.
    let (status, listed) = get_json(node.port, "/api/v1/documents", &key).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
    let (status, audit) = get_json(
        node.port,
        "/api/v1/audit?event_type=document.uploaded",
        &key,
    )
    .await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["items"].as_array().unwrap().len(), 0, "{audit}");
    assert_eq!(moto.keys("outage/").await, Vec::<String>::new());

    // The store is back: the same upload succeeds whole.
    proxy.restore();
    let (status, doc) = upload_text(node.port, &key, "bundle.txt", &file).await;
    assert_eq!(status, 201, "{doc}");
    assert_eq!(moto.keys("outage/").await.len(), 1);
    assert!(guest_download(node.port, node.port, &key, &doc).await == file);
}
