// One argument per form field (see create_share); the `#[server]` macro repeats the
// signature on the browser side, hence a module-wide allow.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

/// The share page's "Change" form: expiry date, access limit and what the recipient may
/// do. The form posts every field; an expiry date or limit equal to the share's current
/// one is left alone (so a controller who may not change them can still change the
/// permissions).
#[server]
pub async fn change_share(
    csrf: String,
    id: String,
    expires_on: String,
    max_access_count: String,
    permission: String,
    allow_download: Option<String>,
    allow_print: Option<String>,
    watermark: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::{shares, ServiceError};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let current = shares::get(&ctx.core, &staff, &id).await.map_err(fail)?;
    let expiry = super::form_expiry_date(&expires_on)
        .map_err(fail)?
        .filter(|at| {
            current.expires_at.as_deref().and_then(|e| e.get(..10))
                != Some(at.date().to_string().as_str())
        })
        .map(shares::Expiry::At);
    let max_access_count = super::form_access_count(&max_access_count)
        .map_err(fail)?
        .filter(|n| *n != current.max_access_count);
    let permission = backend::domain::Permission::parse(&permission).ok_or_else(|| {
        fail(ServiceError::Invalid {
            field: "settings.permission",
            message: "choose view, comment or edit".into(),
        })
    })?;
    shares::change(
        &ctx.core,
        &staff,
        &id,
        shares::ShareChange {
            expiry,
            max_access_count,
            permission: Some(permission),
            allow_download: Some(allow_download.is_some()),
            allow_print: Some(allow_print.is_some()),
            watermark: Some(watermark.is_some()),
        },
        &meta().await,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
