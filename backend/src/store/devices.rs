//! Browsers bound to a share (see the `share_controls` migration).

use sqlx::Executor;

use super::Result;
use crate::domain::DeviceStatus;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub org_id: String,
    pub share_id: String,
    pub device_hash: String,
    #[sqlx(try_from = "String")]
    pub status: DeviceStatus,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    /// When this browser last proved the share's secrets (`None`: before it was recorded;
    /// read as `first_seen_at`).
    pub proven_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, share_id, device_hash, status, first_seen_at, last_seen_at, \
    ip, user_agent, decided_by, decided_at, proven_at";

pub async fn find<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    device_hash: &str,
) -> Result<Option<DeviceRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM share_devices WHERE org_id = $1 AND share_id = $2 AND device_hash = $3"
    ))
    .bind(org_id)
    .bind(share_id)
    .bind(device_hash)
    .fetch_optional(db)
    .await?)
}

/// How many browsers the share has approved so far.
pub async fn approved_count<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM share_devices WHERE org_id = $1 AND share_id = $2 AND status = 'approved'",
    )
    .bind(org_id)
    .bind(share_id)
    .fetch_one(db)
    .await?)
}

/// Binds a browser, or refreshes `last_seen_at` if it is already bound (status unchanged).
pub async fn upsert<'e, E>(db: E, d: &DeviceRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO share_devices (id, org_id, share_id, device_hash, status, first_seen_at, \
         last_seen_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) \
         ON CONFLICT (share_id, device_hash) DO UPDATE SET last_seen_at = $6, ip = $7, \
         user_agent = $8",
    )
    .bind(&d.id)
    .bind(&d.org_id)
    .bind(&d.share_id)
    .bind(&d.device_hash)
    .bind(d.status.as_str())
    .bind(d.first_seen_at)
    .bind(&d.ip)
    .bind(&d.user_agent)
    .execute(db)
    .await?;
    Ok(())
}

/// Records that the browser proved the share's secrets at `now_ms`.
pub async fn mark_proven<'e, E>(db: E, share_id: &str, device_hash: &str, now_ms: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE share_devices SET proven_at = $3 WHERE share_id = $1 AND device_hash = $2")
        .bind(share_id)
        .bind(device_hash)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}

/// Approves or rejects a pending browser. Returns whether a row changed.
pub async fn decide<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    id: &str,
    status: DeviceStatus,
    by_user: &str,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE share_devices SET status = $4, decided_by = $5, decided_at = $6 \
         WHERE org_id = $1 AND share_id = $2 AND id = $3 AND status <> $4",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(id)
    .bind(status.as_str())
    .bind(by_user)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list<'e, E>(db: E, org_id: &str, share_id: &str) -> Result<Vec<DeviceRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM share_devices WHERE org_id = $1 AND share_id = $2 \
         ORDER BY first_seen_at"
    ))
    .bind(org_id)
    .bind(share_id)
    .fetch_all(db)
    .await?)
}
