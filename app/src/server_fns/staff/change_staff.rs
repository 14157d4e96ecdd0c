use leptos::prelude::*;

use crate::error::AppError;

/// One change to a staff account: `change` is `role` (to `role`), `disable`, `enable` or
/// `reset_password`.
#[server]
pub async fn change_staff(
    csrf: String,
    id: String,
    change: String,
    role: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::staff;
    let ctx = context()?;
    let who = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    let core = &ctx.core;
    let done = match change.as_str() {
        "role" => {
            let role = role
                .as_deref()
                .and_then(backend::domain::Role::parse)
                .ok_or_else(|| AppError::invalid("role", "choose a role"))?;
            staff::change_role(core, &who, &id, role, &meta).await
        }
        "disable" => staff::set_disabled(core, &who, &id, true, &meta).await,
        "enable" => staff::set_disabled(core, &who, &id, false, &meta).await,
        "reset_password" => staff::reset_password(core, &who, &id, &meta).await,
        _ => {
            return Err(AppError::invalid(
                "change",
                "change must be role, disable, enable or reset_password",
            ))
        }
    };
    done.map_err(fail)?;
    Ok(())
}
