//! Verification codes (PBKDF2 hashes only), see `services::codes`.

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CodeRow {
    pub id: String,
    pub org_id: String,
    pub share_id: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert<'e, E>(db: E, c: &CodeRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO verification_codes (id, org_id, share_id, code_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&c.id)
    .bind(&c.org_id)
    .bind(&c.share_id)
    .bind(&c.code_hash)
    .bind(c.created_at)
    .bind(c.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn latest_created_at<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<Option<i64>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT MAX(created_at) FROM verification_codes WHERE org_id = $1 AND share_id = $2",
    )
    .bind(org_id)
    .bind(share_id)
    .fetch_one(db)
    .await?)
}

/// The share's live code: the newest unused, unexpired one (sending a code supersedes the
/// ones before).
pub async fn live<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    now_ms: i64,
) -> Result<Option<CodeRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, share_id, code_hash, created_at, expires_at, used_at \
         FROM verification_codes WHERE org_id = $1 AND share_id = $2 AND used_at IS NULL \
         AND expires_at > $3 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(now_ms)
    .fetch_optional(db)
    .await?)
}

/// Ends every unused code of a share (a new one is about to be sent).
pub async fn supersede<'e, E>(db: E, org_id: &str, share_id: &str, now_ms: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE verification_codes SET used_at = $3 \
         WHERE org_id = $1 AND share_id = $2 AND used_at IS NULL",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a code used; true only for the one call that did.
pub async fn mark_used<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE verification_codes SET used_at = $3 WHERE org_id = $1 AND id = $2 AND used_at IS NULL",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
