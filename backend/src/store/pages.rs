//! The protected viewer's rows: a document's page layout (or why it cannot be shown), the
//! page cache's index (the images are blobs) and the page views whose ids the marks carry.

use sqlx::Executor;

use super::Result;

/// A revision's pages as a renderer found them: `sizes` (JSON) or `failure` (JSON).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LayoutRow {
    pub sizes: Option<String>,
    pub failure: Option<String>,
}

pub async fn layout<'e, E>(db: E, org_id: &str, document_id: &str) -> Result<Option<LayoutRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT sizes, failure FROM document_pages WHERE org_id = $1 AND document_id = $2",
    )
    .bind(org_id)
    .bind(document_id)
    .fetch_optional(db)
    .await?)
}

/// Keeps the first layout learnt (two viewers opening at once find the same).
pub async fn put_layout<'e, E>(
    db: E,
    org_id: &str,
    document_id: &str,
    row: &LayoutRow,
    now: i64,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO document_pages (org_id, document_id, sizes, failure, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, document_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(document_id)
    .bind(&row.sizes)
    .bind(&row.failure)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// A cached page image.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RenderRow {
    pub org_id: String,
    pub document_id: String,
    pub page: i64,
    pub width: i64,
    pub blob_key: String,
    pub size_bytes: i64,
    pub used_at: i64,
}

const RENDER_COLUMNS: &str = "org_id, document_id, page, width, blob_key, size_bytes, used_at";

pub async fn render<'e, E>(
    db: E,
    org_id: &str,
    document_id: &str,
    page: i64,
    width: i64,
) -> Result<Option<RenderRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {RENDER_COLUMNS} FROM page_renders WHERE org_id = $1 AND document_id = $2 \
         AND page = $3 AND width = $4"
    ))
    .bind(org_id)
    .bind(document_id)
    .bind(page)
    .bind(width)
    .fetch_optional(db)
    .await?)
}

pub async fn put_render<'e, E>(db: E, r: &RenderRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO page_renders ({RENDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id, document_id, page, width) DO UPDATE SET \
         blob_key = excluded.blob_key, size_bytes = excluded.size_bytes, \
         used_at = excluded.used_at"
    ))
    .bind(&r.org_id)
    .bind(&r.document_id)
    .bind(r.page)
    .bind(r.width)
    .bind(&r.blob_key)
    .bind(r.size_bytes)
    .bind(r.used_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a cached page used now, unless it was within the last minute.
pub async fn touch_render<'e, E>(db: E, r: &RenderRow, now: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE page_renders SET used_at = $5 WHERE org_id = $1 AND document_id = $2 \
         AND page = $3 AND width = $4 AND used_at < $6",
    )
    .bind(&r.org_id)
    .bind(&r.document_id)
    .bind(r.page)
    .bind(r.width)
    .bind(now)
    .bind(now - 60_000)
    .execute(db)
    .await?;
    Ok(())
}

/// The bytes the page cache holds, all organisations together.
pub async fn cached_bytes<'e, E>(db: E) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let total: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(size_bytes) AS BIGINT) FROM page_renders")
            .fetch_one(db)
            .await?;
    Ok(total.unwrap_or(0))
}

/// The least recently used cached pages.
pub async fn oldest_renders<'e, E>(db: E, limit: i64) -> Result<Vec<RenderRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {RENDER_COLUMNS} FROM page_renders ORDER BY used_at, blob_key LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// A document family's cached pages (a purge deletes them).
pub async fn renders_of_family<'e, E>(db: E, org_id: &str, family: &str) -> Result<Vec<RenderRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {RENDER_COLUMNS} FROM page_renders WHERE org_id = $1 AND document_id IN \
         (SELECT id FROM documents WHERE org_id = $1 AND COALESCE(family_id, id) = $2)"
    ))
    .bind(org_id)
    .bind(family)
    .fetch_all(db)
    .await?)
}

pub async fn delete_render<'e, E>(db: E, r: &RenderRow) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "DELETE FROM page_renders WHERE org_id = $1 AND document_id = $2 AND page = $3 \
         AND width = $4 AND blob_key = $5",
    )
    .bind(&r.org_id)
    .bind(&r.document_id)
    .bind(r.page)
    .bind(r.width)
    .bind(&r.blob_key)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A guest's opening of a document in the viewer.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ViewRow {
    pub id: String,
    pub org_id: String,
    pub share_id: String,
    pub document_id: String,
    pub session_id: String,
    pub recipient_name: String,
    pub recipient_email: String,
    /// The line baked into its pages, its opacity (percent) and density.
    pub watermark: String,
    pub opacity: i64,
    pub density: i64,
    pub created_at: i64,
}

const VIEW_COLUMNS: &str = "id, org_id, share_id, document_id, session_id, recipient_name, \
    recipient_email, watermark, opacity, density, created_at";

pub async fn insert_view<'e, E>(db: E, v: &ViewRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO page_views ({VIEW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11)"
    ))
    .bind(&v.id)
    .bind(&v.org_id)
    .bind(&v.share_id)
    .bind(&v.document_id)
    .bind(&v.session_id)
    .bind(&v.recipient_name)
    .bind(&v.recipient_email)
    .bind(&v.watermark)
    .bind(v.opacity)
    .bind(v.density)
    .bind(v.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn view<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<ViewRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {VIEW_COLUMNS} FROM page_views WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The latest view `session_id` opened of `document_id` in `share_id` (a reload reuses it).
pub async fn session_view<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    document_id: &str,
    session_id: &str,
) -> Result<Option<ViewRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {VIEW_COLUMNS} FROM page_views WHERE org_id = $1 AND share_id = $2 \
         AND document_id = $3 AND session_id = $4 ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(org_id)
    .bind(share_id)
    .bind(document_id)
    .bind(session_id)
    .fetch_optional(db)
    .await?)
}
