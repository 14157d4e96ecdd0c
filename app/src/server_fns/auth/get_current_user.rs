use leptos::prelude::*;

use crate::error::AppError;

use crate::types::CurrentUser;

/// The signed-in staff member, or `None`.
#[server]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let found = crate::ssr::staff().await?;
    Ok(found.map(|(s, csrf)| CurrentUser {
        name: s.name,
        email: s.email,
        role: s.role.as_str().to_owned(),
        csrf,
    }))
}
