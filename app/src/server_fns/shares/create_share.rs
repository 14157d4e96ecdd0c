use leptos::prelude::*;

use crate::types::CreatedShareView;

/// Creates a link share from the console form. `expires_on` is a date (YYYY-MM-DD); the
/// share expires at the end of that day, UTC. `max_access_count` is 0 for unlimited.
#[server]
pub async fn create_share(
    csrf: String,
    document_id: String,
    recipient_name: String,
    recipient_email: String,
    expires_on: String,
    max_access_count: String,
    require_acknowledgement: Option<String>,
) -> Result<CreatedShareView, ServerFnError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::{shares, ServiceError};
    use secrecy::ExposeSecret;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let invalid = |field: &'static str, message: &str| {
        fail(ServiceError::Invalid {
            field,
            message: message.into(),
        })
    };
    let expires_at = match expires_on.trim() {
        "" => None,
        d => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            let date = time::Date::parse(d, &fmt)
                .map_err(|_| invalid("expires_on", "the expiry date must look like 2026-12-31"))?;
            Some(date.with_time(time::macros::time!(23:59:59)).assume_utc())
        }
    };
    let max_access_count = match max_access_count.trim() {
        "" => 0,
        n => n.parse().map_err(|_| {
            invalid(
                "max_access_count",
                "the access count must be a whole number (0 = unlimited)",
            )
        })?,
    };
    let input = shares::NewShare {
        document_id,
        recipient_name,
        recipient_email,
        expires_at,
        max_access_count,
        require_acknowledgement: require_acknowledgement.is_some(),
    };
    let created = shares::create(&ctx.core, &staff, input, &meta().await)
        .await
        .map_err(fail)?;
    Ok(CreatedShareView {
        id: created.share.id,
        url: created.url.expose_secret().to_owned(),
        recipient_name: created.share.recipient.name,
    })
}
