use leptos::prelude::*;

use crate::error::AppError;

/// A new, empty document package.
#[server]
pub async fn create_package(csrf: String, name: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::packages::create(&ctx.core, &staff, &name, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
