use leptos::prelude::*;

use crate::error::AppError;

/// Console sign-in with email and password. On success the session id is renewed (no
/// fixation), a fresh CSRF token is bound to it, and the browser goes to the console.
#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, session, start_console_session};
    let ctx = context()?;
    let password = secrecy::SecretString::from(password);
    let staff = backend::services::auth::sign_in(&ctx.core, &email, &password, &meta().await?)
        .await
        .map_err(fail)?;
    start_console_session(&session().await?, &staff)
        .await
        .map_err(|_| AppError::internal("could not start a session"))?;
    leptos_axum::redirect("/console");
    Ok(())
}
