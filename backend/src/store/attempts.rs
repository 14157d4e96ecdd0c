//! Counters of failed secret attempts (share passwords, verification codes), per share and
//! per client IP, with lockout. In the database so every node sees the same counts.

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

/// Records one failure; returns true when this failure locked the subject out. Failures
/// older than the window start a new count.
pub async fn record_failure<'e, E>(
    db: E,
    scope: &str,
    subject: &str,
    limit: Limit,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO attempt_counters (scope, subject, failures, window_start, locked_until) \
         VALUES ($1, $2, 1, $3, NULL) \
         ON CONFLICT (scope, subject) DO UPDATE SET \
           failures = CASE WHEN attempt_counters.window_start <= $4 THEN 1 \
                           ELSE attempt_counters.failures + 1 END, \
           window_start = CASE WHEN attempt_counters.window_start <= $4 THEN $3 \
                               ELSE attempt_counters.window_start END, \
           locked_until = CASE WHEN attempt_counters.failures + 1 >= $5 \
                                AND attempt_counters.window_start > $4 THEN $6 \
                               ELSE attempt_counters.locked_until END \
         RETURNING failures",
    )
    .bind(scope)
    .bind(subject)
    .bind(now_ms)
    .bind(now_ms - limit.window_ms)
    .bind(limit.max_failures)
    .bind(now_ms + limit.lockout_ms)
    .fetch_one(db)
    .await?;
    Ok(failures >= limit.max_failures)
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
