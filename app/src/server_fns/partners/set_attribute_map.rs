use leptos::prelude::*;

use crate::error::AppError;

/// Replaces an identity provider's attribute mapping. Each field is a comma-separated list
/// of attribute (SAML) or claim (OIDC) names, tried in order.
#[server]
pub async fn set_attribute_map(
    csrf: String,
    id: String,
    email: String,
    display_name: String,
    organisation: String,
    groups: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let names = |v: &str| v.split(',').map(|n| n.trim().to_owned()).collect();
    let map = backend::federation::AttributeMap {
        email: names(&email),
        display_name: names(&display_name),
        organisation: names(&organisation),
        groups: names(&groups),
    };
    backend::services::partners::set_attribute_map(&ctx.core, &staff, &id, map, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
