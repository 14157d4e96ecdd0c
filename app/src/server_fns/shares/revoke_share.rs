use leptos::prelude::*;

use crate::error::AppError;

/// Revokes a share; effective on the guest's very next request.
#[server]
pub async fn revoke_share(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::shares::revoke(&ctx.core, &staff, &id, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
