use leptos::prelude::*;

use crate::error::AppError;

/// The organisations' own identity providers offered on the sign-in page: (id, name).
#[server]
pub async fn list_staff_sign_ins() -> Result<Vec<(String, String)>, AppError> {
    use crate::ssr::{context, fail};
    let ctx = context()?;
    backend::services::federation::staff_idps(&ctx.core)
        .await
        .map_err(fail)
}
