//! The subcommands: `serve`, `migrate`, `bootstrap`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use backend::blobs::Blobs;
use backend::crypto::Sealer;
use backend::services::bootstrap;
use backend::store::Db;
use backend::{Liaison, Settings};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::{ExposeSecret, SecretSlice};

use crate::config::{BootstrapArgs, GlobalArgs, ServeArgs};
use crate::state::AppState;

fn database_url(g: &GlobalArgs) -> String {
    match &g.database_url {
        Some(url) => url.expose_secret().to_owned(),
        None => format!("sqlite://{}", g.data_dir.join("liaison.db").display()),
    }
}

async fn connect(g: &GlobalArgs) -> Result<Db> {
    std::fs::create_dir_all(&g.data_dir)
        .with_context(|| format!("cannot create the data directory {}", g.data_dir.display()))?;
    let url = database_url(g);
    let db = Db::connect(&url)
        .await
        .context("cannot connect to the database (LIAISON_DATABASE_URL)")?;
    db.migrate().await.context("database migration failed")?;
    let chained = backend::audit::chain::chain_legacy_events(&db)
        .await
        .context("cannot chain audit events written before the audit chain existed")?;
    if chained > 0 {
        tracing::info!(audit.chained = chained, "chained earlier audit events");
    }
    Ok(db)
}

/// The master key: `LIAISON_MASTER_KEY`, or (outside production) `<data dir>/master.key`,
/// generated on first use with owner-only permissions.
fn master_key(g: &GlobalArgs, production: bool) -> Result<SecretSlice<u8>> {
    let decode = |text: &str, source: &str| -> Result<SecretSlice<u8>> {
        let bytes = B64
            .decode(text.trim())
            .with_context(|| format!("{source} is not valid base64"))?;
        if bytes.len() != 32 {
            bail!(
                "{source} must decode to exactly 32 bytes (it has {})",
                bytes.len()
            );
        }
        Ok(SecretSlice::from(bytes))
    };
    if let Some(key) = &g.master_key {
        return decode(key.expose_secret(), "LIAISON_MASTER_KEY");
    }
    if production {
        bail!("LIAISON_MASTER_KEY is required in production (32 random bytes, base64; the same on every node)");
    }
    let path = g.data_dir.join("master.key");
    if !path.exists() {
        use rand::RngCore;
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        f.write_all(B64.encode(key).as_bytes())?;
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    decode(&text, &path.display().to_string())
}

/// In production, documents travel to a remote blob store only over verified TLS, or in
/// plain http to this machine (a local gateway).
fn refuse_insecure_store(blob_url: Option<&str>) -> Result<()> {
    let Some(url) = blob_url.filter(|u| u.starts_with("s3:")) else {
        return Ok(());
    };
    let on = |k: &str| {
        std::env::var(k)
            .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    };
    if on("AWS_ALLOW_INVALID_CERTIFICATES") {
        bail!("AWS_ALLOW_INVALID_CERTIFICATES is refused in production: documents would go to {url} without a verified certificate");
    }
    let Some(endpoint) = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
    else {
        return Ok(());
    };
    let parsed = url::Url::parse(&endpoint).context("AWS_ENDPOINT_URL is not a URL")?;
    let this_machine = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.scheme() != "https" && !this_machine {
        bail!(
            "AWS_ENDPOINT_URL must be https in production, or on this machine (it is {endpoint})"
        );
    }
    Ok(())
}

pub(crate) async fn open_core(
    g: &GlobalArgs,
    public_url: url::Url,
    serve: Option<&ServeArgs>,
) -> Result<Liaison> {
    let production = serve.is_some_and(|s| s.production);
    let db = connect(g).await?;
    let sealer = Sealer::new(&master_key(g, production)?)?;
    if production {
        refuse_insecure_store(g.blob_url.as_deref())?;
    }
    let blobs = match &g.blob_url {
        Some(url) => Blobs::open(
            url,
            backend::blobs::Patience {
                retry_for: std::time::Duration::from_secs(g.blob_retry_seconds),
                ..Default::default()
            },
        )?,
        None => Blobs::local(&g.data_dir.join("blobs"))?,
    };
    if serve.is_some() {
        blobs
            .check()
            .await
            .with_context(|| format!("the blob store {} does not answer", blobs.location()))?;
        // A node pointed at another store (left on its own folder, a wrong prefix) would
        // find no file and "delete" none: it does not start.
        if let Some(key) = backend::store::documents::newest_blob_key(db.pool()).await? {
            if !blobs.exists(&key).await? {
                bail!(
                    "the blob store {} does not hold the documents this database lists (the newest \
                     upload is missing): is LIAISON_BLOB_URL the store every node uses?",
                    blobs.location()
                );
            }
        }
        tracing::info!(blobs = blobs.location(), "blob store");
    }
    let geo = match serve.and_then(|s| s.geoip_db.as_deref()) {
        Some(path) => Some(backend::geo::Geo::open(path).context("LIAISON_GEOIP_DB")?),
        None => None,
    };
    let settings = match serve {
        Some(s) => Settings {
            portal_session_ttl: time::Duration::seconds(i64::from(s.portal_session_seconds)),
            max_upload_bytes: s.max_upload_bytes,
            trusted_proxies: s.trusted_proxies.clone(),
            dns_resolver: s.dns_resolver,
            custom_domain_port: s.custom_domain_port,
            ..Settings::new(public_url)
        },
        None => Settings::new(public_url),
    };
    let mut builder = Liaison::builder(db, blobs, sealer, settings)
        .geo(geo)
        .allow_private_networks(serve.is_some_and(|s| s.federation_allow_private_networks));
    if let Some(n) = serve.and_then(|s| s.hash_workers) {
        builder = builder.hash_workers(n);
    }
    if let Some(s) = serve {
        let exe = std::env::current_exe().ok();
        let workers = s
            .render_workers
            .unwrap_or_else(backend::crypto::Kdf::default_concurrency);
        let renderer = backend::viewer::pool::locate(exe.as_deref());
        if renderer.is_none() {
            tracing::warn!(
                "the page renderer liaison-render is not beside this binary and \
                 LIAISON_RENDER_BIN is not set: guests cannot be shown documents"
            );
        }
        builder = builder.viewer(backend::viewer::Viewer::new(
            backend::viewer::RenderPool::new(renderer, workers, backend::viewer::Budget::default()),
            s.page_cache_mb << 20,
        ));
    }
    builder.build().await.context(
        "cannot load the portal signing keys; if they were sealed under another master key, \
         set LIAISON_MASTER_KEY to the value every node shares",
    )
}

pub async fn migrate(g: &GlobalArgs) -> Result<()> {
    connect(g).await?;
    println!("Migrations applied.");
    Ok(())
}

fn print_credentials(b: &bootstrap::Bootstrapped, sign_in_url: &str) {
    println!();
    println!("  Organisation: {}", b.org_name);
    println!("  Sign in at {sign_in_url}");
    println!("    email:    {}", b.admin_email);
    println!("    password: {}", b.admin_password.expose_secret());
    println!(
        "  Admin API key (Authorization: Bearer …): {}",
        b.api_key.expose_secret()
    );
    println!("  These are shown once and stored only as hashes. Keep them safe.");
    println!();
}

pub async fn bootstrap(g: &GlobalArgs, args: &BootstrapArgs) -> Result<()> {
    let core = open_core(g, url::Url::parse("http://127.0.0.1:3000")?, None).await?;
    let b = bootstrap::bootstrap(&core, &args.org, &args.admin_email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    print_credentials(&b, "the console (/login)");
    Ok(())
}

/// `liaison audit verify`: prints one line per organisation and one per problem.
pub async fn audit_verify(g: &GlobalArgs, org: Option<&str>) -> Result<()> {
    let db = connect(g).await?;
    let orgs = match org {
        Some(id) => vec![id.to_owned()],
        None => backend::store::audit::chained_orgs(db.pool()).await?,
    };
    let mut broken = 0usize;
    for org_id in &orgs {
        let started = std::time::Instant::now();
        let report = backend::audit::chain::verify(&db, org_id).await?;
        let secs = started.elapsed().as_secs_f64();
        if report.is_intact() {
            println!(
                "organisation {org_id}: {} events, chain intact ({secs:.2} s)",
                report.events
            );
        } else {
            broken += 1;
            println!(
                "organisation {org_id}: {} events, CHAIN BROKEN — {} problem(s):",
                report.events,
                report.problems.len()
            );
            for p in &report.problems {
                println!("  - {p}");
            }
        }
    }
    if org.is_some()
        && orgs.len() == 1
        && backend::store::orgs::get(db.pool(), &orgs[0])
            .await?
            .is_none()
    {
        bail!("no organisation with id {}", orgs[0]);
    }
    if broken > 0 {
        bail!("{broken} organisation(s) have a broken audit chain");
    }
    Ok(())
}

pub async fn serve(g: &GlobalArgs, args: &ServeArgs) -> Result<()> {
    let public_url = args.public_url();
    if args.production && public_url.scheme() != "https" {
        bail!("LIAISON_PUBLIC_URL must be https in production (it is {public_url})");
    }
    let core = Arc::new(open_core(g, public_url.clone(), Some(args)).await?);
    if bootstrap::is_fresh(&core)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        if args.production {
            // Credentials printed by a service end up in its journal: in production the
            // first organisation is created explicitly, by someone at a terminal.
            bail!(
                "this database has no organisation yet; in production Liaison does not \
                 generate and print credentials at start. Create the first organisation \
                 with `liaison bootstrap --org NAME --admin-email EMAIL`, then start again"
            );
        }
        let b = bootstrap::bootstrap(&core, "Liaison Demo", "admin@liaison.local")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("First start: created an organisation and its administrator.");
        print_credentials(
            &b,
            &format!("{}/login", public_url.as_str().trim_end_matches('/')),
        );
    }
    let mailer = args
        .mailer()
        .map_err(|e| anyhow::anyhow!("{e} (LIAISON_SMTP_*, LIAISON_MAIL_FROM)"))?;
    if matches!(mailer, backend::mail::Mailer::Local) {
        println!(
            "No SMTP server configured (LIAISON_SMTP_HOST): mail is kept in the console's outbox."
        );
    }
    spawn_housekeeping(core.clone());
    spawn_presence_heartbeat(core.clone());
    spawn_domain_checks(core.clone());
    spawn_membership_expiry(core.clone());
    spawn_mail_worker(core.clone(), mailer);
    if core.db.engine() == backend::store::Engine::Postgres {
        for channel in [
            backend::revocation::CHANNEL,
            backend::revocation::ACTIVITY_CHANNEL,
        ] {
            tokio::spawn(backend::revocation::listen(
                database_url(g),
                core.revocations.clone(),
                channel,
            ));
        }
    }

    let site_dir = resolve_site_dir(&args.site_dir);
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("liaison")
        .site_root(site_dir.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(args.bind)
        .build();
    let state = AppState::new(core.clone(), leptos_options)
        .with_limits(args.rate_limits())
        .with_tls_ask_key(args.tls_ask_key.clone());
    let app = crate::router::build(state);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {} (LIAISON_BIND)", args.bind))?;
    tracing::info!(bind = %args.bind, public_url = %public_url, "listening");
    println!("Liaison is running on {public_url}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    core.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn resolve_site_dir(dir: &Path) -> PathBuf {
    if dir.join("pkg").exists() {
        return dir.to_path_buf();
    }
    tracing::warn!(site_dir = %dir.display(), "front end not built here: pages will render without styles or interactivity (run scripts/build-site)");
    dir.to_path_buf()
}

/// Keeps this node's live presence entries alive and removes those of nodes that stopped
/// (`services::presence::heartbeat`).
fn spawn_presence_heartbeat(core: Arc<Liaison>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(backend::services::presence::HEARTBEAT_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = backend::services::presence::heartbeat(&core).await {
                tracing::warn!(error.detail = %e, "live presence heartbeat failed");
            }
        }
    });
}

/// Background upkeep: the expiry sweeper (audits "share expired" once; access checks never
/// depend on it), expiry reminders, share owners' comment digests, and removal of expired
/// console sessions, federated sign-ins, SAML replay entries, spent attempt counters and
/// (daily) analytics' per-day guest addresses.
fn spawn_housekeeping(core: Arc<Liaison>) {
    tokio::spawn(async move {
        let sessions = backend::store::sessions::SqlSessionStore::new(core.db.clone());
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        // Analytics keep guests' addresses per day only while they count: pruned once a day
        // (a scan of the per-day guests, which has no index by day).
        let mut pruned_day = None;
        loop {
            tick.tick().await;
            let today = core.now_ms().div_euclid(86_400_000);
            if pruned_day != Some(today) {
                match backend::services::analytics::prune(&core).await {
                    Ok(n) => {
                        pruned_day = Some(today);
                        tracing::debug!(rows = n, "analytics guests pruned");
                    }
                    Err(e) => tracing::warn!(error.detail = %e, "analytics pruning failed"),
                }
            }
            if let Err(e) = backend::services::shares::sweep_expired(&core, 500).await {
                tracing::warn!(error.detail = %e, "expiry sweep failed");
            }
            if let Err(e) = backend::services::secrets::sweep(&core, 500).await {
                tracing::warn!(error.detail = %e, "secret expiry sweep failed");
            }
            if let Err(e) = backend::services::shares::send_expiry_reminders(&core, 500).await {
                tracing::warn!(error.detail = %e, "expiry reminders failed");
            }
            if let Err(e) = backend::services::comments::digest::send_due(&core).await {
                tracing::warn!(error.detail = %e, "comment digests failed");
            }
            if let Err(e) = backend::services::reviews::sweep(&core, 500).await {
                tracing::warn!(error.detail = %e, "access review sweep failed");
            }
            if let Err(e) = sessions.delete_expired(core.now_ms()).await {
                tracing::warn!(error.detail = %e, "session cleanup failed");
            }
            if let Err(e) = backend::store::federation::sweep(core.db.pool(), core.now_ms()).await {
                tracing::warn!(error.detail = %e, "federation sign-in cleanup failed");
            }
            match backend::services::signing_keys::maintain(&core).await {
                Ok(retired) if !retired.is_empty() => {
                    tracing::info!(kids = ?retired, "retired portal signing keys whose tokens have expired")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error.detail = %e, "signing key upkeep failed"),
            }
            if let Err(e) = backend::services::federation::audit_repeated_junk(&core).await {
                tracing::warn!(error.detail = %e, "auditing repeated sign-in junk failed");
            }
            let oldest_auth =
                (core.now_ms() - backend::services::access::SIGN_OUT_MATTERS_MS) / 1000;
            if let Err(e) =
                backend::store::guest_sessions::sweep(core.db.pool(), core.now_ms(), oldest_auth)
                    .await
            {
                tracing::warn!(error.detail = %e, "guest sign-out cleanup failed");
            }
            let forget = backend::store::attempts::FORGET_AFTER_MS;
            if let Err(e) =
                backend::store::attempts::sweep(core.db.pool(), core.now_ms(), forget).await
            {
                tracing::warn!(error.detail = %e, "attempt counter cleanup failed");
            }
        }
    });
}

/// Re-checks verified portal domains whose daily check is due, every few minutes, apart
/// from housekeeping: a slow DNS server delays nothing else. Each node runs one; a check is
/// claimed before its lookup, so one node does each.
fn spawn_domain_checks(core: Arc<Liaison>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            match backend::services::portals::domains::recheck_due(&core, 200).await {
                Ok(r) if r.suspended > 0 || r.inconclusive > 0 => tracing::warn!(
                    confirmed = r.confirmed,
                    suspended = r.suspended,
                    inconclusive = r.inconclusive,
                    "portal domain re-check: some suspended or not answered"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error.detail = %e, "portal domain re-check failed"),
            }
        }
    });
}

/// Ends portal memberships as they expire: each pass sleeps until the next expiry, at most
/// 15 s (so a membership given an expiry on another node is seen within that). Admission
/// does not wait for it: an expired membership admits no one from its expiry on.
fn spawn_membership_expiry(core: Arc<Liaison>) {
    use backend::services::portals::members;
    tokio::spawn(async move {
        loop {
            match members::expire_due(&core).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(ended = n, "portal memberships expired"),
                Err(e) => tracing::warn!(error.detail = %e, "portal membership expiry failed"),
            }
            let wait = members::next_pass_in(&core, Duration::from_secs(15)).await;
            tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
        }
    });
}

/// Delivers queued mail every few seconds (every node runs one; leases keep them apart).
fn spawn_mail_worker(core: Arc<Liaison>, mailer: backend::mail::Mailer) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        loop {
            tick.tick().await;
            if let Err(e) =
                backend::mail::deliver_due(&core.db, &core.sealer, &mailer, core.now_ms(), 50).await
            {
                tracing::warn!(error.detail = %e, "mail delivery pass failed");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
