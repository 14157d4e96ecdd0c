use leptos::prelude::*;

use crate::error::AppError;

#[server]
pub async fn add_portal_member(
    csrf: String,
    portal_id: String,
    name: String,
    email: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::add_member(
        &ctx.core,
        &staff,
        &portal_id,
        &name,
        &email,
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
