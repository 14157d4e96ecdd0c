//! Portals' custom domains (the `portal_domains` migration). `domain` is canonical and
//! unique across the installation: one name, one portal of one organisation.

use serde::Serialize;
use sqlx::Executor;

use super::Result;

/// Where a domain stands. Only `Verified` domains are served (and get certificates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// Added; its TXT record has not been seen yet.
    Pending,
    /// The TXT record was seen (at `verified_at`, last at `checked_at`).
    Verified,
    /// The record disappeared at a daily check; verifying again restores it.
    Suspended,
}

impl DomainStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Pending => "pending",
            DomainStatus::Verified => "verified",
            DomainStatus::Suspended => "suspended",
        }
    }
}

impl TryFrom<String> for DomainStatus {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        match s.as_str() {
            "pending" => Ok(DomainStatus::Pending),
            "verified" => Ok(DomainStatus::Verified),
            "suspended" => Ok(DomainStatus::Suspended),
            _ => Err(format!("unknown domain status {s:?}")),
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DomainRow {
    pub id: String,
    pub org_id: String,
    pub portal_id: String,
    pub domain: String,
    /// The TXT value to publish (public by nature: it is in DNS).
    pub challenge: String,
    #[sqlx(try_from = "String")]
    pub status: DomainStatus,
    pub created_by: String,
    pub created_at: i64,
    pub verified_at: Option<i64>,
    pub checked_at: Option<i64>,
    pub suspended_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, portal_id, domain, challenge, status, created_by, created_at, \
    verified_at, checked_at, suspended_at";

pub async fn insert<'e, E>(db: E, d: &DomainRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO portal_domains (id, org_id, portal_id, domain, challenge, status, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&d.id)
    .bind(&d.org_id)
    .bind(&d.portal_id)
    .bind(&d.domain)
    .bind(&d.challenge)
    .bind(d.status.as_str())
    .bind(&d.created_by)
    .bind(d.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The organisation's domains, by portal then name.
pub async fn list<'e, E>(db: E, org_id: &str) -> Result<Vec<DomainRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM portal_domains WHERE org_id = $1 ORDER BY portal_id, domain"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<DomainRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM portal_domains WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// A domain by its canonical name, whatever its organisation (Host routing, the TLS `ask`).
pub async fn by_name<'e, E>(db: E, domain: &str) -> Result<Option<DomainRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM portal_domains WHERE domain = $1"
    ))
    .bind(domain)
    .fetch_optional(db)
    .await?)
}

/// Records a check's outcome: `status`, with `verified_at` set on a (re)verification and
/// `suspended_at` on a suspension.
pub async fn set_status<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    status: DomainStatus,
    now_ms: i64,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE portal_domains SET status = $3, checked_at = $4, \
         verified_at = CASE WHEN $3 = 'verified' AND status <> 'verified' THEN $4 ELSE verified_at END, \
         suspended_at = CASE WHEN $3 = 'suspended' THEN $4 WHEN $3 = 'verified' THEN NULL ELSE suspended_at END \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(status.as_str())
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete<'e, E>(db: E, org_id: &str, id: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("DELETE FROM portal_domains WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Verified domains last checked before `before_ms` (the daily re-check), oldest first.
pub async fn due_for_check<'e, E>(db: E, before_ms: i64, limit: i64) -> Result<Vec<DomainRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM portal_domains WHERE status = 'verified' \
         AND COALESCE(checked_at, 0) < $1 ORDER BY checked_at, id LIMIT $2"
    ))
    .bind(before_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
