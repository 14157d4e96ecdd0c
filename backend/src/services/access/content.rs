//! What a portal session may see: the share's overview, its items and their bytes, each
//! fetch audited.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use super::current_share;
use crate::actor::{Guest, RequestMeta};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::services::{Result, ServiceError};
use crate::store::{self, documents::DocumentRow};
use crate::Liaison;

/// An item as the guest sees it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PortalItem {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the file (hex), so the guest can verify what they download.
    pub sha256: String,
    /// A newer revision of this document exists (the share keeps the one it was made of;
    /// the guest is told to ask the sender for a new share).
    pub revised: bool,
}

/// The documents the guest's share covers, in order (one for a single revision). For a
/// record share: the record's documents as they stand now, less the private ones (the
/// redaction projection decides, as for everything else of a record).
pub(super) async fn shared_documents(
    core: &Liaison,
    guest: &Guest,
) -> Result<Vec<Arc<DocumentRow>>> {
    let cache = core.revocations.shares();
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let ids: Arc<Vec<String>> = match &share.record_id {
        Some(record) => Arc::new(
            crate::services::records::guest_view(core, &guest.org_id, record)
                .await?
                .documents
                .into_iter()
                .map(|d| d.document_id)
                .collect(),
        ),
        None => {
            cache
                .covered(&core.db, &guest.org_id, &guest.share_id)
                .await?
        }
    };
    let mut docs = Vec::with_capacity(ids.len());
    for id in ids.iter() {
        docs.push(
            cache
                .document(&core.db, &guest.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("document"))?,
        );
    }
    Ok(docs)
}

/// The guest's share as it is now and its document `item_id`; any other id is "not found".
pub(super) async fn shared_document(
    core: &Liaison,
    guest: &Guest,
    item_id: &str,
) -> Result<(Arc<crate::domain::Share>, Arc<DocumentRow>)> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let d = shared_documents(core, guest)
        .await?
        .into_iter()
        .find(|d| d.id == item_id)
        .ok_or(ServiceError::NotFound("item"))?;
    Ok((share, d))
}

/// What the portal page shows around the items: marking, instructions, what is allowed.
#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub recipient_name: String,
    pub recipient_email: String,
    pub share_id: String,
    pub tlp: String,
    pub instructions: String,
    pub allow_download: bool,
    pub allow_print: bool,
    pub watermark: bool,
    pub permission: crate::domain::Permission,
    pub items: Vec<PortalItem>,
}

#[tracing::instrument(skip_all)]
pub async fn overview(core: &Liaison, guest: &Guest) -> Result<Overview> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    Ok(Overview {
        recipient_name: share.recipient_name.clone(),
        recipient_email: share.recipient_email.clone(),
        share_id: share.id.clone(),
        tlp: share.tlp.label(),
        instructions: share.settings.instructions.clone(),
        allow_download: share.settings.allow_download,
        allow_print: share.settings.allow_print,
        watermark: share.settings.watermark,
        permission: share.settings.permission,
        items: items(core, guest).await?,
    })
}

/// The items of the guest's share, and nothing else.
#[tracing::instrument(skip_all)]
pub async fn items(core: &Liaison, guest: &Guest) -> Result<Vec<PortalItem>> {
    let documents = shared_documents(core, guest).await?;
    let families: Vec<&str> = documents.iter().map(|d| d.family_id.as_str()).collect();
    let latest: std::collections::HashMap<String, i64> =
        store::documents::latest_revisions(core.db.pool(), &guest.org_id, &families)
            .await?
            .into_iter()
            .collect();
    Ok(documents
        .iter()
        .map(|d| PortalItem {
            revised: latest.get(&d.family_id).is_some_and(|n| *n > d.revision),
            ..portal_item(d)
        })
        .collect())
}

fn portal_item(d: &DocumentRow) -> PortalItem {
    PortalItem {
        revised: false,
        id: d.id.clone(),
        kind: "document",
        title: d.title.clone(),
        file_name: d.file_name.clone(),
        content_type: d.content_type.clone(),
        size_bytes: d.size_bytes,
        sha256: d.sha256.clone(),
    }
}

/// Records that the guest tried to print (the browser's `beforeprint`). Printing is blocked
/// in the page where the share does not allow it; either way the attempt is audited.
/// Returns whether printing is allowed.
#[tracing::instrument(skip_all)]
pub async fn record_print_attempt(
    core: &Liaison,
    guest: &Guest,
    meta: &RequestMeta,
) -> Result<bool> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let allowed = share.settings.allow_print;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &guest.org_id,
            event_type: EventType::PrintAttempted,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(&guest.item_id),
            details: json!({ "allowed": allowed }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(allowed)
}

/// Why the guest fetches an item's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Shown inline (a share that allows downloading and has no watermark only).
    View,
    /// Saved as a file: only where the share allows download.
    Download,
}

/// The bytes of one item of the share; any other id is "not found". Audited as a view
/// or a download.
#[tracing::instrument(skip_all)]
pub async fn item_content(
    core: &Liaison,
    guest: &Guest,
    item_id: &str,
    purpose: Purpose,
    meta: &RequestMeta,
) -> Result<(PortalItem, Bytes)> {
    let (share, d) = shared_document(core, guest, item_id).await?;
    if purpose == Purpose::Download && !share.settings.allow_download {
        return Err(ServiceError::Forbidden(
            "Downloading is not allowed for this content.",
        ));
    }
    // A view-only or watermarked share shows pages drawn on the server (`pages`): its
    // original file is never sent to be shown.
    if purpose == Purpose::View && (!share.settings.allow_download || share.settings.watermark) {
        return Err(ServiceError::Forbidden(
            "This content is shown as pages only: open it in the viewer.",
        ));
    }
    // A watermarked share's download carries the watermark: stamped, never the original.
    let (item, bytes, stamped_view) = if purpose == Purpose::Download && share.settings.watermark {
        let (content_type, file_name, bytes, view) =
            super::pages::stamped(core, guest, &share, &d, meta).await?;
        let item = PortalItem {
            content_type,
            file_name,
            size_bytes: bytes.len() as i64,
            ..portal_item(&d)
        };
        (item, bytes, Some(view))
    } else {
        (portal_item(&d), core.blobs.get(&d.blob_key).await?, None)
    };
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &guest.org_id,
            event_type: match purpose {
                Purpose::View => EventType::ItemViewed,
                Purpose::Download => EventType::ItemDownloaded,
            },
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(&d.id),
            details: match &stamped_view {
                Some(view) => json!({ "title": d.title, "stamped": true, "view": view }),
                None => json!({ "title": d.title }),
            },
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok((item, bytes))
}
