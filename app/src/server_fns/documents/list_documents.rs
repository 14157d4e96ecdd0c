use leptos::prelude::*;

use crate::error::AppError;

use crate::types::DocumentView;

/// The register: the current revision of each document, newest first.
#[server]
pub async fn list_documents() -> Result<Vec<DocumentView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let docs = backend::services::documents::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    let projects = project_names(&ctx.core, &staff).await?;
    Ok(docs
        .into_iter()
        .map(|d| document_view(d, &projects))
        .collect())
}

/// The organisation's projects (id, name).
#[cfg(feature = "ssr")]
pub(crate) async fn project_names(
    core: &backend::Liaison,
    staff: &backend::actor::Staff,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(backend::services::policy::projects(core, staff)
        .await
        .map_err(crate::ssr::fail)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// A revision as the console shows it, its project named from `projects`.
#[cfg(feature = "ssr")]
pub(crate) fn document_view(
    d: backend::services::documents::DocumentView,
    projects: &[(String, String)],
) -> DocumentView {
    let project = d.project_id.as_ref().and_then(|p| {
        projects
            .iter()
            .find(|(id, _)| id == p)
            .map(|(_, name)| name.clone())
    });
    DocumentView {
        id: d.id,
        title: d.title,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
        sha256: d.sha256,
        created_at: d.created_at,
        revision: d.revision,
        number: d.number,
        project,
    }
}
