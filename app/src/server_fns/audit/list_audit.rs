use leptos::prelude::*;

use crate::error::AppError;

use crate::types::AuditRowView;

/// The newest audit events, optionally of one type.
#[server]
pub async fn list_audit(event_type: Option<String>) -> Result<Vec<AuditRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::services::audit_log;
    let ctx = context()?;
    let staff = require_staff().await?;
    let filter = audit_log::AuditFilter {
        event_type: event_type.filter(|t| !t.is_empty()),
        limit: Some(200),
        ..Default::default()
    };
    let events = audit_log::list(&ctx.core, &staff, filter)
        .await
        .map_err(fail)?;
    Ok(events
        .items
        .into_iter()
        .map(|e| AuditRowView {
            occurred_at: e.occurred_at,
            event_type: e.event_type,
            actor_name: e.actor.name,
            credential: e.actor.credential,
            share_id: e.share_id,
            ip: e.ip,
            details: e.details.to_string(),
        })
        .collect())
}
