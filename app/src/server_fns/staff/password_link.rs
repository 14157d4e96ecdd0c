use leptos::prelude::*;

use crate::error::AppError;
use crate::types::PasswordLinkView;

/// What a set-password link is for, when it is usable (no sign-in: the link is the
/// credential; rate-limited per address and attempt-limited per link).
#[server]
pub async fn check_password_link(token: String) -> Result<PasswordLinkView, AppError> {
    use crate::ssr::{context, fail};
    let ctx = context()?;
    let link = backend::services::staff::links::check(&ctx.core, &token)
        .await
        .map_err(fail)?;
    Ok(PasswordLinkView {
        email: link.email,
        name: link.name,
        organisation: link.organisation,
        purpose: link.purpose.as_str().into(),
        expires_at: link.expires_at,
    })
}

/// Sets the password through a link and signs the person in (a new console session; every
/// earlier one of the account has ended).
#[server]
pub async fn set_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, session, start_console_session};
    use secrecy::SecretString;
    let ctx = context()?;
    let staff = backend::services::staff::links::set_password(
        &ctx.core,
        &token,
        &SecretString::from(password),
        &SecretString::from(confirm),
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    start_console_session(&session().await?, &staff)
        .await
        .map_err(|_| AppError::internal("could not start a session"))?;
    leptos_axum::redirect("/console");
    Ok(())
}
