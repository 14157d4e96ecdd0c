//! Organisations (tenants).

use sqlx::Executor;

use super::{new_id, Result};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

pub async fn insert<'e, E>(db: E, name: &str, now_ms: i64) -> Result<OrgRow>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let row = OrgRow {
        id: new_id(),
        name: name.to_owned(),
        created_at: now_ms,
    };
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&row.id)
        .bind(&row.name)
        .bind(row.created_at)
        .execute(db)
        .await?;
    Ok(row)
}

pub async fn get<'e, E>(db: E, id: &str) -> Result<Option<OrgRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_as("SELECT id, name, created_at FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// Takes the write lock on the organisation's row for the rest of the transaction (on
/// SQLite, the database's write lock): an organisation-wide cap counted after it holds
/// until commit. False when there is no such organisation.
pub async fn lock<'e, E>(db: E, id: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

pub async fn count<'e, E>(db: E) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organizations")
        .fetch_one(db)
        .await?;
    Ok(n)
}

/// Every organisation's id (installation-wide events, the audit verifier).
pub async fn list_ids<'e, E>(db: E) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT id FROM organizations ORDER BY id")
            .fetch_all(db)
            .await?,
    )
}
