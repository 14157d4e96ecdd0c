//! The analytics pages over `args.analytics_events` audit events: p95 of a portal's and a
//! share's analytics for 7, 30 and 90 days, against the reference of computing the same
//! numbers by scanning the log, in the same run.
//!
//! The events are written straight through SQL (their hash chain plays no part in reading
//! analytics), spread over 90 days and 20,000 shares of one portal; the per-day counts are
//! then made by the migration's own counting statements, which count exactly what
//! `audit::activity` counts as events are written.

use std::time::{Duration, Instant};

use anyhow::Result;
use backend::services::analytics::{self, Window};
use backend::store::{self, Engine};

use super::{admin, document, ms, percentile, seed_shares, TempDb};
use crate::config::BenchArgs;

const SHARES: usize = 20_000;
const ROUNDS: usize = 100;

/// The migration's counting statements (after its marker line), for this engine.
fn counting_statements(engine: Engine) -> Vec<&'static str> {
    const MARK: &str = "-- (counting)\n";
    let sql = match engine {
        Engine::Sqlite => {
            include_str!("../../../migrations/sqlite/20261206000019_portal_analytics.sql")
        }
        Engine::Postgres => {
            include_str!("../../../migrations/postgres/20261206000019_portal_analytics.sql")
        }
    };
    let body = sql.split_once(MARK).map_or("", |(_, b)| b);
    body.split(";\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

pub async fn run(args: &BenchArgs, db: &TempDb, engine: &str) -> Result<()> {
    let core = db.core(1).await?;
    let who = admin(&core).await?;
    let doc = document(&core, &who).await?;
    seed_shares(&core.db, &who, &doc, SHARES).await?;
    let portal = store::portals::default_of(core.db.pool(), &who.org_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no default portal"))?
        .id;
    let pool = core.db.pool();

    let started = Instant::now();
    sqlx::query("CREATE TABLE bench_share_keys (k BIGINT PRIMARY KEY, id TEXT NOT NULL)")
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO bench_share_keys (k, id) \
         SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id FROM shares WHERE org_id = $1",
    )
    .bind(&who.org_id)
    .execute(pool)
    .await?;
    let (numbers, id) = match core.db.engine() {
        Engine::Sqlite => (
            "WITH RECURSIVE n(i) AS (SELECT $3 UNION ALL SELECT i + 1 FROM n WHERE i < $4 - 1)",
            "printf('bench-%010d', n.i)",
        ),
        Engine::Postgres => (
            "WITH n(i) AS (SELECT generate_series($3::bigint, $4::bigint - 1))",
            "'bench-' || lpad(n.i::text, 10, '0')",
        ),
    };
    let now = store::to_millis(core.now());
    let total = args.analytics_events as i64;
    let span = 90 * 86_400_000_i64;
    // Oldest first, evenly over 90 days (as a log grows); shares spread by a stride; 70 %
    // opens, 15 % downloads, 5 % responses, 10 % denials. In chunks, so that no one
    // transaction holds millions of rows.
    const CHUNK: i64 = 500_000;
    let mut start = 0;
    while start < total {
        let end = (start + CHUNK).min(total);
        sqlx::query(&format!(
            "{numbers} INSERT INTO audit_events (id, org_id, occurred_at, event_type, actor_type, \
             actor_name, credential, share_id, details) \
             SELECT {id}, $1, $2 - {span} + n.i * {span} / $5, \
             CASE WHEN n.i % 20 < 14 THEN 'share.accessed' WHEN n.i % 20 < 17 THEN 'item.downloaded' \
             WHEN n.i % 20 < 18 THEN 'share.response_submitted' ELSE 'share.denied' END, \
             'guest', 'Bench', 'link', k.id, '{{}}' \
             FROM n JOIN bench_share_keys k ON k.k = (n.i * 7919) % {SHARES}"
        ))
        .bind(&who.org_id)
        .bind(now)
        .bind(start)
        .bind(end)
        .bind(total)
        .execute(pool)
        .await?;
        start = end;
    }
    let written = started.elapsed();
    let started = Instant::now();
    for statement in counting_statements(core.db.engine()) {
        sqlx::query(statement).execute(pool).await?;
    }
    let counted = started.elapsed();
    let analyze = match core.db.engine() {
        Engine::Sqlite => "ANALYZE",
        Engine::Postgres => "ANALYZE activity_daily",
    };
    sqlx::query(analyze).execute(pool).await?;
    let share_ids: Vec<String> = sqlx::query_scalar("SELECT id FROM bench_share_keys ORDER BY k")
        .fetch_all(pool)
        .await?;

    println!(
        "## Analytics, {engine}, {} audit events over 90 days, {SHARES} shares of one portal \
         (written in {:.0} s, counted in {:.0} s)\n",
        args.analytics_events,
        written.as_secs_f64(),
        counted.as_secs_f64()
    );
    println!(
        "| page | p50 | p95 (goal < 50 ms) | reference: the same numbers by scanning the log | p95 / scan |\n|---|---|---|---|---|"
    );
    for window in [Window::Week, Window::Month, Window::Quarter] {
        let mut portal_lat = Vec::with_capacity(ROUNDS);
        let mut share_lat = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            let t = Instant::now();
            analytics::for_portal(&core, &who, &portal, window)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            portal_lat.push(t.elapsed());
            let share = &share_ids[(round * 7919) % share_ids.len()];
            let t = Instant::now();
            analytics::for_share(&core, &who, share, window)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            share_lat.push(t.elapsed());
        }
        let scan = scan(&core, &who.org_id, now, window).await?;
        for (name, mut lat) in [("portal", portal_lat), ("share", share_lat)] {
            lat.sort();
            let p95 = percentile(&lat, 0.95);
            println!(
                "| {name}, {} days | {} | **{}** | {} | {:.4}× |",
                window.days(),
                ms(percentile(&lat, 0.5)),
                ms(p95),
                ms(scan),
                p95.as_secs_f64() / scan.as_secs_f64()
            );
        }
    }
    println!();
    Ok(())
}

/// The reference: the window's per-day counts of the organisation's guest events, grouped
/// from the log itself.
async fn scan(
    core: &backend::Liaison,
    org_id: &str,
    now_ms: i64,
    window: Window,
) -> Result<Duration> {
    let from = now_ms - window.days() * 86_400_000;
    let t = Instant::now();
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT occurred_at / 86400000, event_type, COUNT(*) FROM audit_events \
         WHERE org_id = $1 AND occurred_at >= $2 AND event_type IN ('share.accessed', \
         'item.downloaded', 'share.response_submitted', 'share.denied') GROUP BY 1, 2",
    )
    .bind(org_id)
    .bind(from)
    .fetch_all(core.db.pool())
    .await?;
    anyhow::ensure!(!rows.is_empty(), "the scan found no events");
    Ok(t.elapsed())
}
