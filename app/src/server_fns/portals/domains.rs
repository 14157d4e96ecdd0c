use leptos::prelude::*;

use crate::error::AppError;

/// Adds a custom domain to a portal (administrators); the page then shows the TXT record
/// to publish.
#[server]
pub async fn add_domain(csrf: String, portal_id: String, domain: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::domains::add(
        &ctx.core,
        &staff,
        &portal_id,
        &domain,
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Looks the domain's TXT record up now (administrators).
#[server]
pub async fn verify_domain(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::domains::verify(&ctx.core, &staff, &id, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Removes a custom domain: it is no longer served (administrators).
#[server]
pub async fn remove_domain(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::domains::remove(&ctx.core, &staff, &id, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
