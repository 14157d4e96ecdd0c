use leptos::prelude::*;

use crate::error::AppError;

/// Adds a document to a package (`action` = "add") or takes it out ("remove").
#[server]
pub async fn change_package(
    csrf: String,
    package_id: String,
    document_id: String,
    action: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::{packages, ServiceError};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    match action.as_str() {
        "add" => packages::add_document(&ctx.core, &staff, &package_id, &document_id, &meta).await,
        "remove" => {
            packages::remove_document(&ctx.core, &staff, &package_id, &document_id, &meta).await
        }
        _ => Err(ServiceError::Invalid {
            field: "action",
            message: "action must be add or remove".into(),
        }),
    }
    .map_err(fail)
}
