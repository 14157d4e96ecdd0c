use leptos::prelude::*;

use crate::error::AppError;

/// The open portal page tells the server when the guest tries to print (audited; printing
/// is blocked by the page where the share does not allow it).
#[server(prefix = "/api/guest")]
pub async fn report_print_attempt() -> Result<bool, AppError> {
    use crate::ssr::{context, fail, meta, portal_cookie};
    use backend::services::{access, ServiceError};
    let ctx = context()?;
    let meta = meta().await?;
    let jwt = portal_cookie(ctx.core.settings.secure_cookies_on(&meta.site))
        .await
        .ok_or_else(|| {
            fail(ServiceError::Unauthenticated(
                "A portal session is required.",
            ))
        })?;
    let guest = access::authenticate(&ctx.core, &jwt, &meta)
        .await
        .map_err(fail)?;
    access::record_print_attempt(&ctx.core, &guest, &meta)
        .await
        .map_err(fail)
}
