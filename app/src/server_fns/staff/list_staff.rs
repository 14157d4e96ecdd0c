use leptos::prelude::*;

use crate::error::AppError;
use crate::types::StaffRowView;

/// The organisation's staff accounts (administrators).
#[server]
pub async fn list_staff() -> Result<Vec<StaffRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let list = backend::services::staff::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(list.into_iter().map(row).collect())
}

#[cfg(feature = "ssr")]
pub(super) fn row(s: backend::services::staff::StaffView) -> StaffRowView {
    StaffRowView {
        id: s.id,
        email: s.email,
        name: s.name,
        role: s.role.as_str().into(),
        role_label: s.role.label().into(),
        sign_in: s.sign_in.as_str().into(),
        status: s.status.as_str().into(),
        status_label: s.status.label().into(),
        link_expires_at: s.link_expires_at,
        created_at: s.created_at,
        you: s.you,
    }
}
