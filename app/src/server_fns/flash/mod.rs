//! The refusal a plain form post came back with (see `crate::flash`).

use leptos::prelude::*;

use crate::error::AppError;

/// Takes the refusal this browser's last plain form post left for it (once: the cookie is
/// cleared). Needs no sign-in (the guest's response form uses it too); it reveals only
/// what this browser was already told.
#[server(prefix = "/api/guest")]
pub async fn flash_message() -> Result<Option<String>, AppError> {
    use crate::ssr::{context, meta, request_cookies, set_cookie};
    let ctx = context()?;
    let secure = ctx.core.settings.secure_cookies_on(&meta().await?.site);
    let jar = request_cookies().await;
    let message = crate::flash::message(&ctx.core, &jar, secure);
    if message.is_some() {
        set_cookie(&crate::flash::cookie(&ctx.core, None, secure));
    }
    Ok(message)
}
