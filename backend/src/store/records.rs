//! Data records, their custody events, links, attached documents and the organisation's
//! redaction rules (the `records` migration). JSON columns are stored as text and parsed by
//! the service.

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RecordRow {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub record_type: String,
    pub title: String,
    pub reference: Option<String>,
    /// JSON object.
    pub fields: String,
    /// JSON array of field paths.
    pub redacted: String,
    pub project_id: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, org_id, kind, record_type, title, reference, fields, redacted, \
    project_id, version, created_by, created_at, updated_at";

pub async fn insert<'e, E>(db: E, r: &RecordRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO records ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.kind)
    .bind(&r.record_type)
    .bind(&r.title)
    .bind(&r.reference)
    .bind(&r.fields)
    .bind(&r.redacted)
    .bind(&r.project_id)
    .bind(r.version)
    .bind(&r.created_by)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<RecordRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM records WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The organisation's record whose id, or else whose reference, is `id_or_reference`.
pub async fn find_ref<'e, E>(
    db: E,
    org_id: &str,
    id_or_reference: &str,
) -> Result<Option<RecordRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM records WHERE org_id = $1 AND (id = $2 OR reference = $2) \
         ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END LIMIT 1"
    ))
    .bind(org_id)
    .bind(id_or_reference)
    .fetch_optional(db)
    .await?)
}

/// The organisation's records among `ids`; unknown ids are left out.
pub async fn get_many<'e, E>(db: E, org_id: &str, ids: &[&str]) -> Result<Vec<RecordRow>>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    super::sql::for_ids(
        db,
        org_id,
        ids,
        &format!("SELECT {COLUMNS} FROM records WHERE org_id = $1 AND id IN ({{ids}})"),
    )
    .await
}

/// A page of the organisation's records, most recently changed first: of `kind` when
/// given, whose title or reference contains `text` when given (ASCII case-insensitive).
pub async fn list<'e, E>(
    db: E,
    org_id: &str,
    kind: Option<&str>,
    text: Option<&str>,
    limit: i64,
) -> Result<Vec<RecordRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let mut q = super::Sql::new(format!("SELECT {COLUMNS} FROM records WHERE org_id = "));
    let org = q.text_arg(org_id);
    q.push(&org);
    if let Some(kind) = kind {
        let k = q.text_arg(kind);
        q.push(&format!(" AND kind = {k}"));
    }
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        let escaped = text
            .to_ascii_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let t = q.text_arg(format!("%{escaped}%"));
        q.push(&format!(
            " AND (LOWER(title) LIKE {t} ESCAPE '\\' OR LOWER(COALESCE(reference, '')) LIKE {t} ESCAPE '\\')"
        ));
    }
    let l = q.int_arg(limit);
    q.push(&format!(" ORDER BY updated_at DESC, id DESC LIMIT {l}"));
    Ok(q.query_as().fetch_all(db).await?)
}

/// Replaces a record's own data if it is still at `version`; returns whether it was.
pub async fn update<'e, E>(db: E, r: &RecordRow, version: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE records SET record_type = $3, title = $4, reference = $5, fields = $6, \
         redacted = $7, version = version + 1, updated_at = $8 \
         WHERE org_id = $1 AND id = $2 AND version = $9",
    )
    .bind(&r.org_id)
    .bind(&r.id)
    .bind(&r.record_type)
    .bind(&r.title)
    .bind(&r.reference)
    .bind(&r.fields)
    .bind(&r.redacted)
    .bind(r.updated_at)
    .bind(version)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the record changed (its history, links or documents), for the register's order.
pub async fn touch<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE records SET updated_at = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}

// --- Custody events -------------------------------------------------------------------

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub org_id: String,
    pub record_id: String,
    pub position: i64,
    pub occurred_at: i64,
    pub process: String,
    pub actor: Option<String>,
    pub holder_id: Option<String>,
    pub location_id: Option<String>,
    pub notes: Option<String>,
    pub fields: String,
    pub redacted: String,
}

const EVENT_COLUMNS: &str = "id, org_id, record_id, position, occurred_at, process, actor, \
    holder_id, location_id, notes, fields, redacted";

/// Appends an event at the record's next position.
pub async fn insert_event<'e, E>(db: E, e: &EventRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO record_events ({EVENT_COLUMNS}) \
         SELECT $1, $2, $3, COALESCE(MAX(position), 0) + 1, $4, $5, $6, $7, $8, $9, $10, $11 \
         FROM record_events WHERE org_id = $2 AND record_id = $3"
    ))
    .bind(&e.id)
    .bind(&e.org_id)
    .bind(&e.record_id)
    .bind(e.occurred_at)
    .bind(&e.process)
    .bind(&e.actor)
    .bind(&e.holder_id)
    .bind(&e.location_id)
    .bind(&e.notes)
    .bind(&e.fields)
    .bind(&e.redacted)
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces an event's data (its position stays); returns whether it existed.
pub async fn update_event<'e, E>(db: E, e: &EventRow) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE record_events SET occurred_at = $4, process = $5, actor = $6, holder_id = $7, \
         location_id = $8, notes = $9, fields = $10, redacted = $11 \
         WHERE org_id = $1 AND record_id = $2 AND id = $3",
    )
    .bind(&e.org_id)
    .bind(&e.record_id)
    .bind(&e.id)
    .bind(e.occurred_at)
    .bind(&e.process)
    .bind(&e.actor)
    .bind(&e.holder_id)
    .bind(&e.location_id)
    .bind(&e.notes)
    .bind(&e.fields)
    .bind(&e.redacted)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_event<'e, E>(db: E, org_id: &str, record_id: &str, id: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done =
        sqlx::query("DELETE FROM record_events WHERE org_id = $1 AND record_id = $2 AND id = $3")
            .bind(org_id)
            .bind(record_id)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// A record's history, oldest first.
pub async fn events<'e, E>(db: E, org_id: &str, record_id: &str) -> Result<Vec<EventRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM record_events WHERE org_id = $1 AND record_id = $2 \
         ORDER BY occurred_at, position"
    ))
    .bind(org_id)
    .bind(record_id)
    .fetch_all(db)
    .await?)
}

// --- Links and documents --------------------------------------------------------------

/// Links a record to another; linking again with the same relation changes nothing.
pub async fn add_link<'e, E>(
    db: E,
    org_id: &str,
    record_id: &str,
    target_id: &str,
    relation: &str,
    now_ms: i64,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO record_links (org_id, record_id, target_id, relation, added_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (record_id, target_id, relation) DO NOTHING",
    )
    .bind(org_id)
    .bind(record_id)
    .bind(target_id)
    .bind(relation)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Removes every link from `record_id` to `target_id`; returns how many there were.
pub async fn remove_links<'e, E>(
    db: E,
    org_id: &str,
    record_id: &str,
    target_id: &str,
) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "DELETE FROM record_links WHERE org_id = $1 AND record_id = $2 AND target_id = $3",
    )
    .bind(org_id)
    .bind(record_id)
    .bind(target_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A record's links (relation, target id), in the order they were made.
pub async fn links<'e, E>(db: E, org_id: &str, record_id: &str) -> Result<Vec<(String, String)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT relation, target_id FROM record_links WHERE org_id = $1 AND record_id = $2 \
         ORDER BY added_at, target_id",
    )
    .bind(org_id)
    .bind(record_id)
    .fetch_all(db)
    .await?)
}

/// Attaches a document family, or changes whether it is private.
pub async fn attach<'e, E>(
    db: E,
    org_id: &str,
    record_id: &str,
    family_id: &str,
    private: bool,
    now_ms: i64,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO record_documents (org_id, record_id, family_id, private, added_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (record_id, family_id) DO UPDATE SET private = excluded.private",
    )
    .bind(org_id)
    .bind(record_id)
    .bind(family_id)
    .bind(i64::from(private))
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn detach<'e, E>(db: E, org_id: &str, record_id: &str, family_id: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "DELETE FROM record_documents WHERE org_id = $1 AND record_id = $2 AND family_id = $3",
    )
    .bind(org_id)
    .bind(record_id)
    .bind(family_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A record's attached document families (family id, private), in the order attached.
pub async fn documents<'e, E>(db: E, org_id: &str, record_id: &str) -> Result<Vec<(String, bool)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT family_id, private FROM record_documents WHERE org_id = $1 AND record_id = $2 \
         ORDER BY added_at, family_id",
    )
    .bind(org_id)
    .bind(record_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(f, p)| (f, p != 0)).collect())
}

// --- Organisation rules ---------------------------------------------------------------

/// Adds a rule; a rule already there (same folded name) changes nothing. Returns whether
/// it was added.
pub async fn add_rule<'e, E>(
    db: E,
    org_id: &str,
    folded: &str,
    field_name: &str,
    created_by: &str,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "INSERT INTO redaction_rules (org_id, folded, field_name, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, folded) DO NOTHING",
    )
    .bind(org_id)
    .bind(folded)
    .bind(field_name)
    .bind(created_by)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_rule<'e, E>(db: E, org_id: &str, folded: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query("DELETE FROM redaction_rules WHERE org_id = $1 AND folded = $2")
        .bind(org_id)
        .bind(folded)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The field names the organisation withholds, by name.
pub async fn rules<'e, E>(db: E, org_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT field_name FROM redaction_rules WHERE org_id = $1 ORDER BY folded")
            .bind(org_id)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}
