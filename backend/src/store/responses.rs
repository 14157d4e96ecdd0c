//! Guest responses and their attachments.

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ResponseRow {
    pub id: String,
    pub org_id: String,
    pub share_id: String,
    pub decision: String,
    pub comment: String,
    pub portal_session: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: String,
    pub org_id: String,
    pub response_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: i64,
}

pub async fn insert<'e, E>(db: E, r: &ResponseRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO share_responses (id, org_id, share_id, decision, comment, portal_session, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.share_id)
    .bind(&r.decision)
    .bind(&r.comment)
    .bind(&r.portal_session)
    .bind(r.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn insert_attachment<'e, E>(db: E, a: &AttachmentRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO response_attachments (id, org_id, response_id, file_name, content_type, \
         size_bytes, sha256, blob_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&a.id)
    .bind(&a.org_id)
    .bind(&a.response_id)
    .bind(&a.file_name)
    .bind(&a.content_type)
    .bind(a.size_bytes)
    .bind(&a.sha256)
    .bind(&a.blob_key)
    .bind(a.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// A share's responses, newest first.
pub async fn for_share<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<Vec<ResponseRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, share_id, decision, comment, portal_session, created_at \
         FROM share_responses WHERE org_id = $1 AND share_id = $2 ORDER BY created_at DESC, id DESC",
    )
    .bind(org_id)
    .bind(share_id)
    .fetch_all(db)
    .await?)
}

pub async fn attachments<'e, E>(
    db: E,
    org_id: &str,
    response_id: &str,
) -> Result<Vec<AttachmentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, response_id, file_name, content_type, size_bytes, sha256, blob_key, \
         created_at FROM response_attachments WHERE org_id = $1 AND response_id = $2 ORDER BY file_name",
    )
    .bind(org_id)
    .bind(response_id)
    .fetch_all(db)
    .await?)
}

/// One attachment of a response to the share `share_id` (None if it is not one of its).
pub async fn attachment<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    id: &str,
) -> Result<Option<AttachmentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT a.id, a.org_id, a.response_id, a.file_name, a.content_type, a.size_bytes, \
         a.sha256, a.blob_key, a.created_at FROM response_attachments a \
         JOIN share_responses r ON r.org_id = a.org_id AND r.id = a.response_id \
         WHERE a.org_id = $1 AND r.share_id = $2 AND a.id = $3",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Takes one of the share's response slots: true unless it already has `max` responses.
/// Atomic (a conditional UPDATE of the share's counter), so concurrent submissions cannot
/// overshoot the cap.
pub async fn take_slot<'e, E>(db: E, org_id: &str, share_id: &str, max: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE shares SET response_count = response_count + 1 \
         WHERE org_id = $1 AND id = $2 AND response_count < $3",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(max)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many responses the share has received (its counter).
pub async fn taken_slots<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT response_count FROM shares WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(share_id)
            .fetch_optional(db)
            .await?
            .unwrap_or(0),
    )
}
