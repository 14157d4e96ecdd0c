//! A document revision as pages: its layout, learnt once (and a file that cannot be shown
//! remembered as such, so it is never rendered again), and each clean page image — no
//! watermark — cached in the blob store per page and width. Over its byte budget the cache
//! drops the least recently used pages.

use bytes::Bytes;
use render::{encode, Page, PageSize, RenderError, Source};

use crate::services::{Result, ServiceError};
use crate::store::{self, documents::DocumentRow, pages::LayoutRow, pages::RenderRow};
use crate::Liaison;

/// A renderer's failure as a service error: the file's fault is the request's (422, saying
/// what is wrong with it); a renderer that cannot run is ours (503).
pub fn refused(e: RenderError) -> ServiceError {
    if e.is_files_fault() {
        ServiceError::Invalid {
            field: "document",
            message: format!("This document cannot be shown: {e}."),
        }
    } else if e == RenderError::Busy {
        tracing::warn!("page renderers busy: a request was turned away");
        ServiceError::Unavailable(
            "Many pages are being drawn right now; try again in a moment.".into(),
        )
    } else {
        tracing::error!(error = %e, "page renderer");
        ServiceError::Unavailable("Pages cannot be drawn right now; try again shortly.".into())
    }
}

/// What kind of file `d` is to the renderer.
pub fn source_of(d: &DocumentRow) -> Result<Source> {
    Source::of_content_type(&d.content_type).ok_or_else(|| ServiceError::Invalid {
        field: "document",
        message: format!("A {} file cannot be shown as pages.", d.content_type),
    })
}

/// The pages of revision `d`: learnt from a renderer the first time, then read.
/// `Err(RenderError)` inside: the file cannot be shown (the same every time).
pub async fn layout(
    core: &Liaison,
    d: &DocumentRow,
) -> Result<std::result::Result<Vec<PageSize>, RenderError>> {
    let pool = core.db.pool();
    if let Some(row) = store::pages::layout(pool, &d.org_id, &d.id).await? {
        return Ok(read_layout(&row));
    }
    let source = source_of(d)?;
    let _flight = core.viewer.flights.hold(format!("layout:{}", d.id)).await;
    // Learnt meanwhile by the request this one waited for.
    if let Some(row) = store::pages::layout(pool, &d.org_id, &d.id).await? {
        return Ok(read_layout(&row));
    }
    let slot = core.viewer.pool.enter().await.map_err(refused)?;
    let file = core.blobs.get(&d.blob_key).await?;
    let learnt = core.viewer.pool.pages(slot, source, &file).await;
    let row = match &learnt {
        Ok(sizes) => LayoutRow {
            sizes: Some(sizes_json(sizes)),
            failure: None,
        },
        // Ours, not the file's: nothing to remember.
        Err(e) if !e.is_files_fault() => return Err(refused(e.clone())),
        Err(e) => LayoutRow {
            sizes: None,
            failure: Some(serde_json::to_string(e).map_err(ServiceError::internal)?),
        },
    };
    store::pages::put_layout(pool, &d.org_id, &d.id, &row, core.now_ms()).await?;
    Ok(learnt)
}

fn sizes_json(sizes: &[PageSize]) -> String {
    let pairs: Vec<[f32; 2]> = sizes.iter().map(|s| [s.width, s.height]).collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

fn read_layout(row: &LayoutRow) -> std::result::Result<Vec<PageSize>, RenderError> {
    if let Some(f) = &row.failure {
        return Err(serde_json::from_str(f)
            .unwrap_or_else(|_| RenderError::Unreadable("it could not be read before".into())));
    }
    let pairs: Vec<[f32; 2]> = row
        .sizes
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    Ok(pairs
        .into_iter()
        .map(|[width, height]| PageSize { width, height })
        .collect())
}

/// How stale a cached page's last use may be before a read records it again.
const TOUCH_EVERY_MS: i64 = 60_000;

fn render_key(d: &DocumentRow, page: u32, width: u32) -> String {
    format!("org/{}/renders/{}/{page}-{width}.qoi", d.org_id, d.id)
}

/// A clean page: as the cache holds it (still encoded: the caller decodes it when its turn
/// to use a core comes), or just drawn.
#[derive(Debug)]
pub enum Clean {
    Cached(Bytes),
    Drawn(Page),
}

impl Clean {
    /// Its (width, height) in pixels.
    pub fn size(&self) -> std::result::Result<(u32, u32), RenderError> {
        match self {
            Clean::Cached(bytes) => encode::cached_size(bytes),
            Clean::Drawn(p) => Ok((p.width, p.height)),
        }
    }

    /// The page's pixels (blocking work for a cached page: call it off the runtime).
    pub fn into_page(self) -> std::result::Result<Page, RenderError> {
        match self {
            Clean::Cached(bytes) => encode::from_cache(&bytes),
            Clean::Drawn(p) => Ok(p),
        }
    }
}

/// Clean page `page` (from 0) of revision `d`, `width` pixels wide (a
/// [`super::width_bucket`]): from the cache, or rendered, cached and returned.
/// `Err(RenderError)` inside: the renderer refused the file (its fault, or over budget).
pub async fn page(
    core: &Liaison,
    d: &DocumentRow,
    page: u32,
    width: u32,
) -> Result<std::result::Result<Clean, RenderError>> {
    if let Some(cached) = cached_page(core, d, page, width).await? {
        return Ok(Ok(Clean::Cached(cached)));
    }
    let source = source_of(d)?;
    let _flight = core
        .viewer
        .flights
        .hold(format!("page:{}:{page}:{width}", d.id))
        .await;
    // Drawn meanwhile by the request this one waited for.
    if let Some(cached) = cached_page(core, d, page, width).await? {
        return Ok(Ok(Clean::Cached(cached)));
    }
    let pool = core.db.pool();
    let now = core.now_ms();
    let slot = core.viewer.pool.enter().await.map_err(refused)?;
    let file = core.blobs.get(&d.blob_key).await?;
    let drawn = match core
        .viewer
        .pool
        .render(slot, source, &file, page, width)
        .await
    {
        Ok(p) => p,
        Err(e) if e.is_files_fault() => return Ok(Err(e)),
        Err(e) => return Err(refused(e)),
    };
    let (drawn, cached) = tokio::task::spawn_blocking(move || {
        let cached = encode::to_cache(&drawn);
        (drawn, cached)
    })
    .await
    .map_err(ServiceError::internal)?;
    let cached = cached.map_err(refused)?;
    let row = RenderRow {
        org_id: d.org_id.clone(),
        document_id: d.id.clone(),
        page: i64::from(page),
        width: i64::from(width),
        blob_key: render_key(d, page, width),
        size_bytes: cached.len() as i64,
        used_at: now,
    };
    core.blobs.put(&row.blob_key, Bytes::from(cached)).await?;
    store::pages::put_render(pool, &row).await?;
    // Purged while it was drawn: the purge may have swept the cache before this page was
    // stored, so it goes now, and the guest is told the document is gone.
    let kept = store::documents::get(pool, &d.org_id, &d.id)
        .await?
        .is_some_and(|now| !now.blob_key.is_empty());
    if !kept {
        // The file before its row: a file that cannot be deleted keeps a row that finds it.
        core.blobs.delete(&row.blob_key).await?;
        store::pages::delete_render(pool, &row).await?;
        return Err(ServiceError::NotFound("document"));
    }
    evict(core).await?;
    Ok(Ok(Clean::Drawn(drawn)))
}

/// The cached clean page's file, if there is one (a file evicted meanwhile forgets its row).
async fn cached_page(
    core: &Liaison,
    d: &DocumentRow,
    page: u32,
    width: u32,
) -> Result<Option<Bytes>> {
    let pool = core.db.pool();
    let Some(row) =
        store::pages::render(pool, &d.org_id, &d.id, i64::from(page), i64::from(width)).await?
    else {
        return Ok(None);
    };
    match core.blobs.get(&row.blob_key).await {
        Ok(bytes) => {
            // Least recently used to the minute: a page read often is not a write each time.
            let now = core.now_ms();
            if now - row.used_at >= TOUCH_EVERY_MS {
                store::pages::touch_render(pool, &row, now).await?;
            }
            Ok(Some(bytes))
        }
        Err(e) if e.is_not_found() => {
            store::pages::delete_render(pool, &row).await?;
            Ok(None)
        }
        // A store that is down keeps its rows: the pages are still there.
        Err(e) => Err(e.into()),
    }
}

/// Drops the least recently used pages until the cache is within 90 % of its budget.
async fn evict(core: &Liaison) -> Result<()> {
    let pool = core.db.pool();
    let budget = core.viewer.cache_bytes as i64;
    let mut total = store::pages::cached_bytes(pool).await?;
    if total <= budget {
        return Ok(());
    }
    let target = budget / 10 * 9;
    while total > target {
        let oldest = store::pages::oldest_renders(pool, 50).await?;
        if oldest.is_empty() {
            break;
        }
        for row in oldest {
            if total <= target {
                break;
            }
            // The file before its row (deleting is idempotent, so two evictions racing for
            // one page are harmless; the row's deletion says which one counts it).
            core.blobs.delete(&row.blob_key).await?;
            if store::pages::delete_render(pool, &row).await? {
                total -= row.size_bytes;
            }
        }
    }
    Ok(())
}

/// Deletes every cached page of a document family inside `tx` (a purge), the files
/// first: one that cannot be deleted fails the caller, which then changes nothing.
pub async fn forget_family(
    core: &Liaison,
    tx: &mut store::Tx,
    org_id: &str,
    family: &str,
) -> Result<usize> {
    let rows = store::pages::renders_of_family(&mut **tx, org_id, family).await?;
    for row in &rows {
        core.blobs.delete(&row.blob_key).await?;
        store::pages::delete_render(&mut **tx, row).await?;
    }
    Ok(rows.len())
}
