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
}

pub async fn insert<'e, E>(db: E, row: &ApiKeyRow, key_hash: &str) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, user_id, name, key_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.user_id)
    .bind(&row.name)
    .bind(key_hash)
    .bind(row.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_by_hash<'e, E>(db: E, key_hash: &str) -> Result<Option<ApiKeyRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, user_id, name, created_at, last_used_at, revoked_at \
         FROM api_keys WHERE key_hash = $1",
    )
    .bind(key_hash)
    .fetch_optional(db)
    .await?)
}

pub async fn touch<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE api_keys SET last_used_at = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}
