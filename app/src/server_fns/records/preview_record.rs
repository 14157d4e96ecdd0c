use leptos::prelude::*;

use crate::error::AppError;

use crate::types::RecordPreviewView;

/// What a share of record `id` would show its guest now (the one redaction projection),
/// and the fields that look personal or secret yet nothing withholds: the share form's
/// preview and warning.
#[server]
pub async fn preview_record(id: String) -> Result<RecordPreviewView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let p = backend::services::records::preview(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    let documents = p
        .guest
        .documents
        .iter()
        .map(|d| (d.title.clone(), d.sha256.clone()))
        .collect();
    Ok(RecordPreviewView {
        documents,
        unredacted_sensitive: p
            .unredacted_sensitive
            .iter()
            .map(ToString::to_string)
            .collect(),
        record: super::shared_record_view(p.guest),
    })
}
