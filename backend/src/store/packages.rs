//! Document packages and the documents each share covers (the `packages` migration).

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PackageRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
}

pub async fn insert<'e, E>(db: E, p: &PackageRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO packages (id, org_id, name, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&p.id)
    .bind(&p.org_id)
    .bind(&p.name)
    .bind(&p.created_by)
    .bind(p.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<PackageRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, name, created_by, created_at FROM packages \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// By name.
pub async fn list<'e, E>(db: E, org_id: &str) -> Result<Vec<PackageRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, name, created_by, created_at FROM packages \
         WHERE org_id = $1 ORDER BY name",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Adds a document; adding one already there changes nothing. Returns whether it was added.
pub async fn add_document<'e, E>(
    db: E,
    org_id: &str,
    package_id: &str,
    document_id: &str,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "INSERT INTO package_documents (org_id, package_id, document_id, added_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (package_id, document_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(package_id)
    .bind(document_id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Returns whether the document was in the package.
pub async fn remove_document<'e, E>(
    db: E,
    org_id: &str,
    package_id: &str,
    document_id: &str,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "DELETE FROM package_documents WHERE org_id = $1 AND package_id = $2 AND document_id = $3",
    )
    .bind(org_id)
    .bind(package_id)
    .bind(document_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every (package id, document id) of the organisation, in the order documents were added.
pub async fn all_documents<'e, E>(db: E, org_id: &str) -> Result<Vec<(String, String)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT package_id, document_id FROM package_documents WHERE org_id = $1 \
         ORDER BY added_at, document_id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// The package's document ids, in the order they were added.
pub async fn documents<'e, E>(db: E, org_id: &str, package_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT document_id FROM package_documents WHERE org_id = $1 AND package_id = $2 \
         ORDER BY added_at, document_id",
    )
    .bind(org_id)
    .bind(package_id)
    .fetch_all(db)
    .await?)
}

/// The ids of a project's (work package's) documents, oldest first.
pub async fn project_documents<'e, E>(db: E, org_id: &str, project_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT id FROM documents WHERE org_id = $1 AND project_id = $2 ORDER BY created_at, id",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_all(db)
    .await?)
}

/// Records the documents a new share covers, in order.
pub async fn insert_share_documents(
    tx: &mut super::Tx,
    org_id: &str,
    share_id: &str,
    document_ids: &[String],
) -> Result<()> {
    for (position, document_id) in document_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO share_documents (org_id, share_id, document_id, position) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(org_id)
        .bind(share_id)
        .bind(document_id)
        .bind(position as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The documents a share covers, in order.
pub async fn share_documents<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT document_id FROM share_documents WHERE org_id = $1 AND share_id = $2 \
         ORDER BY position",
    )
    .bind(org_id)
    .bind(share_id)
    .fetch_all(db)
    .await?)
}
