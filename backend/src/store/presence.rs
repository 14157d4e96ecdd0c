//! Live presence: who is viewing a document now (see the `live_presence` table).

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PresenceRow {
    pub id: String,
    pub org_id: String,
    pub document_id: String,
    pub node_id: String,
    /// `staff` or `guest`.
    pub kind: String,
    pub user_id: Option<String>,
    pub share_id: Option<String>,
    pub name: String,
    pub organisation: String,
    pub since: i64,
    pub expires_at: i64,
}

const COLUMNS: &str = "id, org_id, document_id, node_id, kind, user_id, share_id, name, \
    organisation, since, expires_at";

pub async fn insert<'e, E>(db: E, p: &PresenceRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO live_presence ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&p.id)
    .bind(&p.org_id)
    .bind(&p.document_id)
    .bind(&p.node_id)
    .bind(&p.kind)
    .bind(&p.user_id)
    .bind(&p.share_id)
    .bind(&p.name)
    .bind(&p.organisation)
    .bind(p.since)
    .bind(p.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete<'e, E>(db: E, org_id: &str, id: &str) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("DELETE FROM live_presence WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Who is viewing `document_id` at `now`, longest first; only staff with `staff_only`.
pub async fn current<'e, E>(
    db: E,
    org_id: &str,
    document_id: &str,
    now: i64,
    staff_only: bool,
) -> Result<Vec<PresenceRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let kind = if staff_only {
        " AND kind = 'staff'"
    } else {
        ""
    };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM live_presence WHERE org_id = $1 AND document_id = $2 \
         AND expires_at > $3{kind} ORDER BY since, id"
    ))
    .bind(org_id)
    .bind(document_id)
    .bind(now)
    .fetch_all(db)
    .await?)
}

/// One presence entry, if it is current.
pub async fn get<'e, E>(db: E, org_id: &str, id: &str, now: i64) -> Result<Option<PresenceRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM live_presence WHERE org_id = $1 AND id = $2 AND expires_at > $3"
    ))
    .bind(org_id)
    .bind(id)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

/// Keeps the entries `ids` of `node_id` alive until `until`.
pub async fn keep_alive<'e, E>(db: E, node_id: &str, ids: &[String], until: i64) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    let mut kept = 0;
    for chunk in ids.chunks(500) {
        let mut sql = super::Sql::new("UPDATE live_presence SET expires_at = ");
        let until = sql.int_arg(until);
        sql.push(&until).push(" WHERE node_id = ");
        let node = sql.text_arg(node_id);
        sql.push(&node).push(" AND id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let p = sql.text_arg(id.clone());
            sql.push(&p);
        }
        sql.push(")");
        kept += sql.query().execute(db).await?.rows_affected();
    }
    Ok(kept)
}

/// Removes entries that expired by `now` (their node stopped keeping them alive); returns
/// the documents they were on (organisation, document), each once.
pub async fn remove_expired(db: &super::Db, now: i64) -> Result<Vec<(String, String)>> {
    let mut tx = db.begin().await?;
    let documents: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT org_id, document_id FROM live_presence WHERE expires_at <= $1",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM live_presence WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(documents)
}
