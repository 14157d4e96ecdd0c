//! Persistence over sqlx's `Any` driver, so one set of queries serves SQLite (embedded
//! default) and PostgreSQL (production). Queries use `$n` placeholders and portable SQL;
//! times are `i64` milliseconds, ids UUID text. Every query on tenant data names `org_id`.
//!
//! Why not `query!`: the macros check against one engine per build, and this binary talks
//! to either at run time. The store test suite (`tests/store.rs`) runs every query against
//! both engines instead.

pub mod activity;
pub mod api_keys;
pub mod attempts;
pub mod audit;
pub mod codes;
pub mod comments;
pub mod devices;
pub mod documents;
pub mod domains;
pub mod federation;
pub mod guest_sessions;
pub mod intelligence;
pub mod mail;
pub mod orgs;
pub mod packages;
pub mod pages;
pub mod partners;
pub mod policies;
pub mod portal_sections;
pub mod portals;
pub mod presence;
pub mod records;
pub mod renewals;
pub mod responses;
pub mod reviews;
pub mod secrets;
pub mod sessions;
pub mod shares;
pub mod signing_keys;
mod sql;
pub mod staff_links;
pub use sql::Sql;
mod tx;
pub use tx::{CommitWatcher, Committed, Tx};
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when the error is a unique-constraint violation (a conflict, not a fault).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// The connection pool and the engine behind it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    watch: tx::CommitWatch,
}

impl Db {
    /// Connects; for SQLite creates the file if needed and turns on WAL, foreign keys and a
    /// busy timeout on every connection.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of_url(url)?;
        let url = match engine {
            Engine::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        pool = match engine {
            Engine::Sqlite => pool.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        // secure_delete: what is deleted (a burnt secret's ciphertext) is
                        // overwritten, not left in free pages.
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                         PRAGMA secure_delete = ON;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Engine::Postgres => pool.max_connections(16),
        };
        let pool = pool.connect_with(options).await?;
        Ok(Self {
            pool,
            engine,
            watch: Default::default(),
        })
    }

    /// Applies pending migrations for this engine.
    pub async fn migrate(&self) -> Result<()> {
        match self.engine {
            Engine::Sqlite => {
                sqlx::migrate!("../migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Engine::Postgres => {
                sqlx::migrate!("../migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// waiting out other writers with the busy timeout: one that began by reading could
    /// not write once another connection had committed meanwhile (`SQLITE_BUSY_SNAPSHOT`,
    /// which no timeout helps). PostgreSQL's transactions begin as usual.
    pub async fn begin(&self) -> Result<Tx> {
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        };
        Ok(Tx::new(
            tx,
            self.pool.clone(),
            self.engine,
            self.watch.clone(),
        ))
    }

    /// Has `w` hear what every transaction of this pool (and its clones) noted
    /// ([`Tx::note`]). One watcher per pool: a second call replaces the first.
    pub fn watch_commits(&self, w: CommitWatcher) {
        self.watch.set(w);
    }

    /// Readiness probe: the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the epoch, as stored.
pub fn to_millis(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_millis(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
