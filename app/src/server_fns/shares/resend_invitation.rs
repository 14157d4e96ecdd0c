use leptos::prelude::*;

use crate::error::AppError;

/// Sends the original invitation again, with the same link (audited).
#[server]
pub async fn resend_invitation(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::shares::resend_invitation(&ctx.core, &staff, &id, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
