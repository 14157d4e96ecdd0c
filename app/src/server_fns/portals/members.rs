//! The console's portal member forms: add, change (role and expiry), remove, and the
//! domains managers may add members from.

use leptos::prelude::*;

use crate::error::AppError;

/// The console's membership role field: `member` or `manager`.
#[cfg(feature = "ssr")]
fn form_role(text: &str) -> Result<backend::domain::MemberRole, backend::services::ServiceError> {
    backend::domain::MemberRole::parse(text.trim()).ok_or_else(|| {
        backend::services::ServiceError::Invalid {
            field: "role",
            message: "choose Member or Manager".into(),
        }
    })
}

#[server]
pub async fn add_portal_member(
    csrf: String,
    portal_id: String,
    name: String,
    email: String,
    role: String,
    expires_on: String,
) -> Result<(), AppError> {
    use crate::server_fns::shares::form_expiry_date;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::portals::members;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let input = members::MemberInput {
        name,
        email,
        role: form_role(&role).map_err(fail)?,
        expires_at: form_expiry_date(&expires_on).map_err(fail)?,
    };
    members::add_member(&ctx.core, &staff, &portal_id, &input, &meta().await?)
        .await
        .map_err(fail)
}

/// Changes a member's role and expiry (an empty date: no expiry).
#[server]
pub async fn change_portal_member(
    csrf: String,
    portal_id: String,
    member_id: String,
    role: String,
    expires_on: String,
) -> Result<(), AppError> {
    use crate::server_fns::shares::form_expiry_date;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::portals::members;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    members::change_member(
        &ctx.core,
        &staff,
        &portal_id,
        &member_id,
        form_role(&role).map_err(fail)?,
        form_expiry_date(&expires_on).map_err(fail)?,
        &meta().await?,
    )
    .await
    .map_err(fail)
}

/// Removes a member and revokes their shares in the portal; returns how many.
#[server]
pub async fn remove_portal_member(
    csrf: String,
    portal_id: String,
    member_id: String,
) -> Result<usize, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::members::remove_member(
        &ctx.core,
        &staff,
        &portal_id,
        &member_id,
        &meta().await?,
    )
    .await
    .map_err(fail)
}

/// The domains the portal's managers may add members from: one per line or comma.
#[server]
pub async fn save_member_domains(
    csrf: String,
    portal_id: String,
    domains: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let list: Vec<String> = domains
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    backend::services::portals::members::set_member_domains(
        &ctx.core,
        &staff,
        &portal_id,
        &list,
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
