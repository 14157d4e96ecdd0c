//! Guests' sign-outs (the `guest_sign_outs` migration): one portal session ended by its
//! `sid`, or every session of a recipient address in an organisation at once.

use sqlx::Executor;

use super::Result;

/// A portal session that signs out.
pub struct SessionEnd<'a> {
    pub org_id: &'a str,
    pub sid: &'a str,
    /// The browser the session was bound to (SHA-256 of its device id), if any.
    pub device_hash: Option<&'a str>,
    pub now_ms: i64,
    /// When no token of the session can be renewed or used any more.
    pub forget_after_ms: i64,
}

/// Ends a portal session. Ending it twice is no error.
pub async fn end<'e, E>(db: E, e: &SessionEnd<'_>) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO portal_session_ends (sid, org_id, device_hash, ended_at, forget_after) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sid) DO NOTHING",
    )
    .bind(e.sid)
    .bind(e.org_id)
    .bind(e.device_hash)
    .bind(e.now_ms)
    .bind(e.forget_after_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends every session of `email` (lower case) in `org_id` that passed its checks at or
/// before `at_secs` (a later sign-out never moves the time back, whatever a node's clock).
pub async fn end_everywhere<'e, E>(db: E, org_id: &str, email: &str, at_secs: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO guest_sign_outs (org_id, email, signed_out_at) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, email) DO UPDATE SET signed_out_at = \
         CASE WHEN excluded.signed_out_at > guest_sign_outs.signed_out_at \
         THEN excluded.signed_out_at ELSE guest_sign_outs.signed_out_at END",
    )
    .bind(org_id)
    .bind(email)
    .bind(at_secs)
    .execute(db)
    .await?;
    Ok(())
}

/// Has the session `sid` of `email` in `org_id`, whose checks were passed at
/// `auth_time_secs`, signed out — itself, or everywhere since? One round trip.
pub async fn signed_out<'e, E>(
    db: E,
    org_id: &str,
    sid: &str,
    email: &str,
    auth_time_secs: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM portal_session_ends WHERE sid = $1) \
         + (SELECT COUNT(*) FROM guest_sign_outs WHERE org_id = $2 AND email = $3 \
            AND signed_out_at >= $4)",
    )
    .bind(sid)
    .bind(org_id)
    .bind(email)
    .bind(auth_time_secs)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// Has the browser `device_hash` signed out of `org_id` — one of its sessions, or its
/// recipient `email` everywhere — since `proven_at_ms`, when it last proved a share's
/// secrets? Then it must prove them again.
pub async fn signed_out_since<'e, E>(
    db: E,
    org_id: &str,
    device_hash: &str,
    email: &str,
    proven_at_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM portal_session_ends WHERE org_id = $1 \
            AND device_hash = $2 AND ended_at >= $4) \
         + (SELECT COUNT(*) FROM guest_sign_outs WHERE org_id = $1 AND email = $3 \
            AND signed_out_at * 1000 >= $4)",
    )
    .bind(org_id)
    .bind(device_hash)
    .bind(email)
    .bind(proven_at_ms)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// Forgets sign-outs that can no longer matter: ended sessions past `forget_after`, and
/// "everywhere" sign-outs older than any session that could still be renewed
/// (`oldest_auth_secs`).
pub async fn sweep<'e, E>(db: E, now_ms: i64, oldest_auth_secs: i64) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    let ends = sqlx::query("DELETE FROM portal_session_ends WHERE forget_after < $1")
        .bind(now_ms)
        .execute(db)
        .await?
        .rows_affected();
    let everywhere = sqlx::query("DELETE FROM guest_sign_outs WHERE signed_out_at < $1")
        .bind(oldest_auth_secs)
        .execute(db)
        .await?
        .rows_affected();
    Ok(ends + everywhere)
}
