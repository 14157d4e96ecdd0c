use leptos::prelude::*;

use crate::error::AppError;

#[server]
pub async fn sign_out(csrf: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf, session};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::auth::signed_out(&ctx.core, &staff, &meta().await?)
        .await
        .map_err(fail)?;
    session()
        .await?
        .flush()
        .await
        .map_err(|_| AppError::internal("could not end the session"))?;
    // The session is gone: its open console channels close now.
    backend::services::auth::standing_changed(&ctx.core, &staff.org_id, &staff.user_id)
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/login");
    Ok(())
}
