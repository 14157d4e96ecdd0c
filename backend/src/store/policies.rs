//! Organisation policies, projects and their overrides, and legal terms.

use sqlx::Executor;

use super::Result;

/// The organisation's policy JSON, if it has saved one.
pub async fn org_policy<'e, E>(db: E, org_id: &str) -> Result<Option<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT policy FROM org_policies WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn put_org_policy<'e, E>(
    db: E,
    org_id: &str,
    json: &str,
    by_user: &str,
    now_ms: i64,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO org_policies (org_id, policy, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id) DO UPDATE SET policy = $2, updated_at = $3, updated_by = $4",
    )
    .bind(org_id)
    .bind(json)
    .bind(now_ms)
    .bind(by_user)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub policy_override: String,
    pub created_at: i64,
}

pub async fn insert_project<'e, E>(db: E, p: &ProjectRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO projects (id, org_id, name, policy_override, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&p.id)
    .bind(&p.org_id)
    .bind(&p.name)
    .bind(&p.policy_override)
    .bind(p.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn project<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<ProjectRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, name, policy_override, created_at FROM projects \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn projects<'e, E>(db: E, org_id: &str) -> Result<Vec<ProjectRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, name, policy_override, created_at FROM projects \
         WHERE org_id = $1 ORDER BY name",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

pub async fn set_project_override<'e, E>(db: E, org_id: &str, id: &str, json: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done =
        sqlx::query("UPDATE projects SET policy_override = $3 WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .bind(json)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The override JSON of the project a record belongs to, if any.
pub async fn override_for_record<'e, E>(
    db: E,
    org_id: &str,
    record_id: &str,
) -> Result<Option<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT p.policy_override FROM records r JOIN projects p ON p.id = r.project_id \
         AND p.org_id = r.org_id WHERE r.org_id = $1 AND r.id = $2",
    )
    .bind(org_id)
    .bind(record_id)
    .fetch_optional(db)
    .await?)
}

/// The override JSON of the project a document belongs to, if any.
pub async fn override_for_document<'e, E>(
    db: E,
    org_id: &str,
    document_id: &str,
) -> Result<Option<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT p.policy_override FROM documents d JOIN projects p ON p.id = d.project_id \
         AND p.org_id = d.org_id WHERE d.org_id = $1 AND d.id = $2",
    )
    .bind(org_id)
    .bind(document_id)
    .fetch_optional(db)
    .await?)
}

/// The project a document is in: `None` when there is no such document in the
/// organisation, `Some(None)` when it is in no project.
pub async fn document_project<'e, E>(
    db: E,
    org_id: &str,
    document_id: &str,
) -> Result<Option<Option<String>>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT project_id FROM documents WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(document_id)
            .fetch_optional(db)
            .await?,
    )
}

/// Files every revision of the document `document_id` names under `project_id` (or none).
/// False when there is no such document.
pub async fn set_document_project<'e, E>(
    db: E,
    org_id: &str,
    document_id: &str,
    project_id: Option<&str>,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE documents SET project_id = $3 WHERE org_id = $1 AND family_id = \
         (SELECT family_id FROM documents WHERE org_id = $1 AND id = $2)",
    )
    .bind(org_id)
    .bind(document_id)
    .bind(project_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TermsRow {
    pub id: String,
    pub org_id: String,
    pub version: String,
    pub body: String,
    pub sha256: String,
    pub created_at: i64,
}

pub async fn insert_terms<'e, E>(db: E, t: &TermsRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO legal_terms (id, org_id, version, body, sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.id)
    .bind(&t.org_id)
    .bind(&t.version)
    .bind(&t.body)
    .bind(&t.sha256)
    .bind(t.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn terms<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<TermsRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, version, body, sha256, created_at FROM legal_terms \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn all_terms<'e, E>(db: E, org_id: &str) -> Result<Vec<TermsRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, version, body, sha256, created_at FROM legal_terms \
         WHERE org_id = $1 ORDER BY created_at DESC",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// One guest's acceptance of legal terms, read from the audit log (where it is recorded,
/// chained, as `share.terms_accepted`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TermsAcceptanceRow {
    pub occurred_at: i64,
    pub share_id: Option<String>,
    pub recipient_name: Option<String>,
    pub recipient_email: Option<String>,
    /// The event's details: `{"version": …, "sha256": …}`.
    pub details: String,
}

/// The newest acceptances of the organisation's terms, at most `limit`.
pub async fn terms_acceptances<'e, E>(
    db: E,
    org_id: &str,
    limit: i64,
) -> Result<Vec<TermsAcceptanceRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT a.occurred_at, a.share_id, s.recipient_name, s.recipient_email, a.details \
         FROM audit_events a LEFT JOIN shares s ON s.org_id = a.org_id AND s.id = a.share_id \
         WHERE a.org_id = $1 AND a.event_type = 'share.terms_accepted' \
         ORDER BY a.occurred_at DESC, a.id DESC LIMIT $2",
    )
    .bind(org_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
