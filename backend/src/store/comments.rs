//! Comments on shared documents, their threads' audiences and each document's change
//! counter (see the migration `20261210000025_collaboration.sql` for the model).

use sqlx::Executor;

use super::{Result, StoreError, Tx};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CommentRow {
    pub id: String,
    pub org_id: String,
    pub document_id: String,
    /// The root comment's id (a root's own id).
    pub thread_id: String,
    /// The page a root is anchored to (1-based).
    pub page: Option<i64>,
    /// `staff` or `guest`.
    pub author_kind: String,
    pub author_user: Option<String>,
    pub author_share: Option<String>,
    pub author_session: Option<String>,
    pub author_name: String,
    pub author_email: String,
    /// The author's organisation as shown beside their name.
    pub author_org: String,
    /// Empty once deleted.
    pub body: String,
    pub rev: i64,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// `author` or `moderator`.
    pub deleted_by: Option<String>,
    /// How often its author changed it.
    pub edits: i64,
}

const COLUMNS: &str = "id, org_id, document_id, thread_id, page, author_kind, author_user, \
    author_share, author_session, author_name, author_email, author_org, body, rev, created_at, \
    edited_at, deleted_at, deleted_by, edits";

/// Takes the next change number of `document_id`'s comments. Called first in every writing
/// transaction: the row lock it takes serialises the document's writers until commit, so
/// change numbers become visible in order.
pub async fn next_rev(tx: &mut Tx, org_id: &str, document_id: &str) -> Result<i64> {
    const BUMP: &str = "UPDATE comment_counters SET rev = rev + 1 \
        WHERE org_id = $1 AND document_id = $2 RETURNING rev";
    let bumped = sqlx::query_scalar::<_, i64>(BUMP)
        .bind(org_id)
        .bind(document_id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(rev) = bumped {
        return Ok(rev);
    }
    sqlx::query(
        "INSERT INTO comment_counters (org_id, document_id, rev) VALUES ($1, $2, 0) \
         ON CONFLICT (org_id, document_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(document_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar::<_, i64>(BUMP)
        .bind(org_id)
        .bind(document_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no comment counter for {document_id}")))
}

pub async fn insert(tx: &mut Tx, c: &CommentRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO comments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19)"
    ))
    .bind(&c.id)
    .bind(&c.org_id)
    .bind(&c.document_id)
    .bind(&c.thread_id)
    .bind(c.page)
    .bind(&c.author_kind)
    .bind(&c.author_user)
    .bind(&c.author_share)
    .bind(&c.author_session)
    .bind(&c.author_name)
    .bind(&c.author_email)
    .bind(&c.author_org)
    .bind(&c.body)
    .bind(c.rev)
    .bind(c.created_at)
    .bind(c.edited_at)
    .bind(c.deleted_at)
    .bind(&c.deleted_by)
    .bind(c.edits)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Names the shares that may read the thread `thread_id` (once, when it starts).
pub async fn add_audience(
    tx: &mut Tx,
    org_id: &str,
    thread_id: &str,
    share_id: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO comment_audiences (org_id, thread_id, share_id) VALUES ($1, $2, $3)")
        .bind(org_id)
        .bind(thread_id)
        .bind(share_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<CommentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM comments WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Sets a comment's text; false when it was deleted meanwhile or has been changed
/// `max_edits` times already.
pub async fn set_body(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
    body: &str,
    rev: i64,
    at: i64,
    max_edits: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE comments SET body = $3, rev = $4, edited_at = $5, edits = edits + 1 \
         WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL AND edits < $6",
    )
    .bind(org_id)
    .bind(id)
    .bind(body)
    .bind(rev)
    .bind(at)
    .bind(max_edits)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a comment (clears its text, keeps the row); false when it already was.
pub async fn mark_deleted(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
    by: &str,
    rev: i64,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE comments SET body = '', rev = $4, deleted_at = $5, deleted_by = $3 \
         WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(org_id)
    .bind(id)
    .bind(by)
    .bind(rev)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The shares that may read each of `thread_ids` (pairs of thread and share).
pub async fn audiences<'e, E>(
    db: E,
    org_id: &str,
    thread_ids: &[String],
) -> Result<Vec<(String, String)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    if thread_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        super::Sql::new("SELECT thread_id, share_id FROM comment_audiences WHERE org_id = ");
    let org = sql.text_arg(org_id);
    sql.push(&org).push(" AND thread_id IN (");
    for (i, t) in thread_ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let p = sql.text_arg(t.clone());
        sql.push(&p);
    }
    sql.push(") ORDER BY thread_id, share_id");
    Ok(sql.query_as().fetch_all(db).await?)
}

/// Changes to `document_id`'s comments after change `after`, in order: all of them (staff),
/// or, with `share_id`, those of threads that share may read. At most `limit`.
pub async fn changed_since<'e, E>(
    db: E,
    org_id: &str,
    document_id: &str,
    share_id: Option<&str>,
    after: i64,
    limit: i64,
) -> Result<Vec<CommentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = match share_id {
        Some(share_id) => {
            let sql = format!(
                "SELECT {columns} FROM comments c JOIN comment_audiences a \
                   ON a.org_id = c.org_id AND a.thread_id = c.thread_id AND a.share_id = $5 \
                 WHERE c.org_id = $1 AND c.document_id = $2 AND c.rev > $3 ORDER BY c.rev LIMIT $4"
            );
            sqlx::query_as(&sql)
                .bind(org_id)
                .bind(document_id)
                .bind(after)
                .bind(limit)
                .bind(share_id)
                .fetch_all(db)
                .await?
        }
        None => {
            let sql = format!(
                "SELECT {columns} FROM comments c \
                 WHERE c.org_id = $1 AND c.document_id = $2 AND c.rev > $3 ORDER BY c.rev LIMIT $4"
            );
            sqlx::query_as(&sql)
                .bind(org_id)
                .bind(document_id)
                .bind(after)
                .bind(limit)
                .fetch_all(db)
                .await?
        }
    };
    Ok(rows)
}

/// How many comments the guests of `share_id` wrote on `document_id` (deleted ones count:
/// the cap is on what was written).
pub async fn count_by_share<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    document_id: &str,
) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM comments WHERE org_id = $1 AND author_share = $2 AND document_id = $3",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(document_id)
    .fetch_one(db)
    .await?)
}

/// Guest comments written through `share_id` that no digest has counted yet and that are
/// not deleted, oldest first; at most `limit`.
pub async fn undigested<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    limit: i64,
) -> Result<Vec<CommentRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM comments WHERE org_id = $1 AND author_share = $2 \
         AND author_kind = 'guest' AND in_digest = 0 AND deleted_at IS NULL \
         ORDER BY created_at, id LIMIT $3"
    ))
    .bind(org_id)
    .bind(share_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Marks the guest comments of `share_id` as counted in a digest: all those not yet
/// counted (deleted ones too, which the digest leaves out), so each is counted once.
pub async fn mark_digested(tx: &mut Tx, org_id: &str, share_id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE comments SET in_digest = 1 WHERE org_id = $1 AND author_share = $2 \
         AND author_kind = 'guest' AND in_digest = 0",
    )
    .bind(org_id)
    .bind(share_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes the owner's digest of `share_id` due at `due`, unless one is already pending.
pub async fn schedule_digest(tx: &mut Tx, org_id: &str, share_id: &str, due: i64) -> Result<()> {
    sqlx::query(
        "UPDATE shares SET comment_digest_due = $3 \
         WHERE org_id = $1 AND id = $2 AND comment_digest_due IS NULL",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(due)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// When `share_id`'s last digest went out, if ever.
pub async fn digest_sent_at<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<Option<i64>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT comment_digest_sent_at FROM shares WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(share_id)
    .fetch_optional(db)
    .await?
    .flatten())
}

/// A pending digest: its share and when it fell due.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueDigest {
    pub org_id: String,
    pub share_id: String,
    pub due: i64,
    pub sent_at: Option<i64>,
}

/// Digests due by `now`, at most `limit`.
pub async fn due_digests<'e, E>(db: E, now: i64, limit: i64) -> Result<Vec<DueDigest>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT org_id, id AS share_id, comment_digest_due AS due, \
         comment_digest_sent_at AS sent_at FROM shares \
         WHERE comment_digest_due IS NOT NULL AND comment_digest_due <= $1 \
         ORDER BY comment_digest_due LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Claims a due digest for sending: false when another node already did (the due time no
/// longer matches).
pub async fn claim_digest(tx: &mut Tx, d: &DueDigest, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE shares SET comment_digest_due = NULL, comment_digest_sent_at = $4 \
         WHERE org_id = $1 AND id = $2 AND comment_digest_due = $3",
    )
    .bind(&d.org_id)
    .bind(&d.share_id)
    .bind(d.due)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
