//! Renewal requests: a guest asks for more time on an expired or used-up share; staff
//! approve or decline. At most one open request per share (a partial unique index).

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RenewalRow {
    pub id: String,
    pub org_id: String,
    pub share_id: String,
    pub reason: String,
    /// `open`, `approved` or `declined` ([`crate::domain::RenewalStatus`]).
    pub status: String,
    pub requested_at: i64,
    pub requested_ip: Option<String>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub decision_note: String,
}

/// A request with what the console lists beside it: the share's recipient, document and
/// owner, and the name of whoever decided.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RenewalListRow {
    #[sqlx(flatten)]
    pub request: RenewalRow,
    pub recipient_name: String,
    pub recipient_email: String,
    pub document_title: String,
    pub share_created_by: String,
    pub owner_name: String,
    pub decided_by_name: Option<String>,
}

const COLUMNS: &str = "r.id, r.org_id, r.share_id, r.reason, r.status, r.requested_at, \
    r.requested_ip, r.decided_at, r.decided_by, r.decision_note";

/// Adds an open request, unless the share has been revoked meanwhile (`false`). A unique
/// violation means the share already has one open.
pub async fn insert<'e, E>(db: E, row: &RenewalRow) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "INSERT INTO renewal_requests (id, org_id, share_id, reason, status, requested_at, \
         requested_ip, decision_note) SELECT $1, $2, $3, $4, 'open', $5, $6, '' \
         WHERE EXISTS (SELECT 1 FROM shares s WHERE s.org_id = $2 AND s.id = $3 \
         AND s.revoked_at IS NULL)",
    )
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.share_id)
    .bind(&row.reason)
    .bind(row.requested_at)
    .bind(&row.requested_ip)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many requests a share has had, decided or not.
pub async fn count_for_share<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM renewal_requests WHERE org_id = $1 AND share_id = $2",
    )
    .bind(org_id)
    .bind(share_id)
    .fetch_one(db)
    .await?)
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<RenewalRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM renewal_requests r WHERE r.org_id = $1 AND r.id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Decides an open request. `false`: it was not open (decided meanwhile).
pub async fn decide<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    status: &str,
    by: &str,
    note: &str,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE renewal_requests SET status = $3, decided_by = $4, decision_note = $5, \
         decided_at = $6 WHERE org_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(org_id)
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(note)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes a share's open request without a staff decision (the share was revoked, or
/// changed so that it opens again). Returns how many were closed (0 or 1).
pub async fn close_open_for_share<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    status: &str,
    note: &str,
    now_ms: i64,
) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE renewal_requests SET status = $3, decision_note = $4, decided_at = $5 \
         WHERE org_id = $1 AND share_id = $2 AND status = 'open'",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(status)
    .bind(note)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

const LIST_FROM: &str = "FROM renewal_requests r \
    JOIN shares s ON s.id = r.share_id AND s.org_id = r.org_id \
    LEFT JOIN documents d ON d.id = s.document_id AND d.org_id = s.org_id \
    LEFT JOIN records rc ON rc.id = s.record_id AND rc.org_id = s.org_id \
    JOIN users o ON o.id = s.created_by AND o.org_id = s.org_id \
    LEFT JOIN users decider ON decider.id = r.decided_by AND decider.org_id = r.org_id";

fn list_select() -> String {
    format!(
        "SELECT {COLUMNS}, s.recipient_name, s.recipient_email, COALESCE(d.title, rc.title) AS document_title, \
         s.created_by AS share_created_by, o.display_name AS owner_name, \
         decider.display_name AS decided_by_name {LIST_FROM}"
    )
}

/// The organisation's requests, open first (oldest first, so none waits forever), then the
/// `decided_limit` most recently decided.
pub async fn list<'e, E>(db: E, org_id: &str, decided_limit: i64) -> Result<Vec<RenewalListRow>>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    let select = list_select();
    let mut rows: Vec<RenewalListRow> = sqlx::query_as(&format!(
        "{select} WHERE r.org_id = $1 AND r.status = 'open' ORDER BY r.requested_at, r.id"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?;
    let decided: Vec<RenewalListRow> = sqlx::query_as(&format!(
        "{select} WHERE r.org_id = $1 AND r.status <> 'open' \
         ORDER BY r.decided_at DESC, r.id LIMIT $2"
    ))
    .bind(org_id)
    .bind(decided_limit)
    .fetch_all(db)
    .await?;
    rows.extend(decided);
    Ok(rows)
}

/// A share's requests: the open one first, then the rest newest first.
pub async fn for_share<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<Vec<RenewalListRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "{} WHERE r.org_id = $1 AND r.share_id = $2 \
         ORDER BY CASE WHEN r.status = 'open' THEN 0 ELSE 1 END, r.requested_at DESC, r.id",
        list_select()
    ))
    .bind(org_id)
    .bind(share_id)
    .fetch_all(db)
    .await?)
}

/// Open requests of the organisation; `owner`: only those on shares this user made.
pub async fn count_open<'e, E>(db: E, org_id: &str, owner: Option<&str>) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM renewal_requests r \
         JOIN shares s ON s.id = r.share_id AND s.org_id = r.org_id WHERE r.org_id = $1 AND r.status = 'open' AND ($2 = '' OR s.created_by = $2)",
    )
    .bind(org_id)
    .bind(owner.unwrap_or(""))
    .fetch_one(db)
    .await?)
}
