use leptos::prelude::*;

use crate::error::AppError;

/// "Ask for more time" on the denial page of a share that expired or used up its opens:
/// proves the whole link, then tells the share's owner. Held to the guests' rate limit.
#[server(prefix = "/api/guest")]
pub async fn request_renewal(token: String, reason: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta};
    let ctx = context()?;
    backend::services::renewals::request(&ctx.core, &token, &reason, &meta().await?)
        .await
        .map_err(fail)
}
