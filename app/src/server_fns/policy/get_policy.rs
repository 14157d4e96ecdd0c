use leptos::prelude::*;

use crate::error::AppError;

use crate::types::PolicyView;

/// The organisation's External Access settings (defaults until first saved).
#[server]
pub async fn get_policy() -> Result<PolicyView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let p = backend::services::policy::get(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    // The enums' wire names are their serde names (the REST API's).
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let names = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(PolicyView {
        default_expiry_days: p.default_expiry_days,
        max_expiry_days: p.max_expiry_days,
        allow_custom_expiry: p.allow_custom_expiry,
        default_max_access_count: p.default_max_access_count,
        allow_controller_override: p.allow_controller_override,
        allowed_scopes: names(serde_json::json!(p.allowed_scopes)),
        require_acknowledgement: p.require_acknowledgement,
        allowed_methods: names(serde_json::json!(p.allowed_methods)),
        tlp_ceiling: name(serde_json::json!(p.tlp_ceiling)),
        revoked_link: name(serde_json::json!(p.revoked_link)),
        is_admin: staff.role == backend::domain::Role::Admin,
    })
}
