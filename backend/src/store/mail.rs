//! The mail outbox (see the `mail_outbox` migration and `crate::mail`).

use sqlx::Executor;

use super::Result;

/// Where a queued mail stands; stored as text in `mail_outbox.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// Accepted by the SMTP server; its body is erased.
    Sent,
    /// No SMTP server configured: kept for administrators to read in the console.
    Local,
    /// Given up after the last retry.
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Local => "local",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(MailStatus::Pending),
            "sent" => Some(MailStatus::Sent),
            "local" => Some(MailStatus::Local),
            "failed" => Some(MailStatus::Failed),
            _ => None,
        }
    }
}

impl TryFrom<String> for MailStatus {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown mail status {s:?}"))
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MailRow {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub share_id: Option<String>,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    /// Sealed JSON `{text, html}`; `None` once delivered.
    pub body_sealed: Option<Vec<u8>>,
    pub message_id: String,
    #[sqlx(try_from = "String")]
    pub status: MailStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, kind, share_id, to_address, to_name, subject, body_sealed, \
    message_id, status, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at";

pub async fn insert<'e, E>(db: E, m: &MailRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO mail_outbox ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&m.id)
    .bind(&m.org_id)
    .bind(&m.kind)
    .bind(&m.share_id)
    .bind(&m.to_address)
    .bind(&m.to_name)
    .bind(&m.subject)
    .bind(&m.body_sealed)
    .bind(&m.message_id)
    .bind(m.status.as_str())
    .bind(m.attempts)
    .bind(m.next_attempt_at)
    .bind(m.locked_until)
    .bind(&m.last_error)
    .bind(m.created_at)
    .bind(m.sent_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Ids of pending mail due at `now_ms` and not leased by a worker.
pub async fn due<'e, E>(db: E, now_ms: i64, limit: i64) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND (locked_until IS NULL OR locked_until < $1) ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Leases one due mail to this worker until `lease_until_ms`, counting the attempt. Only one
/// worker (on any node) can win a given lease; the winner gets the row.
pub async fn claim<'e, E>(
    db: E,
    id: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> Result<Option<MailRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "UPDATE mail_outbox SET locked_until = $3, attempts = attempts + 1 \
         WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $2 \
         AND (locked_until IS NULL OR locked_until < $2) RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(now_ms)
    .bind(lease_until_ms)
    .fetch_optional(db)
    .await?)
}

/// Delivered ([`MailStatus::Sent`]) or kept in the local outbox ([`MailStatus::Local`]).
/// A sent body is erased.
pub async fn mark_done<'e, E>(db: E, id: &str, status: MailStatus, now_ms: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE mail_outbox SET status = $2, sent_at = $3, locked_until = NULL, last_error = NULL, \
         body_sealed = CASE WHEN $2 = 'sent' THEN NULL ELSE body_sealed END WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// A failed attempt: try again at `next_ms`, or give up (`failed`) when `give_up`.
pub async fn mark_retry<'e, E>(
    db: E,
    id: &str,
    error: &str,
    next_ms: i64,
    give_up: bool,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE mail_outbox SET status = $4, last_error = $2, next_attempt_at = $3, \
         locked_until = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(next_ms)
    .bind(
        if give_up {
            MailStatus::Failed
        } else {
            MailStatus::Pending
        }
        .as_str(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An organisation's mail, newest first.
pub async fn list<'e, E>(db: E, org_id: &str, limit: i64) -> Result<Vec<MailRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(org_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<MailRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}
