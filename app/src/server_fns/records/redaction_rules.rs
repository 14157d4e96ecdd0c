use leptos::prelude::*;

use crate::error::AppError;
use crate::types::RedactionRulesView;

/// The organisation's redaction rules (field names withheld in every record), and whether
/// the viewer may change them (administrators: they are policy).
#[server]
pub async fn list_redaction_rules() -> Result<RedactionRulesView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let rules = backend::services::records::list_rules(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(RedactionRulesView {
        rules,
        may_change: staff.role.permits(backend::domain::Action::ManagePolicy),
    })
}

/// Withholds a field name in every record (and custody event) from guests.
#[server]
pub async fn add_redaction_rule(csrf: String, field_name: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::records::add_rule(&ctx.core, &staff, &field_name, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Stops withholding a field name by rule (marks on single records stay).
#[server]
pub async fn remove_redaction_rule(csrf: String, field_name: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::records::remove_rule(&ctx.core, &staff, &field_name, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
