//! The share's link again: copied to the clipboard or mailed in a fresh invitation.

use secrecy::SecretString;
use serde_json::json;

use super::view::get;
use super::ShareView;
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::ShareStatus;
use crate::services::share_core::share_link;
use crate::services::{Result, ServiceError};
use crate::{store, Liaison};

/// Opens the share's sealed link token.
async fn unseal_link(core: &Liaison, who: &Staff, id: &str) -> Result<SecretString> {
    share_link(core, &who.org_id, id).await
}

/// The share's link again (staff who may manage shares). Audited.
#[tracing::instrument(skip_all)]
pub async fn copy_link(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<SecretString> {
    crate::services::authorize(who, crate::domain::Action::ManageOwnShare)?;
    let view = get(core, who, id).await?;
    super::authorize_manage(who, &view.created_by.id)?;
    let url = unseal_link(core, who, id).await?;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::ShareLinkCopied,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&view.item.id),
            details: json!({ "recipient": view.recipient }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(url)
}

/// Sends the original invitation again: the same link, a new mail. Audited.
#[tracing::instrument(skip_all)]
pub async fn resend_invitation(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<ShareView> {
    crate::services::authorize(who, crate::domain::Action::ManageOwnShare)?;
    let view = get(core, who, id).await?;
    super::authorize_manage(who, &view.created_by.id)?;
    if view.status != ShareStatus::Active {
        return Err(ServiceError::Conflict(format!(
            "the share is {}; only an active share's invitation can be sent again",
            view.status.as_str()
        )));
    }
    let url = unseal_link(core, who, id).await?;
    let share = store::shares::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let mut tx = core.db.begin().await?;
    crate::services::notify::invitation(core, &mut tx, &share, &url).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::InvitationSent,
            actor: AuditActor::Staff(who),
            share_id: Some(id),
            item_id: Some(&view.item.id),
            details: json!({ "to": view.recipient, "resent": true }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}
