use leptos::prelude::*;

use crate::error::AppError;

/// Silent renewal from the open portal page: a fresh session cookie while the share stays
/// valid. Returns whether the session is still good.
#[server]
pub async fn renew_portal_session() -> Result<bool, AppError> {
    use crate::ssr::{context, meta, portal_cookie, set_portal_cookie};
    use backend::services::access;
    let ctx = context()?;
    let Some(jwt) = portal_cookie().await else {
        return Ok(false);
    };
    let meta = meta().await;
    let renewed = match access::authenticate(&ctx.core, &jwt, &meta).await {
        Ok(guest) => access::renew(&ctx.core, &guest, &meta).await,
        Err(e) => Err(e),
    };
    match renewed {
        Ok(s) => {
            set_portal_cookie(Some((&s.access_token, s.expires_in)), ctx.secure_cookies);
            Ok(true)
        }
        Err(_) => {
            set_portal_cookie(None, ctx.secure_cookies);
            Ok(false)
        }
    }
}
