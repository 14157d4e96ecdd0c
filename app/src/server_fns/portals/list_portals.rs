use leptos::prelude::*;

use crate::error::AppError;

use crate::types::PortalRowView;

/// The organisation's portals with their active members.
#[server]
pub async fn list_portals() -> Result<Vec<PortalRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::PortalMemberView;
    let ctx = context()?;
    let staff = require_staff().await?;
    let portals = backend::services::portals::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(portals
        .into_iter()
        .map(|p| PortalRowView {
            id: p.id,
            name: p.name,
            members: p
                .members
                .into_iter()
                .map(|m| PortalMemberView {
                    id: m.id,
                    name: m.name,
                    email: m.email,
                })
                .collect(),
        })
        .collect())
}
