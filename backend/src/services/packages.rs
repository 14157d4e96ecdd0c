//! Document packages: curated, named sets of an organisation's documents that staff share
//! as one item (scope "document package"). A project's documents are shared the same way
//! as a work package (`shares::Bundle`). A share covers the documents its package held when
//! it was made; changing the package later changes no existing share.

use serde::Serialize;
use serde_json::json;

use super::{rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::store::{self, from_millis, new_id, packages::PackageRow};
use crate::Liaison;

/// Most documents one package (and so one share) may hold.
pub const MAX_DOCUMENTS: usize = 200;

/// A document package with its documents.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PackageView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// Document ids, in the order they were added.
    pub documents: Vec<String>,
}

fn require_content_role(who: &Staff) -> Result<()> {
    super::authorize(who, crate::domain::Action::ManagePackages)
}

#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    name: &str,
    meta: &RequestMeta,
) -> Result<PackageView> {
    require_content_role(who)?;
    let row = PackageRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        name: validate::text("name", name, 200)?,
        created_by: who.user_id.clone(),
        created_at: core.now_ms(),
    };
    let mut tx = core.db.begin().await?;
    store::packages::insert(&mut *tx, &row)
        .await
        .map_err(super::on_unique(|| {
            format!("a package named {:?} already exists", row.name)
        }))?;
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PackageChanged,
        json!({ "package": row.id, "action": "created", "name": row.name }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(PackageView {
        id: row.id,
        name: row.name,
        created_at: rfc3339(from_millis(row.created_at)),
        documents: Vec::new(),
    })
}

/// The organisation's packages with their documents.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<PackageView>> {
    super::authorize(who, crate::domain::Action::ViewDocuments)?;
    let members = store::packages::all_documents(core.db.pool(), &who.org_id).await?;
    Ok(store::packages::list(core.db.pool(), &who.org_id)
        .await?
        .into_iter()
        .map(|p| PackageView {
            documents: members
                .iter()
                .filter(|(package, _)| *package == p.id)
                .map(|(_, doc)| doc.clone())
                .collect(),
            id: p.id,
            name: p.name,
            created_at: rfc3339(from_millis(p.created_at)),
        })
        .collect())
}

/// Adds one of the organisation's documents to a package (a no-op if it is there).
#[tracing::instrument(skip_all)]
pub async fn add_document(
    core: &Liaison,
    who: &Staff,
    package_id: &str,
    document_id: &str,
    meta: &RequestMeta,
) -> Result<()> {
    require_content_role(who)?;
    let package = package(core, who, package_id).await?;
    let document = store::documents::get(core.db.pool(), &who.org_id, document_id)
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    let held = store::packages::documents(core.db.pool(), &who.org_id, &package.id).await?;
    if held.contains(&document.id) {
        return Ok(());
    }
    if held.len() >= MAX_DOCUMENTS {
        return Err(ServiceError::invalid(
            "document_id",
            format!("a package holds at most {MAX_DOCUMENTS} documents"),
        ));
    }
    let mut tx = core.db.begin().await?;
    store::packages::add_document(
        &mut *tx,
        &who.org_id,
        &package.id,
        &document.id,
        core.now_ms(),
    )
    .await?;
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PackageChanged,
        json!({ "package": package.id, "action": "document_added",
                "document": { "id": document.id, "title": document.title } }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a document out of a package (existing shares keep it).
#[tracing::instrument(skip_all)]
pub async fn remove_document(
    core: &Liaison,
    who: &Staff,
    package_id: &str,
    document_id: &str,
    meta: &RequestMeta,
) -> Result<()> {
    require_content_role(who)?;
    let package = package(core, who, package_id).await?;
    let mut tx = core.db.begin().await?;
    if !store::packages::remove_document(&mut *tx, &who.org_id, &package.id, document_id).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("document in this package"));
    }
    super::audit_staff_change(core, &mut tx, who, EventType::PackageChanged,
        json!({ "package": package.id, "action": "document_removed", "document": { "id": document_id } }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn package(core: &Liaison, who: &Staff, id: &str) -> Result<PackageRow> {
    store::packages::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("package"))
}

/// A project as a work package: sharing it shares every document it holds then.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WorkPackageView {
    pub id: String,
    pub name: String,
    pub documents: usize,
}

/// The organisation's projects as work packages, with how many documents each holds.
#[tracing::instrument(skip_all)]
pub async fn work_packages(core: &Liaison, who: &Staff) -> Result<Vec<WorkPackageView>> {
    super::authorize(who, crate::domain::Action::ViewDocuments)?;
    let mut out = Vec::new();
    for p in store::policies::projects(core.db.pool(), &who.org_id).await? {
        let documents = store::packages::project_documents(core.db.pool(), &who.org_id, &p.id)
            .await?
            .len();
        out.push(WorkPackageView {
            id: p.id,
            name: p.name,
            documents,
        });
    }
    Ok(out)
}
