use leptos::prelude::*;

use crate::error::AppError;

use crate::types::DocumentPageView;

/// A document's page: every revision of the document `id` names (any of its revisions).
#[server]
pub async fn load_document(id: String) -> Result<DocumentPageView, AppError> {
    use super::list_documents::{document_view, project_names};
    use crate::ssr::{context, fail, require_staff};
    use backend::domain::Action;
    let ctx = context()?;
    let staff = require_staff().await?;
    let revisions = backend::services::documents::revisions(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    let projects = project_names(&ctx.core, &staff).await?;
    let project_id = revisions.first().and_then(|d| d.project_id.clone());
    let intel = backend::services::intelligence::flag_of(
        &ctx.core,
        &staff,
        backend::domain::intelligence::IntelItemKind::Document,
        &id,
    )
    .await
    .map_err(fail)?
    .map(crate::server_fns::intelligence::flag_view);
    Ok(DocumentPageView {
        intel,
        revisions: revisions
            .into_iter()
            .map(|d| document_view(d, &projects))
            .collect(),
        project_id,
        projects: if staff.role.permits(Action::ManagePolicy) {
            projects
        } else {
            Vec::new()
        },
    })
}

/// Files the document (every revision of it) under a project, or takes it out (empty
/// `project_id`). Admins only: a move can loosen what binds its shares.
#[server]
pub async fn move_document(csrf: String, id: String, project_id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    let project = Some(project_id.trim()).filter(|p| !p.is_empty());
    backend::services::policy::assign_document(&ctx.core, &staff, &id, project, &meta)
        .await
        .map_err(fail)?;
    Ok(())
}
