//! The browsers bound to a share, and the owner's decision on each.

use serde::Serialize;
use serde_json::json;

use super::view::get;
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::DeviceStatus;
use crate::services::{rfc3339, Result, ServiceError};
use crate::store::{self, from_millis};
use crate::Liaison;

/// A browser bound to a share, as the owner sees it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub status: DeviceStatus,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<store::devices::DeviceRow> for DeviceView {
    fn from(d: store::devices::DeviceRow) -> Self {
        Self {
            id: d.id,
            status: d.status,
            first_seen_at: rfc3339(from_millis(d.first_seen_at)),
            last_seen_at: rfc3339(from_millis(d.last_seen_at)),
            ip: d.ip,
            user_agent: d.user_agent,
        }
    }
}

/// The browsers that opened (or wait to open) a share.
#[tracing::instrument(skip_all)]
pub async fn devices(core: &Liaison, who: &Staff, id: &str) -> Result<Vec<DeviceView>> {
    get(core, who, id).await?;
    Ok(store::devices::list(core.db.pool(), &who.org_id, id)
        .await?
        .into_iter()
        .map(DeviceView::from)
        .collect())
}

/// Approves or rejects a browser waiting for a share with "approved devices only".
#[tracing::instrument(skip_all)]
pub async fn decide_device(
    core: &Liaison,
    who: &Staff,
    id: &str,
    device_id: &str,
    approve: bool,
    meta: &RequestMeta,
) -> Result<Vec<DeviceView>> {
    crate::services::authorize(who, crate::domain::Action::ManageOwnShare)?;
    let share = get(core, who, id).await?;
    super::authorize_manage(who, &share.created_by.id)?;
    let status = if approve {
        DeviceStatus::Approved
    } else {
        DeviceStatus::Rejected
    };
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let changed = store::devices::decide(
        &mut *tx,
        &who.org_id,
        id,
        device_id,
        status,
        &who.user_id,
        now,
    )
    .await?;
    if !changed {
        tx.rollback().await?;
        let known = store::devices::list(core.db.pool(), &who.org_id, id)
            .await?
            .into_iter()
            .any(|d| d.id == device_id);
        return if known {
            devices(core, who, id).await
        } else {
            Err(ServiceError::NotFound("device"))
        };
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::DeviceDecided,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&share.item.id),
            details: json!({ "device": device_id, "decision": status.as_str() }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    // A rejected browser's open channels are cut now, on every node, not at their next
    // request.
    let changed = crate::revocation::Revoked {
        org_id: who.org_id.clone(),
        share_id: id.to_owned(),
    };
    crate::revocation::notify_changed_in(&mut tx, core.db.engine(), &changed).await?;
    tx.commit().await?;
    core.revocations.publish_changed(changed);
    devices(core, who, id).await
}
