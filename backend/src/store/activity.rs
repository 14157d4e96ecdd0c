//! Per-day activity of portals and shares (the `portal_analytics` migration), written as
//! audit events are (`audit::activity`) and read by the analytics pages. Days are counted
//! from 1970-01-01 UTC. A scope is a portal or a share, by id.

use sqlx::Executor;

use super::{Result, Tx};

/// What one event adds to its day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub opens: i64,
    pub downloads: i64,
    pub responses: i64,
    pub denials: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DailyRow {
    pub day: i64,
    pub opens: i64,
    pub unique_guests: i64,
    pub downloads: i64,
    pub responses: i64,
    pub denials: i64,
}

/// The portal and recipient of a share, to count its events under.
pub async fn share_scope(
    tx: &mut Tx,
    org_id: &str,
    share_id: &str,
) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT portal_id, LOWER(recipient_email) FROM shares WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(share_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Adds `c` to the scope's day.
pub async fn add(tx: &mut Tx, org_id: &str, scope_id: &str, day: i64, c: Counts) -> Result<()> {
    sqlx::query(
        "INSERT INTO activity_daily (org_id, scope_id, day, opens, downloads, responses, denials) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope_id, day) DO UPDATE SET \
         opens = activity_daily.opens + excluded.opens, \
         downloads = activity_daily.downloads + excluded.downloads, \
         responses = activity_daily.responses + excluded.responses, \
         denials = activity_daily.denials + excluded.denials",
    )
    .bind(org_id)
    .bind(scope_id)
    .bind(day)
    .bind(c.opens)
    .bind(c.downloads)
    .bind(c.responses)
    .bind(c.denials)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Notes that `guest` opened in the scope on `day`: the day's unique guests grow by one
/// the first time, and the guest's last day moves forward. The scope's day row exists
/// ([`add`] ran first in the same transaction).
pub async fn saw_guest(tx: &mut Tx, scope_id: &str, day: i64, guest: &str) -> Result<()> {
    let first = sqlx::query(
        "INSERT INTO activity_guests (scope_id, day, guest) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(scope_id)
    .bind(day)
    .bind(guest)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        return Ok(());
    }
    sqlx::query(
        "UPDATE activity_daily SET unique_guests = unique_guests + 1 \
         WHERE scope_id = $1 AND day = $2",
    )
    .bind(scope_id)
    .bind(day)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO activity_last_seen (scope_id, guest, last_day) VALUES ($1, $2, $3) \
         ON CONFLICT (scope_id, guest) DO UPDATE SET last_day = CASE \
         WHEN excluded.last_day > activity_last_seen.last_day THEN excluded.last_day \
         ELSE activity_last_seen.last_day END",
    )
    .bind(scope_id)
    .bind(guest)
    .bind(day)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets who opened on days before `before_day` (a day's unique count is final once the
/// day is over, and those rows are never read again) and the last day of guests not seen
/// since `stale_day` (no window reaches back that far). Returns how many rows went.
pub async fn prune(db: &sqlx::AnyPool, before_day: i64, stale_day: i64) -> Result<u64> {
    let guests = sqlx::query("DELETE FROM activity_guests WHERE day < $1")
        .bind(before_day)
        .execute(db)
        .await?
        .rows_affected();
    let last_seen = sqlx::query("DELETE FROM activity_last_seen WHERE last_day < $1")
        .bind(stale_day)
        .execute(db)
        .await?
        .rows_affected();
    Ok(guests + last_seen)
}

/// The scope's days from `from_day` on that have any activity, in order.
pub async fn days<'e, E>(
    db: E,
    org_id: &str,
    scope_id: &str,
    from_day: i64,
) -> Result<Vec<DailyRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT day, opens, unique_guests, downloads, responses, denials FROM activity_daily \
         WHERE org_id = $1 AND scope_id = $2 AND day >= $3 ORDER BY day",
    )
    .bind(org_id)
    .bind(scope_id)
    .bind(from_day)
    .fetch_all(db)
    .await?)
}

/// How many distinct guests opened in the scope from `from_day` on. The caller has
/// checked that the scope is of its organisation.
pub async fn guests_since<'e, E>(db: E, scope_id: &str, from_day: i64) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM activity_last_seen WHERE scope_id = $1 AND last_day >= $2",
    )
    .bind(scope_id)
    .bind(from_day)
    .fetch_one(db)
    .await?)
}
