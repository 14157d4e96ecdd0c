//! "Trace a leak": a screenshot, photo or scan of a page a guest was served names the view
//! it came from — share, document, recipient, when — through the marks baked into every
//! watermarked page. Staff who read the audit log may trace; each trace is audited (the
//! views found, never the picture). The picture is decoded by the renderer pool, in a
//! process of its own: it is as untrusted as any upload.

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::Action;
use crate::services::{authorize, rfc3339, Result, ServiceError};
use crate::store::{self, from_millis};
use crate::Liaison;

/// The largest picture traced.
pub const MAX_PICTURE_BYTES: usize = 20 << 20;
/// The most views one picture is traced to (a renderer's answer is not trusted further).
pub const MAX_VIEWS: usize = 16;

/// A view a traced page came from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TracedView {
    pub view: String,
    pub share_id: String,
    pub document_id: String,
    pub document_title: String,
    pub recipient_name: String,
    pub recipient_email: String,
    /// When the guest opened the document (RFC 3339).
    pub viewed_at: String,
    /// The line baked into the page.
    pub watermark: String,
}

/// The views of this organisation whose marks are on `picture` (none: no readable mark,
/// or only another organisation's — which is not told).
#[tracing::instrument(skip_all)]
pub async fn trace(
    core: &Liaison,
    who: &Staff,
    picture: Bytes,
    meta: &RequestMeta,
) -> Result<Vec<TracedView>> {
    authorize(who, Action::ReadAudit)?;
    if picture.is_empty() {
        return Err(ServiceError::invalid(
            "picture",
            "choose a screenshot, photo or scan of the page",
        ));
    }
    if picture.len() > MAX_PICTURE_BYTES {
        return Err(ServiceError::PayloadTooLarge {
            limit: MAX_PICTURE_BYTES,
        });
    }
    let slot = core
        .viewer
        .pool
        .enter()
        .await
        .map_err(crate::viewer::cache::refused)?;
    let ids = match core.viewer.pool.trace(slot, &picture).await {
        Ok(ids) => ids,
        // A picture that cannot be read is audited too (a trace was tried); a renderer
        // that could not run is ours, and logged.
        Err(e) if e.is_files_fault() => {
            audited(
                core,
                who,
                meta,
                json!({
                    "picture_bytes": picture.len(),
                    "refused": e.to_string(),
                }),
                &[],
            )
            .await?;
            return Err(ServiceError::invalid(
                "picture",
                format!("The picture cannot be read: {e}."),
            ));
        }
        Err(e) => return Err(crate::viewer::cache::refused(e)),
    };
    let ids = ids
        .into_iter()
        .filter(|id| render::mark::is_view_id(id))
        .take(MAX_VIEWS);
    let mut found = Vec::new();
    for id in ids {
        let Some(v) = store::pages::view(core.db.pool(), &who.org_id, &id).await? else {
            continue;
        };
        let title = store::documents::get(core.db.pool(), &who.org_id, &v.document_id)
            .await?
            .map(|d| d.title)
            .unwrap_or_default();
        found.push(TracedView {
            view: v.id,
            share_id: v.share_id,
            document_id: v.document_id,
            document_title: title,
            recipient_name: v.recipient_name,
            recipient_email: v.recipient_email,
            viewed_at: rfc3339(from_millis(v.created_at)),
            watermark: v.watermark,
        });
    }
    let details = json!({
        "picture_bytes": picture.len(),
        "views": found.iter().map(|v| json!({
            "view": v.view, "share": v.share_id, "document": v.document_id,
            "recipient": v.recipient_email,
        })).collect::<Vec<_>>(),
    });
    audited(core, who, meta, details, &found).await?;
    Ok(found)
}

/// Records a trace (`audit.leak_traced`), under the first view's share and document.
async fn audited(
    core: &Liaison,
    who: &Staff,
    meta: &RequestMeta,
    details: serde_json::Value,
    found: &[TracedView],
) -> Result<()> {
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::LeakTraced,
            actor: AuditActor::Staff(who),
            share_id: found.first().map(|v| v.share_id.as_str()),
            item_id: found.first().map(|v| v.document_id.as_str()),
            details,
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(())
}
