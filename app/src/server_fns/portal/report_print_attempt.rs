use leptos::prelude::*;

use crate::error::AppError;

/// The open portal page tells the server when the guest tries to print (audited; printing
/// is blocked by the page where the share does not allow it).
#[server(prefix = "/api/guest")]
pub async fn report_print_attempt() -> Result<bool, AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    use backend::services::access;
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    access::record_print_attempt(&ctx.core, &guest, &meta)
        .await
        .map_err(fail)
}
