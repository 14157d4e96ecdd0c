//! Org External Access settings, project overrides and legal terms (admins), and the
//! effective policy every share is checked against at creation and at each access.

use serde::Serialize;
use serde_json::json;

use super::{validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::sha256_hex;
use crate::domain::policy::PolicyViolation;
use crate::domain::{Policy, PolicyOverride};
use crate::store::{self, new_id, policies::ProjectRow, policies::TermsRow};
use crate::Liaison;

impl From<PolicyViolation> for ServiceError {
    fn from(v: PolicyViolation) -> Self {
        ServiceError::Invalid {
            field: v.field,
            message: v.message,
        }
    }
}

fn corrupt(what: &str, e: serde_json::Error) -> ServiceError {
    ServiceError::internal_while(format!("stored {what} is not valid"), e)
}

/// The organisation's policy (defaults if never saved).
#[tracing::instrument(skip_all)]
pub async fn org_policy(core: &Liaison, org_id: &str) -> Result<Policy> {
    match store::policies::org_policy(core.db.pool(), org_id).await? {
        Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("policy", e)),
        None => Ok(Policy::default()),
    }
}

/// The policy that binds shares of `document_id`: the organisation's, tightened by the
/// document's project, if it has one.
#[tracing::instrument(skip_all)]
pub async fn effective_for_document(
    core: &Liaison,
    org_id: &str,
    document_id: &str,
) -> Result<Policy> {
    let project =
        store::policies::override_for_document(core.db.pool(), org_id, document_id).await?;
    tightened(core, org_id, project).await
}

/// The policy that binds shares of the record `record_id`: the organisation's, tightened
/// by the record's project, if it has one.
#[tracing::instrument(skip_all)]
pub async fn effective_for_record(core: &Liaison, org_id: &str, record_id: &str) -> Result<Policy> {
    let project = store::policies::override_for_record(core.db.pool(), org_id, record_id).await?;
    tightened(core, org_id, project).await
}

/// Every policy that binds a share of the record `record_id`, the record's own first: the
/// record's, and that of each record and document the share carries now (linked records,
/// the holders and locations its visible history names, its documents that are not
/// private), each tightened by its project. A share must satisfy all of them.
#[tracing::instrument(skip_all)]
pub async fn effective_for_record_share(
    core: &Liaison,
    org_id: &str,
    record_id: &str,
) -> Result<Vec<Policy>> {
    let carried = super::records::carried(core, org_id, record_id).await?;
    let mut out = Vec::with_capacity(carried.records.len() + carried.documents.len());
    for id in &carried.records {
        out.push(effective_for_record(core, org_id, id).await?);
    }
    for id in &carried.documents {
        out.push(effective_for_document(core, org_id, id).await?);
    }
    Ok(out)
}

/// The organisation's policy tightened by a project's override (JSON), if there is one.
async fn tightened(core: &Liaison, org_id: &str, project: Option<String>) -> Result<Policy> {
    let org = org_policy(core, org_id).await?;
    match project {
        None => Ok(org),
        Some(json) => {
            let o: PolicyOverride =
                serde_json::from_str(&json).map_err(|e| corrupt("project override", e))?;
            // Field by field, the stricter of the two: an override saved under a looser
            // organisation policy is never honoured loosely, nor dropped.
            Ok(org.effective_with(&o))
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn get(core: &Liaison, who: &Staff) -> Result<Policy> {
    super::authorize(who, crate::domain::Action::ViewPolicy)?;
    org_policy(core, &who.org_id).await
}

/// Replaces the organisation's policy. Audited with the old and the new value. Existing
/// shares are checked against the new policy at their next access.
#[tracing::instrument(skip_all)]
pub async fn set(
    core: &Liaison,
    who: &Staff,
    policy: Policy,
    meta: &RequestMeta,
) -> Result<Policy> {
    super::authorize(who, crate::domain::Action::ManagePolicy)?;
    policy.validate()?;
    let before = org_policy(core, &who.org_id).await?;
    let json = serde_json::to_string(&policy).map_err(ServiceError::internal)?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    store::policies::put_org_policy(&mut *tx, &who.org_id, &json, &who.user_id, now).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::PolicyChanged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: json!({ "scope": "organisation", "before": before, "after": policy }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(policy)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    pub id: String,
    pub name: String,
    pub policy_override: PolicyOverride,
    /// The organisation's policy tightened by the override.
    pub effective: Policy,
}

/// A project as staff see it, given its organisation's policy `org`.
fn project_view(org: &Policy, row: ProjectRow) -> Result<ProjectView> {
    let o: PolicyOverride =
        serde_json::from_str(&row.policy_override).map_err(|e| corrupt("project override", e))?;
    let effective = org.effective_with(&o);
    Ok(ProjectView {
        id: row.id,
        name: row.name,
        policy_override: o,
        effective,
    })
}

#[tracing::instrument(skip_all)]
pub async fn create_project(
    core: &Liaison,
    who: &Staff,
    name: &str,
    meta: &RequestMeta,
) -> Result<ProjectView> {
    super::authorize(who, crate::domain::Action::ManagePolicy)?;
    let name = validate::text("name", name, 200)?;
    let row = ProjectRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        name,
        policy_override: "{}".into(),
        created_at: core.now_ms(),
    };
    let mut tx = core.db.begin().await?;
    store::policies::insert_project(&mut *tx, &row)
        .await
        .map_err(super::on_unique(|| {
            format!("a project named {:?} already exists", row.name)
        }))?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::PolicyChanged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: json!({ "scope": "project", "project": { "id": row.id, "name": row.name }, "created": true }),
            meta,
            at_ms: row.created_at,
        },
    )
    .await?;
    tx.commit().await?;
    project_view(&org_policy(core, &who.org_id).await?, row)
}

/// Sets a project's override; refused (naming the setting) if it would loosen the
/// organisation's policy.
#[tracing::instrument(skip_all)]
pub async fn set_project_override(
    core: &Liaison,
    who: &Staff,
    project_id: &str,
    o: PolicyOverride,
    meta: &RequestMeta,
) -> Result<ProjectView> {
    super::authorize(who, crate::domain::Action::ManagePolicy)?;
    let row = store::policies::project(core.db.pool(), &who.org_id, project_id)
        .await?
        .ok_or(ServiceError::NotFound("project"))?;
    let org = org_policy(core, &who.org_id).await?;
    org.tightened_by(&o)?;
    let json = serde_json::to_string(&o).map_err(ServiceError::internal)?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    store::policies::set_project_override(&mut *tx, &who.org_id, project_id, &json).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::PolicyChanged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: json!({ "scope": "project", "project": { "id": row.id, "name": row.name }, "override": o }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    project_view(
        &org,
        ProjectRow {
            policy_override: json,
            ..row
        },
    )
}

#[tracing::instrument(skip_all)]
pub async fn projects(core: &Liaison, who: &Staff) -> Result<Vec<ProjectView>> {
    super::authorize(who, crate::domain::Action::ViewPolicy)?;
    // One read of the organisation's policy for every project.
    let org = org_policy(core, &who.org_id).await?;
    store::policies::projects(core.db.pool(), &who.org_id)
        .await?
        .into_iter()
        .map(|row| project_view(&org, row))
        .collect()
}

/// Puts a document (every revision of it) in a project (or takes it out), so the
/// project's override binds it.
/// Audited with where it was and where it went: a move can loosen what binds its shares.
#[tracing::instrument(skip_all)]
pub async fn assign_document(
    core: &Liaison,
    who: &Staff,
    document_id: &str,
    project_id: Option<&str>,
    meta: &RequestMeta,
) -> Result<()> {
    super::authorize(who, crate::domain::Action::ManagePolicy)?;
    if let Some(p) = project_id {
        store::policies::project(core.db.pool(), &who.org_id, p)
            .await?
            .ok_or(ServiceError::NotFound("project"))?;
    }
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    // Under the organisation's lock, as a new revision is: every revision moves, including
    // one uploaded at the same moment.
    store::orgs::lock(&mut *tx, &who.org_id).await?;
    let from = store::policies::document_project(&mut *tx, &who.org_id, document_id)
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    store::policies::set_document_project(&mut *tx, &who.org_id, document_id, project_id).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::DocumentMoved,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: Some(document_id),
            details: json!({ "from_project": from, "to_project": project_id }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TermsView {
    pub id: String,
    pub version: String,
    pub body: String,
    pub sha256: String,
}

impl From<TermsRow> for TermsView {
    fn from(t: TermsRow) -> Self {
        Self {
            id: t.id,
            version: t.version,
            body: t.body,
            sha256: t.sha256,
        }
    }
}

/// Publishes a new version of legal terms. Versions are immutable: a change is a new version.
#[tracing::instrument(skip_all)]
pub async fn publish_terms(
    core: &Liaison,
    who: &Staff,
    version: &str,
    body: &str,
    meta: &RequestMeta,
) -> Result<TermsView> {
    super::authorize(who, crate::domain::Action::ManagePolicy)?;
    let version = validate::text("version", version, 50)?;
    let body = validate::text("body", body, 50_000)?;
    let row = TermsRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        sha256: sha256_hex(body.as_bytes()),
        version,
        body,
        created_at: core.now_ms(),
    };
    let mut tx = core.db.begin().await?;
    store::policies::insert_terms(&mut *tx, &row)
        .await
        .map_err(super::on_unique(|| {
            format!(
                "terms version {:?} already exists; publish a new version",
                row.version
            )
        }))?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::PolicyChanged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: json!({ "scope": "legal_terms", "version": row.version, "sha256": row.sha256 }),
            meta,
            at_ms: row.created_at,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

#[tracing::instrument(skip_all)]
pub async fn all_terms(core: &Liaison, who: &Staff) -> Result<Vec<TermsView>> {
    super::authorize(who, crate::domain::Action::ViewPolicy)?;
    Ok(store::policies::all_terms(core.db.pool(), &who.org_id)
        .await?
        .into_iter()
        .map(TermsView::from)
        .collect())
}

/// Who accepted which version of the terms, and when.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TermsAcceptanceView {
    pub version: String,
    pub sha256: String,
    pub share_id: Option<String>,
    pub recipient_name: String,
    pub recipient_email: String,
    pub accepted_at: String,
}

/// Most acceptances [`terms_acceptances`] answers (the audit log holds every one; its
/// export filtered by `share.terms_accepted` gives them all).
pub const MAX_ACCEPTANCES: i64 = 500;

/// The newest acceptances of the organisation's terms, newest first.
#[tracing::instrument(skip_all)]
pub async fn terms_acceptances(core: &Liaison, who: &Staff) -> Result<Vec<TermsAcceptanceView>> {
    super::authorize(who, crate::domain::Action::ViewPolicy)?;
    #[derive(serde::Deserialize)]
    struct Accepted {
        version: String,
        sha256: String,
    }
    let rows =
        store::policies::terms_acceptances(core.db.pool(), &who.org_id, MAX_ACCEPTANCES).await?;
    rows.into_iter()
        .map(|r| {
            let a: Accepted =
                serde_json::from_str(&r.details).map_err(|e| corrupt("terms acceptance", e))?;
            Ok(TermsAcceptanceView {
                version: a.version,
                sha256: a.sha256,
                share_id: r.share_id,
                recipient_name: r.recipient_name.unwrap_or_default(),
                recipient_email: r.recipient_email.unwrap_or_default(),
                accepted_at: super::rfc3339(store::from_millis(r.occurred_at)),
            })
        })
        .collect()
}
