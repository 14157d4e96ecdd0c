use leptos::prelude::*;

use crate::error::AppError;

/// Adds a partner organisation; `domains` is a list separated by commas, spaces or lines;
/// `law_enforcement` ticked registers it as a law-enforcement agency (28 CFR Part 23).
#[server]
pub async fn create_partner(
    csrf: String,
    name: String,
    domains: String,
    law_enforcement: Option<String>,
) -> Result<(), AppError> {
    use crate::server_fns::ticked;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let input = backend::services::partners::PartnerInput {
        name,
        domains: domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect(),
        enabled: true,
        law_enforcement: Some(ticked(&law_enforcement)),
    };
    backend::services::partners::create_partner(&ctx.core, &staff, input, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
