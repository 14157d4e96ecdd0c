use leptos::prelude::*;

use crate::error::AppError;

/// Approves (`decision` = "approve") or rejects ("reject") a browser waiting for a share
/// with "approved devices only".
#[server]
pub async fn decide_device(
    csrf: String,
    share_id: String,
    device_id: String,
    decision: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::ServiceError;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(fail(ServiceError::Invalid {
                field: "decision",
                message: "decision must be approve or reject".into(),
            }))
        }
    };
    backend::services::shares::decide_device(
        &ctx.core,
        &staff,
        &share_id,
        &device_id,
        approve,
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
