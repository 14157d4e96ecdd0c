//! `liaison bench`: the performance figures of docs/PERFORMANCE.md, measured in one run on
//! this machine, as ratios where a ratio fits. Each benchmark uses its own temporary
//! database (SQLite file, or a PostgreSQL database it creates and drops).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use backend::actor::{RequestMeta, Staff};
use backend::blobs::Blobs;
use backend::crypto::Sealer;
use backend::services::shares::{self, NewShare, Recipient, ShareFilter, SharedItem};
use backend::services::{auth, bootstrap, documents};
use backend::store::{self, Db};
use backend::{Liaison, Settings};
use http_body_util::BodyExt;
use secrecy::{ExposeSecret, SecretSlice};
use sqlx::Connection;
use tower::ServiceExt;

use crate::config::BenchArgs;
use crate::state::AppState;

mod analytics;
mod reviews;
mod viewer;
mod ws;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A temporary database of either engine, dropped at the end.
struct TempDb {
    url: String,
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TempDb {
    async fn sqlite() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        Ok(Self {
            url: format!("sqlite://{}", dir.path().join("bench.db").display()),
            pg: None,
            _dir: dir,
        })
    }

    async fn postgres(admin_url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let name = format!("liaison_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::AnyConnection::connect(admin_url)
            .await
            .context("PostgreSQL (--postgres-url)")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            url: url.to_string(),
            pg: Some((admin_url.to_owned(), name)),
            _dir: tempfile::tempdir()?,
        })
    }

    async fn drop_db(&self) {
        if let Some((admin_url, name)) = &self.pg {
            if let Ok(mut admin) = sqlx::AnyConnection::connect(admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
        }
    }

    async fn core(&self, hash_workers: usize) -> Result<Liaison> {
        let db = Db::connect(&self.url).await?;
        db.migrate().await?;
        let sealer = Sealer::new(&SecretSlice::from(vec![9u8; 32]))?;
        let blobs = Blobs::local(&self._dir.path().join("blobs"))?;
        let settings = Settings {
            max_upload_bytes: 1024 * 1024,
            ..Settings::new(url::Url::parse("http://127.0.0.1:3000")?)
        };
        Ok(Liaison::builder(db, blobs, sealer, settings)
            .hash_workers(hash_workers)
            .single_node(true)
            .allow_private_networks(true)
            .build()
            .await?)
    }
}

async fn admin(core: &Liaison) -> Result<Staff> {
    let b = bootstrap::bootstrap(core, "Bench", "bench@liaison.test")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    auth::staff_for_api_key(core, b.api_key.expose_secret(), &Default::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn run(args: &BenchArgs) -> Result<()> {
    let only = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    println!(
        "# Liaison benchmarks ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if only("pbkdf2") {
        pbkdf2().await?;
    }
    if only("portal") {
        portal_reads(args).await?;
    }
    if only("audit") {
        audit(args, &TempDb::sqlite().await?, "SQLite").await?;
        let pg = TempDb::postgres(&args.postgres_url).await?;
        let r = audit(args, &pg, "PostgreSQL").await;
        pg.drop_db().await;
        r?;
    }
    if only("analytics") {
        analytics::run(args, &TempDb::sqlite().await?, "SQLite").await?;
        let pg = TempDb::postgres(&args.postgres_url).await?;
        let r = analytics::run(args, &pg, "PostgreSQL").await;
        pg.drop_db().await;
        r?;
    }
    if only("reviews") {
        reviews::run(&TempDb::sqlite().await?, "SQLite").await?;
        let pg = TempDb::postgres(&args.postgres_url).await?;
        let r = reviews::run(&pg, "PostgreSQL").await;
        pg.drop_db().await;
        r?;
    }
    if only("ws") {
        ws::run(args).await?;
    }
    if only("viewer") {
        viewer::run().await?;
    }
    // A memory figure of `ws`, run by it in a fresh process; never part of "all".
    for server in [ws::Server::Liaison, ws::Server::BareEcho] {
        if args.only.iter().any(|o| o == server.bench_name()) {
            ws::memory_child(args, server).await?;
        }
    }
    if only("shares") {
        shares_list(args, &TempDb::sqlite().await?, "SQLite").await?;
        let pg = TempDb::postgres(&args.postgres_url).await?;
        let r = shares_list(args, &pg, "PostgreSQL").await;
        pg.drop_db().await;
        r?;
    }
    Ok(())
}

/// PBKDF2-HMAC-SHA-256, 600,000 iterations: ours against Python's hashlib (OpenSSL).
async fn pbkdf2() -> Result<()> {
    const ROUNDS: u32 = 5;
    let iterations = backend::crypto::kdf::MIN_ITERATIONS;
    let ours = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        for i in 0..ROUNDS {
            std::hint::black_box(backend::crypto::kdf::derive(
                b"correct horse",
                &[i as u8; 16],
                iterations,
                32,
            ));
        }
        started.elapsed() / ROUNDS
    })
    .await?;
    let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!(
        "import hashlib,time\nt=time.perf_counter()\nfor i in range({ROUNDS}): hashlib.pbkdf2_hmac('sha256', b'correct horse', bytes([i])*16, {iterations}, 32)\nprint((time.perf_counter()-t)/{ROUNDS})"
    );
    let out = tokio::process::Command::new(&python)
        .args(["-c", &script])
        .output()
        .await?;
    let theirs = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<f64>()
        .map(Duration::from_secs_f64);
    println!("## PBKDF2-HMAC-SHA-256, {iterations} iterations (one core)\n");
    println!("| implementation | time per hash |\n|---|---|\n| Liaison (RustCrypto pbkdf2 + sha2) | {} |", ms(ours));
    match theirs {
        Ok(t) => {
            println!("| Python hashlib (OpenSSL) | {} |", ms(t));
            println!(
                "\nratio Liaison / OpenSSL: **{:.2}×** (goal ≤ 1.15×)\n",
                ours.as_secs_f64() / t.as_secs_f64()
            );
        }
        Err(_) => println!("| Python hashlib | not measured ({python} failed) |\n"),
    }
    Ok(())
}

async fn body_ok(router: &Router, req: Request<Body>) -> bool {
    match router.clone().oneshot(req).await {
        Ok(resp) => {
            let ok = resp.status() == StatusCode::OK;
            let _ = resp.into_body().collect().await;
            ok
        }
        Err(_) => false,
    }
}

/// Requests per second over `secs` with `concurrency` workers, and their latencies.
async fn drive<F, Fut>(concurrency: usize, secs: f64, f: F) -> (f64, Vec<Duration>)
where
    F: Fn() -> Fut + Send + Sync + 'static + Clone,
    Fut: std::future::Future<Output = bool> + Send,
{
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                assert!(f().await, "benchmark request failed");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort();
    (all.len() as f64 / secs, all)
}

/// JWT-authenticated portal reads: throughput against a bare JSON handler, and p99 while a
/// flood of link opens keeps the PBKDF2 pool saturated.
async fn portal_reads(args: &BenchArgs) -> Result<()> {
    let db = TempDb::sqlite().await?;
    let core = Arc::new(db.core(1).await?);
    let who = admin(&core).await?;
    let doc = document(&core, &who).await?;
    let OpenedShare { token, jwt, .. } =
        opened_share(&core, &who, &doc, Default::default()).await?;
    let state = AppState::new(
        core.clone(),
        leptos::config::LeptosOptions::builder()
            .output_name("liaison")
            .build(),
    );
    let bare_route = Router::new().route(
        "/bench/bare",
        get(|| async { axum::Json(serde_json::json!({ "items": [] })) }),
    );
    let router = crate::router::build_with(state, bare_route);
    let jwt = Arc::new(jwt);
    let read = {
        let router = router.clone();
        let jwt = jwt.clone();
        move || {
            let router = router.clone();
            let jwt = jwt.clone();
            async move {
                let req = Request::get("/api/portal/items")
                    .header(header::AUTHORIZATION, format!("Bearer {jwt}"))
                    .body(Body::empty())
                    .unwrap_or_default();
                body_ok(&router, req).await
            }
        }
    };
    let bare = {
        let router = router.clone();
        move || {
            let router = router.clone();
            async move {
                body_ok(
                    &router,
                    Request::get("/bench/bare")
                        .body(Body::empty())
                        .unwrap_or_default(),
                )
                .await
            }
        }
    };
    let secs = args.seconds;
    let (bare_rps, _) = drive(8, secs, bare).await;
    let (read_rps, quiet) = drive(8, secs, read.clone()).await;
    println!("## Portal reads\n");
    println!(
        "In-process (`Router::oneshot`), both handlers behind the same middleware, 8 callers:\n"
    );
    println!("| handler | requests/s | p50 | p99 |\n|---|---|---|---|");
    println!("| bare axum JSON handler | {bare_rps:.0} | | |");
    println!("| GET /api/portal/items, Bearer JWT (RS256 verify + share re-check) | {read_rps:.0} | {} | {} |", ms(percentile(&quiet, 0.5)), ms(percentile(&quiet, 0.99)));
    println!(
        "\nthroughput ratio JWT read / bare: **{:.0} %** (goal ≥ 50 %)\n",
        100.0 * read_rps / bare_rps
    );

    // The same over real TCP (HTTP/1.1 keep-alive, client in this process).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::builder().no_proxy().build()?;
    let tcp = |path: &'static str, jwt: Option<Arc<String>>| {
        let client = client.clone();
        move || {
            let (client, jwt) = (client.clone(), jwt.clone());
            async move {
                let mut req = client.get(format!("http://{addr}{path}"));
                if let Some(jwt) = jwt {
                    req = req.bearer_auth(jwt.as_str());
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        }
    };
    let (bare_tcp, _) = drive(8, secs, tcp("/bench/bare", None)).await;
    let (read_tcp, tcp_lat) = drive(8, secs, tcp("/api/portal/items", Some(jwt.clone()))).await;
    served.abort();
    println!("Over TCP on 127.0.0.1 (hyper server, reqwest client in the same process), 8 connections:\n");
    println!("| handler | requests/s | p50 | p99 |\n|---|---|---|---|");
    println!("| bare axum JSON handler | {bare_tcp:.0} | | |");
    println!(
        "| GET /api/portal/items, Bearer JWT | {read_tcp:.0} | {} | {} |",
        ms(percentile(&tcp_lat, 0.5)),
        ms(percentile(&tcp_lat, 0.99))
    );
    println!(
        "\nthroughput ratio over TCP: **{:.0} %** (goal ≥ 50 %)\n",
        100.0 * read_tcp / bare_tcp
    );

    // The flood: link opens (each a PBKDF2 verify) from 16 clients, forever queued on the pool.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opens = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut flood = Vec::new();
    for _ in 0..16 {
        let (router, token, stop, opens) =
            (router.clone(), token.clone(), stop.clone(), opens.clone());
        flood.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let req = Request::post("/api/portal/session")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        serde_json::json!({ "token": token }).to_string(),
                    ))
                    .unwrap_or_default();
                if body_ok(&router, req).await {
                    opens.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (flood_rps, loaded) = drive(4, secs, read).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for f in flood {
        let _ = f.await;
    }
    println!(
        "While 16 clients flood link opens (PBKDF2 pool of {} worker, {} opens completed):\n",
        1,
        opens.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!("| GET /api/portal/items under flood | {flood_rps:.0} req/s | p50 {} | **p99 {}** (goal < 10 ms) |\n", ms(percentile(&loaded, 0.5)), ms(percentile(&loaded, 0.99)));
    Ok(())
}

/// Audit append rate (batched and one event per transaction) and chain verification rate.
async fn audit(args: &BenchArgs, db: &TempDb, engine: &str) -> Result<()> {
    let core = db.core(1).await?;
    let who = admin(&core).await?;
    let n = args.audit_events;
    let meta = RequestMeta::new(Some("203.0.113.1".parse()?), Some("bench"));
    let event = |i: usize| backend::audit::NewEvent {
        org_id: &who.org_id,
        event_type: backend::audit::EventType::ItemViewed,
        actor: backend::audit::AuditActor::Staff(&who),
        share_id: None,
        item_id: None,
        details: serde_json::json!({ "n": i }),
        meta: &meta,
        at_ms: core.now_ms(),
    };
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let mut tx = core.db.begin().await?;
        let batch: Vec<_> = (i..(i + 1000).min(n)).map(event).collect();
        i += batch.len();
        backend::audit::record_many(&mut tx, &who.org_id, batch).await?;
        tx.commit().await?;
    }
    let batched = n as f64 / started.elapsed().as_secs_f64();
    let single_n = 2000;
    let started = Instant::now();
    for j in 0..single_n {
        backend::audit::record_alone(&core.db, event(j)).await?;
    }
    let single = single_n as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let report = backend::audit::chain::verify(&core.db, &who.org_id).await?;
    let verify = report.events as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(report.is_intact(), "chain broken: {:?}", report.problems);
    println!("## Audit chain, {engine}\n");
    println!("| operation | events/s |\n|---|---|");
    println!("| append, 1,000 events per transaction (`record_many`) | **{batched:.0}** (goal ≥ 20,000) |");
    println!("| append, one event per transaction | {single:.0} |");
    println!(
        "| verify {} events | **{verify:.0}** (goal ≥ 500,000) |\n",
        report.events
    );
    Ok(())
}

/// The active shares table at `args.shares` shares: p95 per query shape.
async fn shares_list(args: &BenchArgs, db: &TempDb, engine: &str) -> Result<()> {
    let core = db.core(1).await?;
    let who = admin(&core).await?;
    let doc = document(&core, &who).await?;
    let started = Instant::now();
    seed_shares(&core.db, &who, &doc, args.shares).await?;
    let seeded = started.elapsed();
    let shapes: Vec<(&str, ShareFilter)> = vec![
        ("newest first", ShareFilter::default()),
        (
            "expiry ascending",
            ShareFilter {
                sort: Some("expires_at".into()),
                descending: Some(false),
                ..Default::default()
            },
        ),
        (
            "access count descending",
            ShareFilter {
                sort: Some("access_count".into()),
                ..Default::default()
            },
        ),
        (
            "active only, by expiry",
            ShareFilter {
                status: Some(backend::domain::ShareStatus::Active),
                sort: Some("expires_at".into()),
                descending: Some(false),
                ..Default::default()
            },
        ),
        (
            "revoked only",
            ShareFilter {
                status: Some(backend::domain::ShareStatus::Revoked),
                ..Default::default()
            },
        ),
        (
            "recipient search, email prefix \"r12345\"",
            ShareFilter {
                recipient: Some("r12345".into()),
                ..Default::default()
            },
        ),
        (
            "recipient search, name prefix \"Recipient 54321\"",
            ShareFilter {
                recipient: Some("Recipient 54321".into()),
                ..Default::default()
            },
        ),
        (
            "recipient search, short prefix \"r9\" (a ninth of all shares match)",
            ShareFilter {
                recipient: Some("r9".into()),
                ..Default::default()
            },
        ),
    ];
    println!(
        "## Active shares table, {engine}, {} shares (seeded in {:.1} s)\n",
        args.shares,
        seeded.as_secs_f64()
    );
    println!(
        "| query (50 rows, keyset) | p50 | p95 (goal < 25 ms) | pages walked |\n|---|---|---|---|"
    );
    for (name, filter) in shapes {
        let mut lat = Vec::new();
        for _ in 0..5 {
            // Page 1, then 19 pages deeper by cursor.
            let mut f = filter.clone();
            for _ in 0..20 {
                let t = Instant::now();
                let page = shares::list(&core, &who, f.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                lat.push(t.elapsed());
                match page.next_cursor {
                    Some(c) => f.cursor = Some(c),
                    None => break,
                }
            }
        }
        lat.sort();
        println!(
            "| {name} | {} | **{}** | {} |",
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.95)),
            lat.len()
        );
    }
    println!();
    Ok(())
}

/// A one-line document for seeded shares to name: its id.
/// A share of `doc` with `settings` (no limit on opens), and a portal session of it.
struct OpenedShare {
    share_id: String,
    /// The link's token.
    token: String,
    /// The portal session's access token.
    jwt: String,
}

async fn opened_share(
    core: &Liaison,
    who: &Staff,
    doc: &str,
    settings: backend::domain::ShareSettings,
) -> Result<OpenedShare> {
    let created = shares::create(
        core,
        who,
        NewShare {
            item: SharedItem::Document(doc.to_owned()),
            recipients: vec![Recipient {
                name: "Load".into(),
                email: "load@bench.test".into(),
            }],
            max_access_count: Some(0),
            settings,
            ..Default::default()
        },
        &RequestMeta::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .remove(0);
    let token = created
        .url
        .expose_secret()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let session = backend::services::access::open(
        core,
        backend::services::access::OpenRequest {
            token: token.clone(),
            device: backend::services::access::new_device_id(),
            ..Default::default()
        },
        &RequestMeta::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(OpenedShare {
        share_id: created.share.id,
        token,
        jwt: session.access_token,
    })
}

async fn document(core: &Liaison, who: &Staff) -> Result<String> {
    let doc = documents::upload(
        core,
        who,
        documents::Upload {
            title: "Bench".into(),
            file_name: "b.txt".into(),
            bytes: "bench".into(),
        },
        &RequestMeta::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(doc.id)
}

/// Inserts `n` shares straight through SQL in multi-row statements (no PBKDF2: only the
/// table's size matters here), in the organisation's default portal. A tenth are revoked;
/// counts and expiries vary.
async fn seed_shares(db: &Db, who: &Staff, document_id: &str, n: usize) -> Result<()> {
    const BATCH: usize = 1000;
    let portal = store::portals::default_of(db.pool(), &who.org_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no default portal"))?
        .id;
    let base = store::to_millis(time::OffsetDateTime::now_utc());
    let mut done = 0;
    while done < n {
        let rows = BATCH.min(n - done);
        let mut sql = String::from(
            "INSERT INTO shares (id, org_id, selector, verifier_hash, method, document_id, recipient_name, \
             recipient_email, created_by, created_at, expires_at, max_access_count, access_count, \
             require_acknowledgement, revoked_at, recipient_name_key, portal_id) VALUES ",
        );
        for r in 0..rows {
            let p = r * 9;
            if r > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, '{org}', ${}, 'x', 'link', '{document_id}', ${}, ${}, '{user}', ${}, ${}, 0, ${}, 0, ${}, ${}, '{portal}')",
                p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9,
                org = who.org_id, user = who.user_id
            ));
        }
        let mut q = sqlx::query(&sql);
        for r in 0..rows {
            let i = (done + r) as i64;
            q = q
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(format!("sel{i:019}"))
                .bind(format!("Recipient {i}"))
                .bind(format!("r{i}@bench.test"))
                .bind(base - i)
                .bind(base + 86_400_000 + (i * 7919) % 2_592_000_000)
                .bind(i % 13)
                .bind(if i % 10 == 0 { Some(base) } else { None::<i64> })
                .bind(format!("recipient {i}"));
        }
        q.execute(db.pool()).await?;
        done += rows;
    }
    if db.engine() == store::Engine::Postgres {
        sqlx::query("ANALYZE shares").execute(db.pool()).await?;
    } else {
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }
    Ok(())
}
