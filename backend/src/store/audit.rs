//! The audit trail. Rows are only ever inserted, in the same transaction as the change
//! they record.

use sqlx::Executor;

use super::sql::Sql;
use super::{Result, StoreError};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub org_id: String,
    pub occurred_at: i64,
    pub event_type: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub credential: String,
    pub share_id: Option<String>,
    pub item_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// JSON object.
    pub details: String,
}

const COLUMNS: &str = "id, org_id, occurred_at, event_type, actor_type, actor_id, actor_name, \
    credential, share_id, item_id, ip, user_agent, details";

pub async fn insert<'e, E>(db: E, r: &AuditRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO audit_events ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(r.occurred_at)
    .bind(&r.event_type)
    .bind(&r.actor_type)
    .bind(&r.actor_id)
    .bind(&r.actor_name)
    .bind(&r.credential)
    .bind(&r.share_id)
    .bind(&r.item_id)
    .bind(&r.ip)
    .bind(&r.user_agent)
    .bind(&r.details)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub share_id: Option<String>,
    pub event_type: Option<String>,
    /// Newest first; events strictly older than this (occurred_at, id) position.
    pub before: Option<(i64, String)>,
    pub limit: i64,
}

pub async fn list<'e, E>(db: E, org_id: &str, q: &AuditQuery) -> Result<Vec<AuditRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let mut sql = Sql::default();
    let org = sql.text_arg(org_id);
    sql.push(&format!(
        "SELECT {COLUMNS} FROM audit_events WHERE org_id = {org}"
    ));
    if let Some(share) = &q.share_id {
        let p = sql.text_arg(share);
        sql.push(&format!(" AND share_id = {p}"));
    }
    if let Some(kind) = &q.event_type {
        let p = sql.text_arg(kind);
        sql.push(&format!(" AND event_type = {p}"));
    }
    if let Some((at, id)) = &q.before {
        let a = sql.int_arg(*at);
        let i = sql.text_arg(id);
        sql.push(&format!(" AND (occurred_at, id) < ({a}, {i})"));
    }
    let limit = sql.int_arg(q.limit);
    sql.push(&format!(
        " ORDER BY occurred_at DESC, id DESC LIMIT {limit}"
    ));
    sql.query_as().fetch_all(db).await.map_err(StoreError::from)
}
