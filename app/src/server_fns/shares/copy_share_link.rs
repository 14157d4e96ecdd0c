use leptos::prelude::*;

use crate::error::AppError;

/// The share's link again (audited); the database holds only a hash and a sealed copy.
#[server]
pub async fn copy_share_link(csrf: String, id: String) -> Result<String, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use secrecy::ExposeSecret;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let url = backend::services::shares::copy_link(&ctx.core, &staff, &id, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(url.expose_secret().to_owned())
}
