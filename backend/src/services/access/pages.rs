//! The protected viewer for a guest: a document opened as a *view* (an id its pages' marks
//! carry, with the watermark line fixed at the opening: recipient, email, time, share,
//! marking), then its pages as images drawn on the server, the watermark baked into each
//! where the share has one. The original file never leaves this way.

use bytes::Bytes;
use rand::Rng;
use render::overlay::Watermark;
use render::{encode, mark};
use serde::Serialize;
use serde_json::json;

use super::content::shared_document;
use crate::actor::{Guest, RequestMeta};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::services::{rfc3339, Result, ServiceError};
use crate::store::{self, pages::ViewRow};
use crate::viewer::{cache, width_bucket};
use crate::Liaison;

/// A page's size in points: the viewer lays pages out before their images arrive.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PageBox {
    pub width: f32,
    pub height: f32,
}

/// A document opened in the viewer.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PageView {
    /// The view: page requests name it, and every page's marks carry it.
    pub view: String,
    pub pages: Vec<PageBox>,
    /// The line baked into every page (recipient, email, time of opening, share, marking),
    /// where the share has a watermark.
    pub watermark: Option<String>,
}

fn new_view_id() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..mark::ID_LEN)
        .map(|_| char::from(mark::ALPHABET[rng.gen_range(0..mark::ALPHABET.len())]))
        .collect()
}

/// A new view of `d` by the guest: its id and the watermark fixed now (the recipient, the
/// time, the share, the marking; the organisation's opacity and density).
async fn new_view(
    core: &Liaison,
    guest: &Guest,
    share: &crate::domain::Share,
    d: &store::documents::DocumentRow,
) -> Result<ViewRow> {
    let look = crate::services::policy::org_policy(core, &guest.org_id)
        .await?
        .viewer;
    let now = core.now();
    let line = format!(
        "{} · {} · {} · share {} · {}",
        guest.recipient_name,
        guest.recipient_email,
        now.format(&time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|_| rfc3339(now)),
        share.id,
        share.tlp.label()
    );
    let view = ViewRow {
        id: new_view_id(),
        org_id: guest.org_id.clone(),
        share_id: share.id.clone(),
        document_id: d.id.clone(),
        session_id: guest.session_id.clone(),
        recipient_name: guest.recipient_name.clone(),
        recipient_email: guest.recipient_email.clone(),
        watermark: line,
        opacity: i64::from(look.watermark_opacity),
        density: i64::from(look.watermark_density),
        created_at: core.now_ms(),
    };
    store::pages::insert_view(core.db.pool(), &view).await?;
    Ok(view)
}

/// A download of `d` with the watermark in it (a share with a watermark that allows
/// downloading): a PDF stamped on every page (a text file becomes one), or a picture with
/// the watermark baked in. Returns the content type, the file name and the bytes, and the
/// view the file's marks name.
pub(super) async fn stamped(
    core: &Liaison,
    guest: &Guest,
    share: &crate::domain::Share,
    d: &store::documents::DocumentRow,
    meta: &RequestMeta,
) -> Result<(String, String, Bytes, String)> {
    let source = cache::source_of(d)?;
    let view = new_view(core, guest, share, d).await?;
    let slot = core.viewer.pool.enter().await.map_err(cache::refused)?;
    let file = core.blobs.get(&d.blob_key).await?;
    let stamp = render::stamp::Stamp {
        text: view.watermark.clone(),
        view_id: view.id.clone(),
        opacity: view.opacity as f32 / 100.0,
    };
    let density = u8::try_from(view.density).unwrap_or(u8::MAX);
    let (content_type, bytes) = match core
        .viewer
        .pool
        .stamp(slot, source, &file, &stamp, density)
        .await
    {
        Ok(done) => done,
        Err(e) => return Err(render_failed(core, guest, d, e, meta).await),
    };
    let stem = d
        .file_name
        .rsplit_once('.')
        .map_or(d.file_name.as_str(), |(stem, _)| stem);
    let name = match content_type.as_str() {
        "application/pdf" => format!("{stem}.pdf"),
        _ => format!("{stem}.jpg"),
    };
    Ok((content_type, name, Bytes::from(bytes), view.id))
}

/// Opens document `item_id` of the guest's share in the viewer: its pages' sizes (a file
/// that cannot be shown is refused, saying why) and the session's view of it (made at its
/// first opening, which fixes the watermark's time; a reload reuses it), audited as
/// `item.viewed` each time.
#[tracing::instrument(skip_all)]
pub async fn open_view(
    core: &Liaison,
    guest: &Guest,
    item_id: &str,
    meta: &RequestMeta,
) -> Result<PageView> {
    let (share, d) = shared_document(core, guest, item_id).await?;
    let sizes = match cache::layout(core, &d).await? {
        Ok(sizes) => sizes,
        Err(e) => return Err(render_failed(core, guest, &d, e, meta).await),
    };
    let pool = core.db.pool();
    let view =
        match store::pages::session_view(pool, &guest.org_id, &share.id, &d.id, &guest.session_id)
            .await?
        {
            Some(v) => v,
            None => new_view(core, guest, &share, &d).await?,
        };
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &guest.org_id,
            event_type: EventType::ItemViewed,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(&d.id),
            details: json!({ "title": d.title, "view": view.id, "pages": sizes.len() }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(PageView {
        view: view.id.clone(),
        pages: sizes
            .iter()
            .map(|s| PageBox {
                width: s.width,
                height: s.height,
            })
            .collect(),
        watermark: share.settings.watermark.then_some(view.watermark),
    })
}

/// Page `page` (from 1) of view `view_id` as a JPEG about `width` pixels wide (rounded up
/// to a cached width), the share's watermark baked in. The view must be this session's,
/// of this document; anything else is "not found".
#[tracing::instrument(skip_all)]
pub async fn page_image(
    core: &Liaison,
    guest: &Guest,
    item_id: &str,
    view_id: &str,
    page: u32,
    width: u32,
    meta: &RequestMeta,
) -> Result<Bytes> {
    let (share, d) = shared_document(core, guest, item_id).await?;
    let view = match mark::is_view_id(view_id) {
        true => store::pages::view(core.db.pool(), &guest.org_id, view_id).await?,
        false => None,
    }
    .filter(|v| v.share_id == share.id && v.document_id == d.id && v.session_id == guest.session_id)
    .ok_or(ServiceError::NotFound("view"))?;
    let pages = cache::layout(core, &d).await?.map_err(cache::refused)?;
    if page == 0 || page as usize > pages.len() {
        return Err(ServiceError::NotFound("page"));
    }
    let clean = match cache::page(core, &d, page - 1, width_bucket(width)).await? {
        Ok(p) => p,
        Err(e) => return Err(render_failed(core, guest, &d, e, meta).await),
    };
    // Decoding the cached page, the share's watermark (drawn once per view and size)
    // composited onto it, the JPEG: CPU work, through the viewer's bounded queue, its slot
    // held until the work is done.
    let slot = core.viewer.compose.enter().await.map_err(cache::refused)?;
    let (w, h) = clean.size().map_err(cache::refused)?;
    let layer = match share.settings.watermark {
        true => {
            let wm = Watermark {
                text: view.watermark,
                view_id: view.id,
                opacity: view.opacity as f32 / 100.0,
                density: u32::try_from(view.density).unwrap_or(0),
            };
            let layers = &core.viewer.layers;
            let layer = layers.get(&wm, w, h).await;
            Some(layer.map_err(cache::refused)?)
        }
        false => None,
    };
    let (document, index) = (d.id.clone(), page - 1);
    let places = core.viewer.places.clone();
    let jpeg = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let mut page = clean.into_page()?;
        if let Some(layer) = layer {
            let places = places.of(&document, index, &page, &layer);
            render::overlay::apply_at(&mut page, &layer, &places)?;
        }
        encode::to_jpeg(&page)
    })
    .await
    .map_err(ServiceError::internal)?
    .map_err(cache::refused)?;
    Ok(Bytes::from(jpeg))
}

/// A document that cannot be shown: audited (the file's fault only: a renderer that could
/// not run is ours, and logged), then refused saying why.
async fn render_failed(
    core: &Liaison,
    guest: &Guest,
    d: &store::documents::DocumentRow,
    e: render::RenderError,
    meta: &RequestMeta,
) -> ServiceError {
    if e.is_files_fault() {
        let audited = audit::record_alone(
            &core.db,
            NewEvent {
                org_id: &guest.org_id,
                event_type: EventType::RenderFailed,
                actor: AuditActor::Guest(guest),
                share_id: Some(&guest.share_id),
                item_id: Some(&d.id),
                details: json!({ "title": d.title, "reason": e.to_string() }),
                meta,
                at_ms: core.now_ms(),
            },
        )
        .await;
        if let Err(a) = audited {
            return a.into();
        }
    }
    cache::refused(e)
}
