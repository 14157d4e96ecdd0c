use leptos::prelude::*;

use crate::error::AppError;

use crate::types::{AuditRowView, EventFilterChoices};

/// The newest audit events, optionally of one type or group (`event_type`) and about one
/// document (any of its revisions) or one share.
#[server]
pub async fn list_audit(
    event_type: Option<String>,
    document: Option<String>,
    share: Option<String>,
) -> Result<Vec<AuditRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::services::audit_log;
    let ctx = context()?;
    let staff = require_staff().await?;
    let filter = audit_log::AuditFilter {
        event_type: event_type.filter(|t| !t.is_empty()),
        document: document.filter(|d| !d.is_empty()),
        share_id: share.filter(|s| !s.is_empty()),
        limit: Some(200),
        ..Default::default()
    };
    let events = audit_log::list(&ctx.core, &staff, filter)
        .await
        .map_err(fail)?;
    Ok(events.items.into_iter().map(AuditRowView::from).collect())
}

/// What an event filter offers: the groups and every event type.
#[server]
pub async fn event_filter_options() -> Result<EventFilterChoices, AppError> {
    use backend::audit::{EventGroup, EventType};
    crate::ssr::require_staff().await?;
    Ok(EventFilterChoices {
        groups: EventGroup::ALL
            .iter()
            .map(|g| (g.as_str().to_owned(), g.label().to_owned()))
            .collect(),
        types: EventType::ALL
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect(),
    })
}
