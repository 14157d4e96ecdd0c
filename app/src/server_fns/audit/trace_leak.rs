use leptos::prelude::*;

use crate::error::AppError;
use crate::types::TracedViewRow;

/// Traces a leaked page: `picture` is a screenshot, photo or scan (base64, as the browser
/// read the file); the answer is the views whose marks are on it (audited). Served at
/// `/api/trace_leak` exactly: the router reads its large body for staff only.
#[server(endpoint = "trace_leak")]
pub async fn trace_leak(csrf: String, picture: String) -> Result<Vec<TracedViewRow>, AppError> {
    use base64::Engine;

    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::leaks;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(picture.trim())
        .map_err(|_| {
            AppError::invalid(
                "picture",
                "the picture did not arrive whole; choose it again",
            )
        })?;
    let views = leaks::trace(&ctx.core, &staff, bytes.into(), &meta().await?)
        .await
        .map_err(fail)?;
    Ok(views
        .into_iter()
        .map(|v| TracedViewRow {
            view: v.view,
            share_id: v.share_id,
            document_id: v.document_id,
            document_title: v.document_title,
            recipient_name: v.recipient_name,
            recipient_email: v.recipient_email,
            viewed_at: v.viewed_at,
            watermark: v.watermark,
        })
        .collect())
}
