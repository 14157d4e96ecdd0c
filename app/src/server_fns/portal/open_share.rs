use leptos::prelude::*;

use crate::error::AppError;

/// The verified open: proves the token (or a browser that already passed), applies every
/// check, counts one access, and starts the portal session (an RS256 JWT in an HttpOnly
/// cookie). Password and code are asked only when the landing page said so.
#[server(prefix = "/api/guest")]
pub async fn open_share(
    token: String,
    acknowledged: Option<String>,
    accept_terms: Option<String>,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{context, ensure_device_cookie, fail, meta, set_portal_cookie};
    use backend::services::access::{self, OpenRequest};
    use secrecy::SecretString;
    let ctx = context()?;
    let meta = meta().await?;
    let secure = ctx.core.settings.secure_cookies_on(&meta.site);
    let device = ensure_device_cookie(secure).await;
    let secret = |v: Option<String>| v.filter(|s| !s.is_empty()).map(SecretString::from);
    let request = OpenRequest {
        token,
        password: secret(password),
        code: secret(code),
        acknowledged: crate::server_fns::ticked(&acknowledged),
        accepted_terms: crate::server_fns::ticked(&accept_terms),
        device,
    };
    let session = access::open(&ctx.core, request, &meta)
        .await
        .map_err(fail)?;
    set_portal_cookie(Some((&session.access_token, session.expires_in)), secure);
    leptos_axum::redirect("/portal");
    Ok(())
}
