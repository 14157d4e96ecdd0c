//! Uploaded documents (metadata; the bytes live in the blob store).

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_by: String,
    pub created_at: i64,
    /// The family of revisions this one belongs to (the id of the first revision).
    pub family_id: String,
    /// 1 for the first revision, then 2, 3, …
    pub revision: i64,
    /// The organisation's document number, if it keeps one.
    pub number: Option<String>,
    /// The project whose policy override binds the document, if any.
    pub project_id: Option<String>,
}

const COLUMNS: &str = "id, org_id, title, file_name, content_type, size_bytes, sha256, blob_key, \
    created_by, created_at, COALESCE(family_id, id) AS family_id, revision, number, project_id";
const INSERT_COLUMNS: &str = "id, org_id, title, file_name, content_type, size_bytes, sha256, \
    blob_key, created_by, created_at, family_id, revision, number, project_id";

pub async fn insert<'e, E>(db: E, row: &DocumentRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO documents ({INSERT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.title)
    .bind(&row.file_name)
    .bind(&row.content_type)
    .bind(row.size_bytes)
    .bind(&row.sha256)
    .bind(&row.blob_key)
    .bind(&row.created_by)
    .bind(row.created_at)
    .bind(&row.family_id)
    .bind(row.revision)
    .bind(&row.number)
    .bind(&row.project_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<DocumentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The register: the current (highest) revision of each document family, newest first,
/// at most `limit`.
pub async fn current<'e, E>(db: E, org_id: &str, limit: i64) -> Result<Vec<DocumentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents d WHERE org_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM documents n WHERE n.org_id = d.org_id \
          AND n.family_id = COALESCE(d.family_id, d.id) AND n.revision > d.revision) \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(org_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Every revision of a family, newest first.
pub async fn revisions<'e, E>(db: E, org_id: &str, family_id: &str) -> Result<Vec<DocumentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents WHERE org_id = $1 AND family_id = $2 \
         ORDER BY revision DESC"
    ))
    .bind(org_id)
    .bind(family_id)
    .fetch_all(db)
    .await?)
}

/// The highest revision of each of the organisation's families among `family_ids`
/// (family, revision).
pub async fn latest_revisions<'e, E>(
    db: E,
    org_id: &str,
    family_ids: &[&str],
) -> Result<Vec<(String, i64)>>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    super::sql::for_ids(
        db,
        org_id,
        family_ids,
        "SELECT family_id, MAX(revision) FROM documents \
         WHERE org_id = $1 AND family_id IN ({ids}) GROUP BY family_id",
    )
    .await
}

/// The newest documents whose title contains `text` (case-insensitive for ASCII letters).
pub async fn find<'e, E>(db: E, org_id: &str, text: &str, limit: i64) -> Result<Vec<DocumentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents WHERE org_id = $1 AND LOWER(title) LIKE $2 ESCAPE '\\' \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(org_id)
    .bind(format!("%{escaped}%"))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The titles of the organisation's documents among `ids` (id, title); unknown ids are left
/// out.
pub async fn titles<'e, E>(db: E, org_id: &str, ids: &[&str]) -> Result<Vec<(String, String)>>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    super::sql::for_ids(
        db,
        org_id,
        ids,
        "SELECT id, title FROM documents WHERE org_id = $1 AND id IN ({ids})",
    )
    .await
}

/// The blob of the most recently uploaded document (ids are time-ordered) of the whole
/// installation, if any: a start-up check that a node's blob store is the one its database
/// was filled from (the one query here that spans organisations; it returns a storage key,
/// nothing of the content).
pub async fn newest_blob_key(pool: &sqlx::AnyPool) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT blob_key FROM documents WHERE blob_key <> '' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?)
}

/// Does a committed row (a document or a response attachment) refer to this blob?
pub async fn blob_referenced<'e, E>(db: E, blob_key: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM documents WHERE blob_key = $1) \
              + (SELECT COUNT(*) FROM response_attachments WHERE blob_key = $1)",
    )
    .bind(blob_key)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}
