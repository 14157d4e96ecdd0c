use leptos::prelude::*;

/// The verified open: proves the token, applies every check, counts one access, and
/// starts the portal session (an RS256 JWT in an HttpOnly cookie).
#[server]
pub async fn open_share(token: String, acknowledged: Option<String>) -> Result<(), ServerFnError> {
    use crate::ssr::{context, fail, meta, set_portal_cookie};
    let ctx = context()?;
    let session =
        backend::services::portal::open(&ctx.core, &token, acknowledged.is_some(), &meta().await)
            .await
            .map_err(fail)?;
    set_portal_cookie(
        Some((&session.access_token, session.expires_in)),
        ctx.secure_cookies,
    );
    leptos_axum::redirect("/portal");
    Ok(())
}
