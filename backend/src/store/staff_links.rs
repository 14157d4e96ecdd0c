//! One-time links that let a staff member set their password (an invitation or a reset).

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StaffLinkRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    /// `invitation` or `reset`.
    pub purpose: String,
    pub selector: String,
    /// PBKDF2 hash of the token's verifier.
    pub verifier_hash: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// When the link was used or replaced; a closed link opens nothing.
    pub closed_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, user_id, purpose, selector, verifier_hash, created_by, \
    created_at, expires_at, closed_at";

pub async fn insert<'e, E>(db: E, row: &StaffLinkRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO staff_links ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.user_id)
    .bind(&row.purpose)
    .bind(&row.selector)
    .bind(&row.verifier_hash)
    .bind(&row.created_by)
    .bind(row.created_at)
    .bind(row.expires_at)
    .bind(row.closed_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The link a token's selector names, in any organisation (the token is all a person
/// holding the link has; the row says whose it is).
pub async fn by_selector<'e, E>(db: E, selector: &str) -> Result<Option<StaffLinkRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff_links WHERE selector = $1"
    ))
    .bind(selector)
    .fetch_optional(db)
    .await?)
}

/// Closes every open link of an account (a new one replaces them, or the account is
/// disabled).
pub async fn close_all<'e, E>(db: E, org_id: &str, user_id: &str, now_ms: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE staff_links SET closed_at = $3 \
         WHERE org_id = $1 AND user_id = $2 AND closed_at IS NULL",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Uses a link: true for exactly one caller, and only while it is open and unexpired.
pub async fn close<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE staff_links SET closed_at = $3 \
         WHERE org_id = $1 AND id = $2 AND closed_at IS NULL AND expires_at > $3",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// When the newest open, unexpired link of one account expires, if it has one.
pub async fn open_until<'e, E>(
    db: E,
    org_id: &str,
    user_id: &str,
    now_ms: i64,
) -> Result<Option<i64>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT MAX(expires_at) FROM staff_links \
         WHERE org_id = $1 AND user_id = $2 AND closed_at IS NULL AND expires_at > $3",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(now_ms)
    .fetch_one(db)
    .await?)
}

/// Accounts of the organisation with an open, unexpired link (those still to set a
/// password), with the link's expiry.
pub async fn open_for_org<'e, E>(db: E, org_id: &str, now_ms: i64) -> Result<Vec<(String, i64)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT user_id, MAX(expires_at) FROM staff_links \
         WHERE org_id = $1 AND closed_at IS NULL AND expires_at > $2 GROUP BY user_id",
    )
    .bind(org_id)
    .bind(now_ms)
    .fetch_all(db)
    .await?)
}
