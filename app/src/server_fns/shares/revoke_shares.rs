use leptos::prelude::*;

use crate::error::AppError;

/// Revokes the shares ticked in the Active shares table, all or none. The table's
/// checkboxes post `ids[N]`; nothing ticked posts no `ids` at all.
#[server]
pub async fn revoke_shares(csrf: String, ids: Option<Vec<String>>) -> Result<usize, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::shares::revoke_many(
        &ctx.core,
        &staff,
        &ids.unwrap_or_default(),
        &meta().await?,
    )
    .await
    .map_err(fail)
}
