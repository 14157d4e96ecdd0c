use leptos::prelude::*;

use crate::error::AppError;

/// "Test connection": starts a real sign-in at the IdP; the browser goes there and comes
/// back to a page showing what the IdP asserted.
#[server]
pub async fn test_identity_provider(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let url = backend::services::partners::test_connection(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(url.as_str());
    Ok(())
}
