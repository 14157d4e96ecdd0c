use leptos::prelude::*;

use crate::error::AppError;

/// Switches a partner (`kind` = "partner") or an identity provider (`kind` = "idp") on or
/// off.
#[server]
pub async fn set_federation_enabled(
    csrf: String,
    kind: String,
    id: String,
    enabled: bool,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::store::partners::Toggle;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let what = match kind.as_str() {
        "partner" => Toggle::Partner,
        "idp" => Toggle::Idp,
        _ => return Err(AppError::invalid("kind", "kind must be partner or idp")),
    };
    backend::services::partners::set_enabled(&ctx.core, &staff, what, &id, enabled, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Registers a partner as a law-enforcement agency (it may then receive criminal
/// intelligence under 28 CFR Part 23), or takes the registration off.
#[server]
pub async fn set_law_enforcement(
    csrf: String,
    id: String,
    registered: bool,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::partners::{self, PartnerInput};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let p = partners::get_partner(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    let input = PartnerInput {
        name: p.name,
        domains: p.domains,
        enabled: p.enabled,
        law_enforcement: Some(registered),
    };
    partners::update_partner(&ctx.core, &staff, &id, input, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
