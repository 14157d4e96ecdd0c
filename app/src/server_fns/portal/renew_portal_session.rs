use leptos::prelude::*;

use crate::error::AppError;

/// Silent renewal from the open portal page: a fresh session cookie while the share stays
/// valid. Returns whether the session is still good; a fault of ours (the database away,
/// too many requests) is an error and keeps the session, so the page tries again later
/// instead of signing the guest out.
#[server(prefix = "/api/guest")]
pub async fn renew_portal_session() -> Result<bool, AppError> {
    use crate::ssr::{context, cookie_guest, meta, set_portal_cookie};
    use backend::services::access;
    let ctx = context()?;
    let meta = meta().await?;
    let secure = ctx.core.settings.secure_cookies_on(&meta.site);
    let renewed = match cookie_guest(&ctx.core, &meta).await {
        None => return Ok(false),
        Some(Ok(guest)) => access::renew(&ctx.core, &guest, &meta).await,
        Some(Err(e)) => Err(e),
    };
    use backend::services::ServiceError;
    match renewed {
        Ok(s) => {
            set_portal_cookie(Some((&s.access_token, s.expires_in)), secure);
            Ok(true)
        }
        Err(
            e @ (ServiceError::Internal(_)
            | ServiceError::Unavailable(_)
            | ServiceError::TooMany { .. }),
        ) => Err(crate::ssr::fail(e)),
        Err(_) => {
            set_portal_cookie(None, secure);
            Ok(false)
        }
    }
}
