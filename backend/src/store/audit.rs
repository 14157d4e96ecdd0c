//! The audit trail. Rows are only ever inserted, in the same transaction as the change
//! they record, and each organisation's rows form a hash chain (see `audit::chain`).

use futures::stream::BoxStream;
use futures::StreamExt;
use sqlx::Executor;

use super::sql::Sql;
use super::{Result, StoreError, Tx};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub org_id: String,
    /// Position in the organisation's chain, from 1. `None` only for events written before
    /// the chain existed and not yet chained at start.
    pub seq: Option<i64>,
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
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

const COLUMNS: &str = "id, org_id, seq, occurred_at, event_type, actor_type, actor_id, \
    actor_name, credential, share_id, item_id, ip, user_agent, details, prev_hash, hash";

/// Takes the next `n` positions in `org_id`'s chain; returns the first and the hash of the
/// event before it. Same locking as [`advance_head`].
pub async fn advance_head_by(
    tx: &mut Tx,
    org_id: &str,
    n: i64,
    genesis: &str,
) -> Result<(i64, String)> {
    const ADVANCE: &str =
        "UPDATE audit_heads SET seq = seq + $2 WHERE org_id = $1 RETURNING seq, hash";
    let head = sqlx::query_as::<_, (i64, String)>(ADVANCE)
        .bind(org_id)
        .bind(n)
        .fetch_optional(&mut **tx)
        .await?;
    let (last, prev) = match head {
        Some(h) => h,
        None => {
            sqlx::query(
                "INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2) \
                 ON CONFLICT (org_id) DO NOTHING",
            )
            .bind(org_id)
            .bind(genesis)
            .execute(&mut **tx)
            .await?;
            sqlx::query_as::<_, (i64, String)>(ADVANCE)
                .bind(org_id)
                .bind(n)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("no audit head for organisation {org_id}"))
                })?
        }
    };
    Ok((last - n + 1, prev))
}

/// Inserts chained rows in multi-row statements.
pub async fn insert_many(tx: &mut Tx, rows: &[AuditRow]) -> Result<()> {
    const PER_STATEMENT: usize = 200; // 16 columns each: well under every engine's bind limit
    for chunk in rows.chunks(PER_STATEMENT) {
        let mut sql = format!("INSERT INTO audit_events ({COLUMNS}) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 16;
            sql.push('(');
            sql.push_str(
                &(1..=16)
                    .map(|k| format!("${}", b + k))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.org_id)
                .bind(r.seq)
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
                .bind(&r.prev_hash)
                .bind(&r.hash);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Takes the next position in `org_id`'s chain and returns it with the hash of the event
/// before it. The head row stays locked until `tx` ends, so appends for one organisation
/// are serialised and the chain cannot fork. The caller must [`set_head_hash`] before commit.
pub async fn advance_head(tx: &mut Tx, org_id: &str, genesis: &str) -> Result<(i64, String)> {
    const ADVANCE: &str =
        "UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash";
    if let Some(head) = sqlx::query_as::<_, (i64, String)>(ADVANCE)
        .bind(org_id)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok(head);
    }
    sqlx::query(
        "INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(genesis)
    .execute(&mut **tx)
    .await?;
    sqlx::query_as::<_, (i64, String)>(ADVANCE)
        .bind(org_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no audit head for organisation {org_id}")))
}

pub async fn set_head_hash(tx: &mut Tx, org_id: &str, hash: &str) -> Result<()> {
    sqlx::query("UPDATE audit_heads SET hash = $2 WHERE org_id = $1")
        .bind(org_id)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The head of `org_id`'s chain: (last seq, last hash), if it has any event.
pub async fn head<'e, E>(db: E, org_id: &str) -> Result<Option<(i64, String)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn insert(tx: &mut Tx, r: &AuditRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO audit_events ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(r.seq)
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
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Chains an event written before the chain existed (see the `audit_chain` migration).
pub async fn set_chain_position(tx: &mut Tx, r: &AuditRow) -> Result<()> {
    sqlx::query(
        "UPDATE audit_events SET seq = $3, prev_hash = $4, hash = $5 \
         WHERE org_id = $1 AND id = $2 AND seq IS NULL",
    )
    .bind(&r.org_id)
    .bind(&r.id)
    .bind(r.seq)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Up to `limit` not-yet-chained events, oldest first.
pub async fn unchained<'e, E>(db: E, limit: i64) -> Result<Vec<AuditRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq IS NULL \
         ORDER BY occurred_at, id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Every organisation that has audit events or a chain head.
pub async fn chained_orgs<'e, E>(db: E) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT org_id FROM audit_heads UNION SELECT DISTINCT org_id FROM audit_events \
         ORDER BY 1",
    )
    .fetch_all(db)
    .await?)
}

/// `org_id`'s events at positions `from_seq..=to_seq`, in chain order, streamed (constant
/// memory however long the range).
pub fn stream_chain_range<'a>(
    pool: &'a sqlx::AnyPool,
    org_id: &'a str,
    from_seq: i64,
    to_seq: i64,
) -> BoxStream<'a, Result<AuditRow>> {
    sqlx::query_as::<_, AuditRow>(
        "SELECT id, org_id, seq, occurred_at, event_type, actor_type, actor_id, actor_name, \
         credential, share_id, item_id, ip, user_agent, details, prev_hash, hash \
         FROM audit_events WHERE org_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq",
    )
    .bind(org_id)
    .bind(from_seq)
    .bind(to_seq)
    .fetch(pool)
    .map(|r| r.map_err(StoreError::from))
    .boxed()
}

/// Ids of `org_id`'s events that have no chain position.
pub async fn unchained_ids<'e, E>(db: E, org_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT id FROM audit_events WHERE org_id = $1 AND seq IS NULL ORDER BY occurred_at, id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Events appended to an organisation's chain, as their commit announces them
/// (`Committed::Audit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub org_id: String,
    /// The `seq` of the newest of them.
    pub seq: i64,
    pub about: About,
}

/// What appended events are about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum About {
    /// One event, about this share and item (either may be absent).
    One {
        share_id: Option<String>,
        item_id: Option<String>,
    },
    /// Several events at once (a bulk change, an import): anything.
    Many,
    /// One event: `item_id` is a new revision of the document family `family_id` (its
    /// `document.revised` event), which a live view of that document takes in.
    Revision { family_id: String, item_id: String },
}

/// Filters of the audit log and its exports: exact matches (or one of a list), and the
/// time range.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub share_id: Option<String>,
    /// Any of these items (none = every item).
    pub item_ids: Vec<String>,
    /// Any of these types (none = every type).
    pub event_types: Vec<String>,
    /// A staff user id (guests are found by share).
    pub actor_id: Option<String>,
    /// Inclusive lower bound, milliseconds.
    pub from_ms: Option<i64>,
    /// Exclusive upper bound, milliseconds.
    pub to_ms: Option<i64>,
    /// Newest first; events strictly older than this (occurred_at, id) position.
    pub before: Option<(i64, String)>,
    /// Only events after this chain position, newest first (a live feed's cursor).
    pub after_seq: Option<i64>,
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
    let exact = [("share_id", &q.share_id), ("actor_id", &q.actor_id)];
    for (column, value) in exact {
        if let Some(v) = value {
            let p = sql.text_arg(v.as_str());
            sql.push(&format!(" AND {column} = {p}"));
        }
    }
    for (column, values) in [("item_id", &q.item_ids), ("event_type", &q.event_types)] {
        if !values.is_empty() {
            let marks: Vec<String> = values.iter().map(|v| sql.text_arg(v.as_str())).collect();
            sql.push(&format!(" AND {column} IN ({})", marks.join(", ")));
        }
    }
    if let Some(from) = q.from_ms {
        let p = sql.int_arg(from);
        sql.push(&format!(" AND occurred_at >= {p}"));
    }
    if let Some(to) = q.to_ms {
        let p = sql.int_arg(to);
        sql.push(&format!(" AND occurred_at < {p}"));
    }
    if let Some((at, id)) = &q.before {
        let a = sql.int_arg(*at);
        let i = sql.text_arg(id);
        sql.push(&format!(" AND (occurred_at, id) < ({a}, {i})"));
    }
    let limit = sql.int_arg(q.limit);
    match q.after_seq {
        Some(after) => {
            let p = sql.int_arg(after);
            sql.push(&format!(" AND seq > {p} ORDER BY seq DESC LIMIT {limit}"));
        }
        None => {
            sql.push(&format!(
                " ORDER BY occurred_at DESC, id DESC LIMIT {limit}"
            ));
        }
    }
    sql.query_as().fetch_all(db).await.map_err(StoreError::from)
}

/// How many of the organisation's events of `event_type` happened at or after `since_ms`.
pub async fn count_since<'e, E>(db: E, org_id: &str, event_type: &str, since_ms: i64) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE org_id = $1 AND event_type = $2 \
         AND occurred_at >= $3",
    )
    .bind(org_id)
    .bind(event_type)
    .bind(since_ms)
    .fetch_one(db)
    .await?)
}
