use leptos::prelude::*;

use crate::error::AppError;

/// Invites a staff member: `sign_in` is `password` (a one-time link to choose one is
/// mailed) or `idp` (they sign in through the organisation's identity provider).
#[server]
pub async fn invite_staff(
    csrf: String,
    email: String,
    name: String,
    role: String,
    sign_in: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::domain::{Role, SignIn};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let role = Role::parse(&role).ok_or_else(|| {
        AppError::invalid(
            "role",
            "choose a role: administrator, document controller or auditor",
        )
    })?;
    let sign_in = SignIn::parse(&sign_in)
        .ok_or_else(|| AppError::invalid("sign_in", "choose how they sign in"))?;
    let new = backend::services::staff::NewStaff {
        email,
        name,
        role,
        sign_in,
    };
    backend::services::staff::invite(&ctx.core, &staff, new, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
