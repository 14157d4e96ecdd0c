//! Test harness: a complete `Liaison` core on a fresh database of either engine.
//!
//! PostgreSQL tests create a uniquely named database on the server named by
//! `LIAISON_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and drop it afterwards, even when the test fails; they never touch other databases.
#![allow(dead_code)]

pub mod dnsmasq;

use std::future::Future;
use std::sync::Arc;

use backend::blobs::Blobs;
use backend::clock::ManualClock;
use backend::crypto::Sealer;
use backend::store::{Db, Engine};
use backend::{Liaison, Settings};
use secrecy::SecretSlice;
use sqlx::Connection;

pub struct Harness {
    pub core: Arc<Liaison>,
    pub clock: ManualClock,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// The SQLite database file (SQLite harnesses only), to search what is on disk.
    pub fn sqlite_path(&self) -> String {
        self._dir.path().join("liaison.db").display().to_string()
    }
}

fn admin_url() -> String {
    std::env::var("LIAISON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn with_database(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("LIAISON_TEST_POSTGRES_URL is a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

/// A fresh, empty PostgreSQL database: (its URL, its name for [`drop_postgres`]).
pub async fn create_postgres() -> (String, String) {
    sqlx::any::install_default_drivers();
    let name = format!("liaison_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&admin_url())
        .await
        .expect("PostgreSQL must answer at LIAISON_TEST_POSTGRES_URL (the test command starts it)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test db");
    admin.close().await.ok();
    (with_database(&admin_url(), &name), name)
}

pub async fn drop_postgres(name: &str) {
    let mut admin = sqlx::AnyConnection::connect(&admin_url())
        .await
        .expect("reconnect");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop test db");
}

/// Runs `test` against a fresh database of `engine`, then drops that database.
pub async fn run<F, Fut>(engine: Engine, test: F)
where
    F: FnOnce(Harness) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with_geo(engine, None, test).await
}

/// [`run`], with a GeoIP country database for the core.
pub async fn run_with_geo<F, Fut>(engine: Engine, geo: Option<std::path::PathBuf>, test: F)
where
    F: FnOnce(Harness) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(engine, geo, None, test).await
}

/// [`run`], with the core asking the DNS server at `resolver` (custom domains).
pub async fn run_with_dns<F, Fut>(engine: Engine, resolver: std::net::SocketAddr, test: F)
where
    F: FnOnce(Harness) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(engine, None, Some(resolver), test).await
}

async fn run_with<F, Fut>(
    engine: Engine,
    geo: Option<std::path::PathBuf>,
    dns: Option<std::net::SocketAddr>,
    test: F,
) where
    F: FnOnce(Harness) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg_name) = match engine {
        Engine::Sqlite => (
            format!("sqlite://{}", dir.path().join("liaison.db").display()),
            None,
        ),
        Engine::Postgres => {
            let (url, name) = create_postgres().await;
            (url, Some(name))
        }
    };
    let result = {
        let url = url.clone();
        let blob_dir = dir.path().join("blobs");
        tokio::spawn(async move {
            let h = harness(&url, &blob_dir, dir, geo, dns).await;
            let core = h.core.clone();
            test(h).await;
            core.db.close().await;
        })
        .await
    };
    if let Some(name) = pg_name {
        drop_postgres(&name).await;
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn harness(
    url: &str,
    blob_dir: &std::path::Path,
    dir: tempfile::TempDir,
    geo: Option<std::path::PathBuf>,
    dns: Option<std::net::SocketAddr>,
) -> Harness {
    let db = Db::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let sealer = Sealer::new(&SecretSlice::from(vec![42u8; 32])).expect("sealer");
    let settings = Settings {
        max_upload_bytes: 1024 * 1024,
        dns_resolver: dns,
        ..Settings::new(url::Url::parse("http://127.0.0.1:3000").expect("url"))
    };
    let core = Liaison::builder(db, Blobs::local(blob_dir).expect("blobs"), sealer, settings)
        .hash_workers(2)
        .clock(Arc::new(clock.clone()))
        .geo(geo.map(|p| backend::geo::Geo::open(&p).expect("GeoIP test database")))
        .single_node(true)
        .allow_private_networks(true)
        .build()
        .await
        .expect("core");
    Harness {
        core: Arc::new(core),
        clock,
        _dir: dir,
    }
}

/// A freshly bootstrapped organisation named `name`: its administrator
/// (`admin@<name>.example.org`), as the organisation's API key authenticates them.
pub async fn org_admin(h: &Harness, name: &str) -> backend::actor::Staff {
    use secrecy::ExposeSecret;
    let email = format!("admin@{}.example.org", name.to_lowercase());
    let b = backend::services::bootstrap::bootstrap(&h.core, name, &email)
        .await
        .expect("bootstrap");
    backend::services::auth::staff_for_api_key(
        &h.core,
        b.api_key.expose_secret(),
        &Default::default(),
    )
    .await
    .expect("the bootstrap key authenticates")
}

/// A text document titled `title` uploaded by `who`: its id.
pub async fn text_document(h: &Harness, who: &backend::actor::Staff, title: &str) -> String {
    backend::services::documents::upload(
        &h.core,
        who,
        backend::services::documents::Upload {
            title: title.into(),
            file_name: "brief.txt".into(),
            bytes: "the brief".into(),
        },
        &backend::actor::RequestMeta::default(),
    )
    .await
    .unwrap()
    .id
}

/// A seven-day invitation to `doc` for `name` (`<name>@counsel.example`) with `settings`,
/// opened by its guest: the share's id and the guest's portal session.
pub async fn invited_guest(
    h: &Harness,
    who: &backend::actor::Staff,
    doc: &str,
    name: &str,
    settings: backend::domain::ShareSettings,
) -> (String, backend::actor::Guest) {
    use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
    use secrecy::ExposeSecret;
    let created = shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(doc.into()),
            recipients: vec![Recipient {
                name: name.into(),
                email: format!("{}@counsel.example", name.to_lowercase()),
            }],
            expiry: Expiry::Days(7),
            settings,
            ..Default::default()
        },
        &backend::actor::RequestMeta::default(),
    )
    .await
    .unwrap()
    .remove(0);
    let token = created
        .url
        .expose_secret()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (created.share.id, guest_session(h, &token).await)
}

/// A new portal session of the link `token`, as its guest opens it.
pub async fn guest_session(h: &Harness, token: &str) -> backend::actor::Guest {
    use backend::services::access;
    let meta = backend::actor::RequestMeta::default();
    let s = access::open(
        &h.core,
        access::OpenRequest {
            token: token.to_owned(),
            device: access::new_device_id(),
            ..Default::default()
        },
        &meta,
    )
    .await
    .unwrap();
    access::authenticate(&h.core, &s.access_token, &meta)
        .await
        .unwrap()
}

/// The eight-digit verification code a mail's text carries.
pub fn mailed_code(mail: &str) -> String {
    mail.lines()
        .map(str::trim)
        .find(|l| l.len() == 8 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in the mail: {mail}"))
        .to_owned()
}

/// What `subscription` hears next about `interest`, waited for at most 5 s.
pub async fn heard(
    subscription: &mut backend::revocation::Subscription,
    interest: backend::revocation::Interest<'_>,
) -> backend::revocation::Heard {
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        subscription.next_live(interest),
    )
    .await
    .expect("nothing heard on the bus within 5 s")
}

/// Declares `name_sqlite` and `name_postgres` tests running `body(Harness)`.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { $crate::common::run(backend::store::Engine::Sqlite, super::$name).await }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { $crate::common::run(backend::store::Engine::Postgres, super::$name).await }
        )* }
    };
}

/// Delivers the outbox locally and returns the text of the mail to `to` whose subject
/// contains `subject` (the newest such), as `who`'s organisation's outbox shows it.
pub async fn local_mail(
    h: &Harness,
    who: &backend::actor::Staff,
    to: &str,
    subject: &str,
) -> String {
    backend::mail::deliver_due(
        &h.core.db,
        &h.core.sealer,
        &backend::mail::Mailer::Local,
        h.core.now_ms(),
        100,
    )
    .await
    .unwrap();
    backend::services::outbox::list(&h.core, who, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.to.ends_with(&format!("<{to}>")) && m.subject.contains(subject))
        .and_then(|m| m.body_text)
        .unwrap_or_else(|| panic!("no mail to {to} about {subject:?}"))
}

/// A database of `engine` migrated up to, and not including, migration `version`: a
/// migration test writes rows as an older release did, then runs the rest. Returns the
/// pool, the URL (to reconnect through `Db` and run every migration) and, on PostgreSQL,
/// the database to drop at the end. `dir` holds the SQLite file.
pub async fn migrated_before(
    engine: Engine,
    dir: &std::path::Path,
    version: i64,
) -> (sqlx::AnyPool, String, Option<String>) {
    use sqlx::migrate::Migrator;
    sqlx::any::install_default_drivers();
    let (url, pg, folder) = match engine {
        Engine::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.join("old.db").display()),
            None,
            "sqlite",
        ),
        Engine::Postgres => {
            let (url, name) = create_postgres().await;
            (url, Some(name), "postgres")
        }
    };
    let mut before = Migrator::new(std::path::Path::new(&format!(
        "{}/../migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    )))
    .await
    .unwrap();
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    before.run(&pool).await.unwrap();
    (pool, url, pg)
}
