use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{ApiKeysView, CreatedKeyView};

/// The API keys the signed-in staff member may see: their own, or everyone's for
/// administrators.
#[server]
pub async fn list_api_keys() -> Result<ApiKeysView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::ApiKeyRowView;
    use backend::domain::Action;
    let ctx = context()?;
    let staff = require_staff().await?;
    let keys = backend::services::api_keys::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(ApiKeysView {
        keys: keys
            .into_iter()
            .map(|k| ApiKeyRowView {
                id: k.id,
                name: k.name,
                prefix: k.prefix,
                owner: k.owner,
                scope: k.scope.as_str().into(),
                created_at: k.created_at,
                expires_at: k.expires_at,
                last_used_at: k.last_used_at,
                last_used_ip: k.last_used_ip,
                status: k.status.into(),
            })
            .collect(),
        may_write: staff.role.may_hold_write_keys(),
        everyone: staff.role.permits(Action::ManageAllApiKeys),
    })
}

/// Creates a key acting as the signed-in staff member; `expires_in_days` blank = never.
/// The secret is in the answer, once.
#[server]
pub async fn create_api_key(
    csrf: String,
    name: String,
    scope: String,
    expires_in_days: Option<String>,
) -> Result<CreatedKeyView, AppError> {
    use crate::server_fns::chosen;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use secrecy::ExposeSecret;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let scope = backend::domain::KeyScope::parse(&scope)
        .ok_or_else(|| AppError::invalid("scope", "choose read or admin"))?;
    let expires_in_days = chosen(&expires_in_days)
        .map(|d| {
            d.trim().parse::<u32>().map_err(|_| {
                AppError::invalid("expires_in_days", "the expiry is a whole number of days")
            })
        })
        .transpose()?;
    let new = backend::services::api_keys::NewKey {
        name,
        scope,
        expires_in_days,
    };
    let (key, secret) = backend::services::api_keys::create(&ctx.core, &staff, new, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(CreatedKeyView {
        name: key.name,
        secret: secret.expose_secret().to_owned(),
    })
}

/// Revokes a key: its next request is refused.
#[server]
pub async fn revoke_api_key(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::api_keys::revoke(&ctx.core, &staff, &id, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
