//! Background work on shares: expiry reminders and recording expiry.

use serde_json::json;

use crate::actor::RequestMeta;
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::services::share_core::record_expiry;
use crate::services::{rfc3339, Result};
use crate::{store, Liaison};

/// Sends due expiry reminders (each once), for up to `batch` shares. Returns how many.
#[tracing::instrument(skip_all)]
pub async fn send_expiry_reminders(core: &Liaison, batch: i64) -> Result<usize> {
    let now = core.now_ms();
    let due = store::shares::due_for_reminder(core.db.pool(), now, batch).await?;
    let meta = RequestMeta::default();
    let mut sent = 0;
    for (org_id, id) in &due {
        let Some(share) = store::shares::get(core.db.pool(), org_id, id).await? else {
            continue;
        };
        let mut tx = core.db.begin().await?;
        if store::shares::mark_reminded(&mut *tx, org_id, id, now).await? {
            crate::services::notify::expiry_reminder(core, &mut tx, &share).await?;
            audit::record(
                &mut tx,
                NewEvent {
                    org_id,
                    event_type: EventType::ExpiryReminderSent,
                    actor: AuditActor::System,
                    share_id: Some(id),
                    item_id: Some(share.item_id()),
                    details: json!({ "to": share.recipient_email, "expires_at": share.expires_at.map(rfc3339) }),
                    meta: &meta,
                    at_ms: now,
                },
            )
            .await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// One sweep: records expiry for up to `batch` shares. Returns how many were processed.
#[tracing::instrument(skip_all)]
pub async fn sweep_expired(core: &Liaison, batch: i64) -> Result<usize> {
    let due = store::shares::due_for_expiry(core.db.pool(), core.now_ms(), batch).await?;
    let meta = RequestMeta::default();
    for (org_id, id) in &due {
        if let Some(share) = store::shares::get(core.db.pool(), org_id, id).await? {
            record_expiry(core, &share, &meta).await?;
        }
    }
    Ok(due.len())
}
