use leptos::prelude::*;

use crate::error::AppError;

/// Removes a member; their shares in this portal are revoked. Returns how many.
#[server]
pub async fn remove_portal_member(
    csrf: String,
    portal_id: String,
    member_id: String,
) -> Result<usize, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::remove_member(
        &ctx.core,
        &staff,
        &portal_id,
        &member_id,
        &meta().await?,
    )
    .await
    .map_err(fail)
}
