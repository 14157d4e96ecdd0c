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
    Ok(policy_view(
        &p,
        staff.role.permits(backend::domain::Action::ManagePolicy),
    ))
}

/// A policy as the console shows it, enums by their API names.
#[cfg(feature = "ssr")]
pub(crate) fn policy_view(p: &backend::domain::Policy, is_admin: bool) -> PolicyView {
    PolicyView {
        default_expiry_days: p.default_expiry_days,
        max_expiry_days: p.max_expiry_days,
        allow_custom_expiry: p.allow_custom_expiry,
        default_max_access_count: p.default_max_access_count,
        allow_controller_override: p.allow_controller_override,
        allowed_scopes: names(&p.allowed_scopes),
        require_acknowledgement: p.require_acknowledgement,
        allowed_methods: names(&p.allowed_methods),
        tlp_ceiling: name(&p.tlp_ceiling),
        revoked_link: name(&p.revoked_link),
        secret_max_lifetime_hours: p.secrets.max_lifetime_hours,
        secret_code_required_from: name(&p.secrets.code_required_from),
        secret_recipients: names(&p.secrets.recipients),
        watermark_opacity: p.viewer.watermark_opacity,
        watermark_density: p.viewer.watermark_density,
        is_admin,
    }
}

/// An enum's wire name (its serde name, the REST API's).
#[cfg(feature = "ssr")]
pub(crate) fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The wire names of a list of enums.
#[cfg(feature = "ssr")]
pub(crate) fn names<T: serde::Serialize>(list: &[T]) -> Vec<String> {
    list.iter().map(name).collect()
}
