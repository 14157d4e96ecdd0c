use leptos::prelude::*;

use crate::error::AppError;

use crate::types::MailRowView;

/// The organisation's outgoing mail (administrators). Local mail includes its text.
#[server]
pub async fn list_outbox() -> Result<Vec<MailRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let mails = backend::services::outbox::list(&ctx.core, &staff, 100)
        .await
        .map_err(fail)?;
    Ok(mails
        .into_iter()
        .map(|m| MailRowView {
            created_at: m.created_at,
            kind: m.kind,
            to: m.to,
            subject: m.subject,
            status: m.status.as_str().to_owned(),
            attempts: m.attempts,
            last_error: m.last_error,
            body_text: m.body_text,
        })
        .collect())
}
