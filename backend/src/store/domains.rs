//! Portals' custom domains (the `portal_domains` and `domain_checks` migrations). `domain`
//! is canonical; it is unique among verified rows across the installation (one served
//! name, one portal of one organisation) and once per organisation whatever its status.

use serde::Serialize;
use sqlx::Executor;

use super::Result;

/// Where a domain stands. Only `Verified` domains are served (and get certificates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

/// Why a verified domain was suspended (in its audit entry and the administrators' mail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuspendReason {
    /// The TXT record no longer holds the challenge.
    RecordMissing,
    /// DNS has not answered the re-check for a week.
    LookupsFailing,
}

impl SuspendReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuspendReason::RecordMissing => "txt_record_missing",
            SuspendReason::LookupsFailing => "dns_lookups_failing",
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
    /// When the next re-check of a verified domain is due (`None` otherwise).
    pub next_check_at: Option<i64>,
    /// The first of the consecutive re-check lookups that could not answer.
    pub failing_since: Option<i64>,
}

const COLUMNS: &str = "id, org_id, portal_id, domain, challenge, status, created_by, created_at, \
    verified_at, checked_at, suspended_at, next_check_at, failing_since";

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

/// The verified domain of that canonical name, whatever its organisation (Host routing,
/// the TLS `ask`): at most one, by the `portal_domains_served` unique index.
pub async fn verified_by_name<'e, E>(db: E, domain: &str) -> Result<Option<DomainRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM portal_domains WHERE domain = $1 AND status = 'verified'"
    ))
    .bind(domain)
    .fetch_optional(db)
    .await?)
}

/// The domain a portal's links are made on: its earliest verified domain, if any.
pub async fn served_for_portal<'e, E>(
    db: E,
    org_id: &str,
    portal_id: &str,
) -> Result<Option<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT domain FROM portal_domains WHERE org_id = $1 AND portal_id = $2 \
         AND status = 'verified' ORDER BY verified_at, domain LIMIT 1",
    )
    .bind(org_id)
    .bind(portal_id)
    .fetch_optional(db)
    .await?)
}

/// Marks a domain verified now (from pending, suspended or verified): its next check is
/// due at `next_check_at`. `false` when no such domain exists (removed meanwhile). Fails
/// with a unique violation when another organisation's row holds the name verified.
pub async fn mark_verified<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    now_ms: i64,
    next_check_at: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE portal_domains SET status = 'verified', checked_at = $3, next_check_at = $4, \
         failing_since = NULL, suspended_at = NULL, \
         verified_at = CASE WHEN status = 'verified' THEN verified_at ELSE $3 END \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .bind(next_check_at)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Claims a verified domain's due re-check for this node: moves `next_check_at` from the
/// value it was read with (`seen`) to `until`. `false` when another node claimed it first,
/// or the domain changed meanwhile — the caller then leaves it alone.
pub async fn claim_check<'e, E>(db: E, id: &str, seen: Option<i64>, until: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE portal_domains SET next_check_at = $3 \
         WHERE id = $1 AND status = 'verified' AND COALESCE(next_check_at, 0) = $2",
    )
    .bind(id)
    .bind(seen.unwrap_or(0))
    .bind(until)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Records a re-check of a verified domain that did not suspend it: looked up at `now_ms`,
/// next due at `next_check_at`; `failing_since` is the first of the consecutive lookups
/// that could not answer (`None` after one that did).
pub async fn record_check<'e, E>(
    db: E,
    id: &str,
    now_ms: i64,
    next_check_at: i64,
    failing_since: Option<i64>,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE portal_domains SET checked_at = $2, next_check_at = $3, failing_since = $4 \
         WHERE id = $1 AND status = 'verified'",
    )
    .bind(id)
    .bind(now_ms)
    .bind(next_check_at)
    .bind(failing_since)
    .execute(db)
    .await?;
    Ok(())
}

/// Suspends a verified domain. `false` when it was not verified any more (another node
/// suspended it, or an administrator removed or re-verified it): only the caller that gets
/// `true` audits and mails.
pub async fn suspend<'e, E>(db: E, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE portal_domains SET status = 'suspended', suspended_at = $2, checked_at = $2, \
         next_check_at = NULL, failing_since = NULL WHERE id = $1 AND status = 'verified'",
    )
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// How many domains (of any status) an organisation has.
pub async fn count_for_org<'e, E>(db: E, org_id: &str) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM portal_domains WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(db)
            .await?,
    )
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

/// Verified domains whose re-check is due at `now_ms`, most overdue first.
pub async fn due_for_check<'e, E>(db: E, now_ms: i64, limit: i64) -> Result<Vec<DomainRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM portal_domains WHERE status = 'verified' \
         AND COALESCE(next_check_at, 0) <= $1 ORDER BY next_check_at, id LIMIT $2"
    ))
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
