//! Counters of secret attempts (links, share passwords, verification codes, staff
//! passwords), per subject (a share, an account, a client address), with lockout. In the
//! database so every node sees the same counts.
//!
//! Invariant: an attempt is *reserved* — counted as a failure, atomically, in one
//! conditional upsert — before any PBKDF2 work, and the reservation fails once the window
//! is full. So a concurrent burst evaluates at most `max_failures` guesses per window,
//! whatever the number of nodes. A failed attempt keeps its reservation; a successful (or
//! inconclusive) one gives it back with [`release`].

use sqlx::Executor;

use super::Result;

/// `Some(until_ms)` while `subject` is locked out in `scope`.
pub async fn locked_until<'e, E>(
    db: E,
    scope: &str,
    subject: &str,
    now_ms: i64,
) -> Result<Option<i64>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let until: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT locked_until FROM attempt_counters WHERE scope = $1 AND subject = $2",
    )
    .bind(scope)
    .bind(subject)
    .fetch_optional(db)
    .await?;
    Ok(until.flatten().filter(|u| *u > now_ms))
}

/// The rule a counter follows.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max_failures: i64,
    pub window_ms: i64,
    pub lockout_ms: i64,
}

/// What reserving an attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may be evaluated; `last` says it took the window's last slot (the subject
    /// is locked out from now on unless the attempt succeeds and is released).
    Granted { last: bool },
    /// The window is full or the subject is locked out: evaluate nothing.
    Refused,
}

/// Reserves one attempt for `subject` in `scope`: counts it as a failure now, or refuses
/// when the window is full or a lockout is running. Atomic (one statement) on both engines.
/// A window (or lockout) that has run out starts a new count.
pub async fn reserve<'e, E>(
    db: E,
    scope: &str,
    subject: &str,
    limit: Limit,
    now_ms: i64,
) -> Result<Reservation>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    // $3 now, $4 start of the current window, $5 max, $6 end of a lockout starting now.
    // `fresh`: the count starts anew — when the subject is not locked, because its window
    // is over; when it is locked, only once the lockout is over (a lockout outlives the
    // window it ended).
    let fresh = "((attempt_counters.locked_until IS NULL AND attempt_counters.window_start <= $4) \
                 OR (attempt_counters.locked_until IS NOT NULL AND attempt_counters.locked_until <= $3))";
    let failures: Option<i64> = sqlx::query_scalar(&format!(
        "INSERT INTO attempt_counters (scope, subject, failures, window_start, locked_until) \
         VALUES ($1, $2, 1, $3, CASE WHEN 1 >= $5 THEN $6 ELSE NULL END) \
         ON CONFLICT (scope, subject) DO UPDATE SET \
           failures = CASE WHEN {fresh} THEN 1 ELSE attempt_counters.failures + 1 END, \
           window_start = CASE WHEN {fresh} THEN $3 ELSE attempt_counters.window_start END, \
           locked_until = CASE WHEN {fresh} THEN (CASE WHEN 1 >= $5 THEN $6 ELSE NULL END) \
                               WHEN attempt_counters.failures + 1 >= $5 THEN $6 \
                               ELSE attempt_counters.locked_until END \
         WHERE {fresh} OR (attempt_counters.failures < $5 AND \
               (attempt_counters.locked_until IS NULL OR attempt_counters.locked_until <= $3)) \
         RETURNING failures"
    ))
    .bind(scope)
    .bind(subject)
    .bind(now_ms)
    .bind(now_ms - limit.window_ms)
    .bind(limit.max_failures)
    .bind(now_ms + limit.lockout_ms)
    .fetch_optional(db)
    .await?;
    Ok(match failures {
        Some(n) => Reservation::Granted {
            last: n >= limit.max_failures,
        },
        None => Reservation::Refused,
    })
}

/// Gives back a reservation whose attempt did not fail (it succeeded, or stopped before a
/// secret was judged); lifts a lockout that only this reservation caused.
pub async fn release<'e, E>(db: E, scope: &str, subject: &str, limit: Limit) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE attempt_counters SET failures = failures - 1, \
           locked_until = CASE WHEN failures - 1 < $3 THEN NULL ELSE locked_until END \
         WHERE scope = $1 AND subject = $2 AND failures > 0",
    )
    .bind(scope)
    .bind(subject)
    .bind(limit.max_failures)
    .execute(db)
    .await?;
    Ok(())
}

/// One counter an attempt counts against.
#[derive(Clone, Copy, Debug)]
pub struct Counter<'a> {
    pub scope: &'a str,
    pub subject: &'a str,
    pub limit: Limit,
}

/// Reserves one attempt on every counter, or on none: `None` when any of them refuses (the
/// ones already reserved are given back); `Some(last)` otherwise, `last` saying that this
/// attempt took some window's last slot.
pub async fn reserve_all(
    db: &sqlx::AnyPool,
    counters: &[Counter<'_>],
    now_ms: i64,
) -> Result<Option<bool>> {
    let mut last = false;
    for (i, c) in counters.iter().enumerate() {
        match reserve(db, c.scope, c.subject, c.limit, now_ms).await? {
            Reservation::Granted { last: filled } => last |= filled,
            Reservation::Refused => {
                release_all(db, &counters[..i]).await?;
                return Ok(None);
            }
        }
    }
    Ok(Some(last))
}

/// Gives back an attempt reserved with [`reserve_all`] that did not fail.
pub async fn release_all(db: &sqlx::AnyPool, counters: &[Counter<'_>]) -> Result<()> {
    for c in counters {
        release(db, c.scope, c.subject, c.limit).await?;
    }
    Ok(())
}

/// Longer than any window or lockout: a counter untouched for this long counts nothing.
pub const FORGET_AFTER_MS: i64 = 24 * 60 * 60_000;

/// Drops counters whose window and lockout are both over (run by the sweeper): a counter
/// older than `max_window_ms` counts nothing any more.
pub async fn sweep<'e, E>(db: E, now_ms: i64, max_window_ms: i64) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "DELETE FROM attempt_counters WHERE window_start <= $1 \
         AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(now_ms - max_window_ms)
    .bind(now_ms)
    .execute(db)
    .await?
    .rows_affected())
}

/// Forgets a subject's failures (after a success).
pub async fn clear<'e, E>(db: E, scope: &str, subject: &str) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("DELETE FROM attempt_counters WHERE scope = $1 AND subject = $2")
        .bind(scope)
        .bind(subject)
        .execute(db)
        .await?;
    Ok(())
}
