use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The share page's "Change" form, as it posts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ShareChangeForm {
    pub csrf: String,
    pub id: String,
    /// The expiry as the form showed it (`2026-12-31T17:00`, the viewer's zone).
    pub expires_at_shown: String,
    /// The expiry as posted, in the same form; equal to `expires_at_shown` = unchanged.
    pub expires_at_local: String,
    /// `getTimezoneOffset()` of the posted expiry; blank = UTC.
    pub tz_offset_minutes: String,
    pub max_access_count: String,
    pub permission: String,
    pub allow_download: Option<String>,
    pub allow_print: Option<String>,
    pub watermark: Option<String>,
}

/// The share page's "Change" form: expiry, access limit and what the recipient may do.
/// The form posts every field; an expiry as the form showed it, or a limit equal to the
/// share's current one, is left alone (so a controller who may not change them can still
/// change the permissions).
#[server]
pub async fn change_share(#[server(flatten)] form: ShareChangeForm) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::{shares, ServiceError};
    let ShareChangeForm {
        csrf,
        id,
        expires_at_shown,
        expires_at_local,
        tz_offset_minutes,
        max_access_count,
        permission,
        allow_download,
        allow_print,
        watermark,
    } = form;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let current = shares::get(&ctx.core, &staff, &id).await.map_err(fail)?;
    let expiry = if expires_at_local.trim() == expires_at_shown.trim() {
        None
    } else {
        Some(super::form_expiry("custom", &expires_at_local, &tz_offset_minutes).map_err(fail)?)
    };
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
            allow_download: Some(crate::server_fns::ticked(&allow_download)),
            allow_print: Some(crate::server_fns::ticked(&allow_print)),
            watermark: Some(crate::server_fns::ticked(&watermark)),
        },
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
