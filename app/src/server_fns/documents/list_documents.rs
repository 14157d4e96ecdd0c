use leptos::prelude::*;

use crate::error::AppError;

use crate::types::DocumentView;

#[server]
pub async fn list_documents() -> Result<Vec<DocumentView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let docs = backend::services::documents::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(docs
        .into_iter()
        .map(|d| DocumentView {
            id: d.id,
            title: d.title,
            file_name: d.file_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            created_at: d.created_at,
        })
        .collect())
}
