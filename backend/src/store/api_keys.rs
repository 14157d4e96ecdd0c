//! Admin API keys, stored as SHA-256 lookup hashes.

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The key's first characters (`lsn_` and four more), to tell keys apart in lists.
    pub prefix: String,
    pub expires_at: Option<i64>,
    pub last_used_ip: Option<String>,
    /// `read` or `admin` ([`crate::domain::KeyScope`]).
    pub scope: String,
}

const COLUMNS: &str = "id, org_id, user_id, name, created_at, last_used_at, revoked_at, prefix, \
    expires_at, last_used_ip, scope";

pub async fn insert<'e, E>(db: E, row: &ApiKeyRow, key_hash: &str) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, user_id, name, key_hash, created_at, prefix, expires_at, \
         scope) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.user_id)
    .bind(&row.name)
    .bind(key_hash)
    .bind(row.created_at)
    .bind(&row.prefix)
    .bind(row.expires_at)
    .bind(&row.scope)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_by_hash<'e, E>(db: E, key_hash: &str) -> Result<Option<ApiKeyRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1"
    ))
    .bind(key_hash)
    .fetch_optional(db)
    .await?)
}

/// Records a use: when, and from which address.
pub async fn touch<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    now_ms: i64,
    ip: Option<&str>,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $3, last_used_ip = $4 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .bind(ip)
    .execute(db)
    .await?;
    Ok(())
}

/// The organisation's keys (or only `owner`'s), newest first.
pub async fn list<'e, E>(db: E, org_id: &str, owner: Option<&str>) -> Result<Vec<ApiKeyRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let owned = if owner.is_some() {
        "AND user_id = $2"
    } else {
        ""
    };
    let q = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 {owned} ORDER BY created_at DESC, id DESC"
    );
    let mut query = sqlx::query_as(&q).bind(org_id);
    if let Some(owner) = owner {
        query = query.bind(owner.to_owned());
    }
    Ok(query.fetch_all(db).await?)
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<ApiKeyRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Revokes every unrevoked key of a staff member; returns how many.
pub async fn revoke_all_of<'e, E>(db: E, org_id: &str, user_id: &str, now_ms: i64) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $3 \
         WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Brings an account's live keys within what a lesser role may hold: expiring by `cap_ms`
/// at the latest, and read-only when `read_only`. Answers how many live keys it covered.
pub async fn fit_to_role<'e, E>(
    db: E,
    org_id: &str,
    user_id: &str,
    cap_ms: i64,
    read_only: bool,
) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE api_keys SET \
           expires_at = CASE WHEN expires_at IS NULL OR expires_at > $3 THEN $3 ELSE expires_at END, \
           scope = CASE WHEN $4 = 1 THEN 'read' ELSE scope END \
         WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(cap_ms)
    .bind(i64::from(read_only))
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes a key; false when it was already revoked (or is not the organisation's).
pub async fn revoke<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
