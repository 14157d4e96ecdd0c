use leptos::prelude::*;

use crate::error::AppError;

/// Console sign-in with email and password. On success the session id is renewed (no
/// fixation), a fresh CSRF token is bound to it, and the browser goes to the console.
#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, new_csrf_token, session, SESSION_CSRF, SESSION_USER};
    let ctx = context()?;
    let password = secrecy::SecretString::from(password);
    let staff = backend::services::auth::sign_in(&ctx.core, &email, &password, &meta().await?)
        .await
        .map_err(fail)?;
    let session = session().await?;
    let broken = |_| AppError::internal("could not start a session");
    session.cycle_id().await.map_err(broken)?;
    session
        .insert(SESSION_USER, staff.user_id)
        .await
        .map_err(broken)?;
    session
        .insert(SESSION_CSRF, new_csrf_token())
        .await
        .map_err(broken)?;
    leptos_axum::redirect("/console");
    Ok(())
}
