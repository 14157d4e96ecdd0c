use leptos::prelude::*;

use crate::error::AppError;

/// Revokes a secret: its ciphertext is deleted now.
#[server]
pub async fn revoke_secret(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::secrets::revoke(&ctx.core, &staff, &id, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
