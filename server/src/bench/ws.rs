//! `--only ws`: the live channel under load on one node (SQLite), each figure beside a bare
//! axum WebSocket server measured in the same run:
//! - memory per idle socket: the server's resident memory while another process (the
//!   Python probe's `hold.py`) holds `--sockets` guest channels open, against as many
//!   sockets on a bare echo server;
//! - fan-out: one comment to `--followers` sockets following its document, from the call
//!   that posts it to each socket receiving it, against one message broadcast to as many
//!   bare sockets; measured on the second comment (the first also reads the backlog of
//!   the sockets' own joins, and is shown apart);
//! - revocation: revoking the share those sockets speak for, until every one is closed
//!   with 4001, against closing as many bare sockets.
//!
//! One share carries every socket: the bench lifts the per-share cap
//! (`LiaisonBuilder::streams_per_share`), which production keeps at 16 per node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::extract::ws::{Message as AxumMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use backend::actor::RequestMeta;
use backend::domain::{Permission, ShareSettings};
use backend::services::comments::{self, Audience, NewComment, Placement};
use backend::services::shares;
use futures::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use super::{admin, document, ms, opened_share, percentile, OpenedShare, TempDb};
use crate::config::BenchArgs;
use crate::state::AppState;

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Sockets opened at once while connecting many.
const CONNECT_AT_ONCE: usize = 100;

/// A Liaison node serving on a free port, with one document and one share of it that may
/// comment, opened as a portal session.
struct Node {
    _db: TempDb,
    addr: SocketAddr,
    origin: String,
    core: Arc<backend::Liaison>,
    who: backend::actor::Staff,
    doc: String,
    share_id: String,
    jwt: String,
}

impl Node {
    async fn start() -> Result<Self> {
        let db = TempDb::sqlite().await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let origin = format!("http://{addr}");
        let store = backend::store::Db::connect(&db.url).await?;
        store.migrate().await?;
        let core = Arc::new(
            backend::Liaison::builder(
                store,
                backend::blobs::Blobs::local(&db._dir.path().join("blobs"))?,
                backend::crypto::Sealer::new(&secrecy::SecretSlice::from(vec![9u8; 32]))?,
                backend::Settings::new(url::Url::parse(&origin)?),
            )
            .hash_workers(1)
            .single_node(true)
            .streams_per_share(usize::MAX)
            .build()
            .await?,
        );
        let who = admin(&core).await?;
        let doc = document(&core, &who).await?;
        let OpenedShare { share_id, jwt, .. } = opened_share(
            &core,
            &who,
            &doc,
            ShareSettings {
                permission: Permission::Comment,
                ..Default::default()
            },
        )
        .await?;
        let state = AppState::new(
            core.clone(),
            leptos::config::LeptosOptions::builder()
                .output_name("liaison")
                .build(),
        )
        .with_limits(crate::rate_limit::Limits {
            guest_per_minute: 10_000_000,
            sign_in_per_minute: 10_000_000,
            viewer_per_minute: 10_000_000,
        });
        let app = crate::router::build(state);
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Ok(Self {
            _db: db,
            addr,
            origin,
            core,
            who,
            doc,
            share_id,
            jwt,
        })
    }
}

/// Which server a memory child measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    Liaison,
    BareEcho,
}

impl Server {
    /// Its name in `--only` (run by [`run`] in a fresh process of its own).
    pub fn bench_name(self) -> &'static str {
        match self {
            Server::Liaison => "ws-memory-liaison",
            Server::BareEcho => "ws-memory-echo",
        }
    }
}

/// Prefix of the line a memory child prints.
const MEMORY_LINE: &str = "bytes per socket: ";

/// One memory measurement, in this (fresh) process: `--sockets` idle sockets on `server`,
/// held by `hold.py`; prints [`MEMORY_LINE`] and the figure.
pub async fn memory_child(args: &BenchArgs, server: Server) -> Result<()> {
    raise_open_files(args.sockets + 1_000)?;
    let per_socket = match server {
        Server::Liaison => {
            let node = Node::start().await?;
            let url = format!("ws://{}/api/portal/live", node.addr);
            held_memory(args.sockets, &url, &node.origin, Some(&node.jwt)).await?
        }
        Server::BareEcho => {
            let (addr, _) = bare_server().await?;
            let origin = format!("http://{addr}");
            held_memory(args.sockets, &format!("ws://{addr}/echo"), &origin, None).await?
        }
    };
    println!("{MEMORY_LINE}{per_socket}");
    Ok(())
}

/// Runs [`memory_child`] for `server` in a fresh process of this binary: each figure
/// starts from an allocator that has not served the other.
async fn measure_in_child(args: &BenchArgs, server: Server) -> Result<f64> {
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .args(["bench", "--only", server.bench_name()])
        .args(["--sockets", &args.sockets.to_string()])
        .env("RUST_LOG", "error")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(MEMORY_LINE))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| {
            format!(
                "the {} measurement failed: {stdout}{}",
                server.bench_name(),
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

pub async fn run(args: &BenchArgs) -> Result<()> {
    // The followers are this process's clients too.
    raise_open_files(args.followers * 2 + 1_000)?;
    println!("## Live channel (WebSocket), one node, SQLite\n");

    // Memory per idle socket: server side only (another process holds the clients), each
    // server in a fresh process.
    let ours = measure_in_child(args, Server::Liaison).await?;
    let bare = measure_in_child(args, Server::BareEcho).await?;
    println!(
        "| {} idle sockets | resident memory per socket |\n|---|---|\n| Liaison guest channel | {:.1} KiB |\n| bare axum echo (same 4 KiB buffers) | {:.1} KiB |\n",
        args.sockets,
        ours / 1024.0,
        bare / 1024.0
    );
    println!("ratio Liaison / bare echo: **{:.2}×**\n", ours / bare);

    let Node {
        _db,
        addr,
        origin,
        core,
        who,
        doc,
        share_id,
        jwt,
    } = Node::start().await?;
    let (bare_addr, bare_tx) = bare_server().await?;

    // Fan-out and revocation, `--followers` sockets in this process.
    let n = args.followers;
    let mut followers = connect_many(
        n,
        &format!("ws://{addr}/api/portal/live"),
        &origin,
        Some(&jwt),
    )
    .await?;
    for socket in &mut followers {
        expect_type(socket, "ready").await?;
        let follow = serde_json::json!({ "type": "follow", "document": doc, "after": 0 });
        socket.send(Message::text(follow.to_string())).await?;
    }
    for socket in &mut followers {
        expect_type(socket, "presence").await?;
    }
    // The first comment goes out while each socket still has the other sockets' 1,000
    // joins queued on the bus (as when a thousand pages open at once); it arriving
    // everywhere shows those were read, so the second one measures a settled channel.
    let (mut first, followers) = fan_out(&core, &who, &doc, &share_id, followers).await?;
    first.sort();
    let (mut fanout, followers) = fan_out(&core, &who, &doc, &share_id, followers).await?;
    fanout.sort();
    let bare_fanout = bare_broadcast(n, bare_addr, &origin, &bare_tx, "fan-out").await?;

    let started = Instant::now();
    let closing: Vec<_> = followers
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                let code = closed_with(&mut s).await?;
                if code != 4001 {
                    bail!("a socket closed with {code}, not 4001");
                }
                Ok((started.elapsed(), ()))
            })
        })
        .collect();
    shares::revoke(&core, &who, &share_id, &RequestMeta::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mut closes, _) = gather(closing).await?;
    closes.sort();
    let all_closed = closes.iter().max().copied().unwrap_or_default();
    let bare_close = bare_broadcast(n, bare_addr, &origin, &bare_tx, "close").await?;
    let bare_all_closed = bare_close.iter().max().copied().unwrap_or_default();

    println!("| {n} sockets of one share | p50 | p99 | all |\n|---|---|---|---|");
    println!(
        "| a comment just after they all joined | {} | {} | {} |",
        ms(percentile(&first, 0.5)),
        ms(percentile(&first, 0.99)),
        ms(first.last().copied().unwrap_or_default())
    );
    println!(
        "| one comment reaches them (goal p99 < 50 ms) | {} | {} | {} |",
        ms(percentile(&fanout, 0.5)),
        ms(percentile(&fanout, 0.99)),
        ms(fanout.last().copied().unwrap_or_default())
    );
    println!(
        "| bare broadcast of one message | {} | {} | {} |",
        ms(percentile(&bare_fanout, 0.5)),
        ms(percentile(&bare_fanout, 0.99)),
        ms(bare_fanout.last().copied().unwrap_or_default())
    );
    println!(
        "| revocation closes them, 4001 (goal all < 100 ms) | {} | {} | {} |",
        ms(percentile(&closes, 0.5)),
        ms(percentile(&closes, 0.99)),
        ms(all_closed)
    );
    println!(
        "| bare server closes as many | {} | {} | {} |\n",
        ms(percentile(&bare_close, 0.5)),
        ms(percentile(&bare_close, 0.99)),
        ms(bare_all_closed)
    );
    println!(
        "ratios Liaison / bare: fan-out p99 **{:.2}×**, all closed **{:.2}×**\n",
        percentile(&fanout, 0.99).as_secs_f64() / percentile(&bare_fanout, 0.99).as_secs_f64(),
        all_closed.as_secs_f64() / bare_all_closed.as_secs_f64()
    );
    Ok(())
}

/// Posts a comment that `followers` read (they follow its document as the share's guest):
/// the time from the call to each socket receiving it.
async fn fan_out(
    core: &backend::Liaison,
    who: &backend::actor::Staff,
    doc: &str,
    share_id: &str,
    followers: Vec<Client>,
) -> Result<(Vec<Duration>, Vec<Client>)> {
    let started = Instant::now();
    let waiting: Vec<_> = followers
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                expect_type(&mut s, "comments").await?;
                Ok::<_, anyhow::Error>((started.elapsed(), s))
            })
        })
        .collect();
    comments::post_as_staff(
        core,
        who,
        NewComment {
            document_id: doc.to_owned(),
            placement: Placement::Thread {
                page: None,
                audience: Audience::Share(share_id.to_owned()),
            },
            body: "Fan-out".into(),
        },
        &RequestMeta::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    gather(waiting).await
}

/// A bare axum WebSocket server: `/echo` echoes; `/fanout` forwards what `tx` broadcasts,
/// and closes on "close".
async fn bare_server() -> Result<(SocketAddr, broadcast::Sender<String>)> {
    let (tx, _) = broadcast::channel::<String>(16);
    let app = Router::new()
        .route(
            "/echo",
            get(|ws: WebSocketUpgrade| async move {
                // The guest channel's buffer sizes: what differs is the per-socket state.
                ws.read_buffer_size(4 * 1024)
                    .write_buffer_size(4 * 1024)
                    .on_upgrade(|mut socket: WebSocket| async move {
                        while let Some(Ok(m)) = socket.recv().await {
                            if socket.send(m).await.is_err() {
                                break;
                            }
                        }
                    })
            }),
        )
        .route(
            "/fanout",
            get(
                |State(tx): State<broadcast::Sender<String>>, ws: WebSocketUpgrade| async move {
                    let mut rx = tx.subscribe();
                    ws.on_upgrade(move |mut socket: WebSocket| async move {
                        let _ = socket.send(AxumMessage::Text("ready".into())).await;
                        while let Ok(m) = rx.recv().await {
                            if m == "close" {
                                let _ = socket.send(AxumMessage::Close(None)).await;
                                break;
                            }
                            if socket.send(AxumMessage::Text(m.into())).await.is_err() {
                                break;
                            }
                        }
                    })
                },
            ),
        )
        .with_state(tx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, tx))
}

/// `n` sockets on the bare server's `/fanout`: the time from broadcasting `what` until each
/// receives it ("close": until each is closed).
async fn bare_broadcast(
    n: usize,
    addr: SocketAddr,
    origin: &str,
    tx: &broadcast::Sender<String>,
    what: &str,
) -> Result<Vec<Duration>> {
    let mut sockets = connect_many(n, &format!("ws://{addr}/fanout"), origin, None).await?;
    for s in &mut sockets {
        expect_text(s, "ready").await?;
    }
    let started = Instant::now();
    let what_owned = what.to_owned();
    let waiting: Vec<_> = sockets
        .into_iter()
        .map(|mut s| {
            let what = what_owned.clone();
            tokio::spawn(async move {
                if what == "close" {
                    closed_with(&mut s).await?;
                } else {
                    expect_text(&mut s, &what).await?;
                }
                Ok((started.elapsed(), ()))
            })
        })
        .collect();
    let _ = tx.send(what.to_owned());
    let (mut times, _) = gather(waiting).await?;
    times.sort();
    Ok(times)
}

/// The resident memory per socket of this process while `hold.py` holds `n` sockets to
/// `url` open (its growth over `n`).
async fn held_memory(n: usize, url: &str, origin: &str, jwt: Option<&str>) -> Result<f64> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/peers/ws-probe/hold.py");
    let before = resident_bytes()?;
    let mut child = tokio::process::Command::new(&python)
        .arg(&script)
        .args([url, origin, &n.to_string(), jwt.unwrap_or("")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "{python} {} (scripts/bootstrap installs websockets)",
                script.display()
            )
        })?;
    let stdout = child.stdout.take().context("hold.py's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(300), lines.next_line())
        .await
        .context("hold.py did not open its sockets within 5 minutes")??
        .unwrap_or_default();
    if line.trim() != format!("open {n}") {
        bail!("hold.py: {line}");
    }
    // Let every socket's task reach its idle state.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = resident_bytes()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(b"close\n").await?;
    }
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    Ok(during.saturating_sub(before) as f64 / n as f64)
}

/// This process's resident set, in bytes (`/proc/self/statm`).
fn resident_bytes() -> Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .context("/proc/self/statm")?
        .parse()?;
    Ok(pages * 4096)
}

/// Opens `n` sockets to `url` as a page of `origin` would, [`CONNECT_AT_ONCE`] at a time.
async fn connect_many(n: usize, url: &str, origin: &str, jwt: Option<&str>) -> Result<Vec<Client>> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let batch = CONNECT_AT_ONCE.min(n - out.len());
        let opening: Vec<_> = (0..batch)
            .map(|_| {
                let (url, origin, jwt) =
                    (url.to_owned(), origin.to_owned(), jwt.map(str::to_owned));
                tokio::spawn(async move {
                    let mut request = url.into_client_request()?;
                    request
                        .headers_mut()
                        .insert("origin", HeaderValue::from_str(&origin)?);
                    if let Some(jwt) = jwt {
                        request.headers_mut().insert(
                            "authorization",
                            HeaderValue::from_str(&format!("Bearer {jwt}"))?,
                        );
                    }
                    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
                    Ok::<_, anyhow::Error>(socket)
                })
            })
            .collect();
        for o in opening {
            out.push(o.await??);
        }
    }
    Ok(out)
}

/// Waits for a text message whose `type` is `kind`, skipping others.
async fn expect_type(socket: &mut Client, kind: &str) -> Result<()> {
    loop {
        let text = next_text(socket).await?;
        let value: serde_json::Value = serde_json::from_str(&text)?;
        if value["type"] == kind {
            return Ok(());
        }
    }
}

async fn expect_text(socket: &mut Client, text: &str) -> Result<()> {
    loop {
        if next_text(socket).await? == text {
            return Ok(());
        }
    }
}

async fn next_text(socket: &mut Client) -> Result<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Err(_) => bail!("nothing on a socket within 30 s"),
            Ok(None) => bail!("a socket ended"),
            Ok(Some(m)) => match m? {
                Message::Text(t) => return Ok(t.to_string()),
                Message::Close(f) => bail!("a socket closed: {f:?}"),
                _ => {}
            },
        }
    }
}

/// Reads until the server closes the socket: its close code.
async fn closed_with(socket: &mut Client) -> Result<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Err(_) => bail!("a socket stayed open 30 s"),
            Ok(None) => return Ok(1006),
            Ok(Some(Ok(Message::Close(f)))) => return Ok(f.map_or(1005, |f| u16::from(f.code))),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) => return Ok(1006),
        }
    }
}

/// The tasks' times (and what each hands back), once all are done.
async fn gather<T>(
    tasks: Vec<tokio::task::JoinHandle<Result<(Duration, T)>>>,
) -> Result<(Vec<Duration>, Vec<T>)> {
    let mut times = Vec::with_capacity(tasks.len());
    let mut values = Vec::with_capacity(tasks.len());
    for t in tasks {
        let (d, v) = t.await??;
        times.push(d);
        values.push(v);
    }
    Ok((times, values))
}

/// Raises this process's open-file limit to at least `n` (up to the hard limit).
fn raise_open_files(n: usize) -> Result<()> {
    let got = rlimit::increase_nofile_limit(n as u64)?;
    if got < n as u64 {
        bail!("this bench needs {n} open files; the hard limit allows {got} (ulimit -Hn)");
    }
    Ok(())
}
