//! The protected viewer over the portal API (`/api/portal`):
//! - `POST /items/{id}/views`: opens a document as pages → 201 `{"view", "pages": [{"width",
//!   "height"}] (points), "watermark"}` (the line baked into every page, or null); a file that cannot be shown is a 422 saying why;
//! - `GET /items/{id}/pages/{n}?view=…&w=…`: page `n` (from 1) of that view as a JPEG about
//!   `w` pixels wide (600–2000; the browser asks for its width times its pixel ratio), the
//!   watermark baked in. `<img>` sends the portal cookie, so no header is needed.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::services::access::{self, PageView};
use backend::services::ServiceError;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::downloads::{lock_down, Disposition};
use crate::error::{invalid, ApiResult};
use crate::extract::{ApiQuery, Meta, PortalGuest, WatchedGuest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_view))
        .routes(routes!(page_image))
}

/// Opens a document as pages: the view every page request names, each page's size in
/// points, and the watermark line baked into every page.
#[utoipa::path(post, path = "/items/{id}/views", tag = "portal",
    params(("id" = String, Path, description = "The item")),
    responses((status = 201, description = "The view", body = PageView),
              (status = 410, description = "The share has ended")))]
async fn open_view(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<PageView>)> {
    let view = access::open_view(&state.core, &guest, &id, &meta).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// The view `POST /items/{id}/views` opened.
    view: String,
    /// About this many pixels wide (default 1200): the browser's width times its pixel
    /// ratio, rounded up to a multiple of 200 within 600–2000.
    w: Option<u32>,
}

/// A page revoked or no longer admitted while it is drawn or waits to be is refused, not
/// served. The work runs as a task of its own, so neither that nor a guest who goes away
/// cuts it short: a render always finishes caching (or finds its document purged and
/// cleans up), and the viewer's queues count it until it ends.
#[utoipa::path(get, path = "/items/{id}/pages/{page}", tag = "portal",
    params(("id" = String, Path, description = "The item"),
           ("page" = u32, Path, minimum = 1, description = "The page, from 1"), PageQuery),
    responses((status = 200, description = "The page, watermark and leak-tracing marks baked in", content_type = "image/jpeg"),
              (status = 410, description = "The share has ended")))]
async fn page_image(
    State(state): State<AppState>,
    WatchedGuest(stream): WatchedGuest,
    Path((id, page)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let page: u32 = page
        .parse()
        .map_err(|_| invalid("page", "pages are numbered from 1"))?;
    let (core, guest, meta) = (
        state.core.clone(),
        stream.guest.clone(),
        stream.meta.clone(),
    );
    let ended = access::until_ended(state.core.clone(), stream);
    let drawn = tokio::spawn(async move {
        let width = q.w.unwrap_or(1200);
        access::page_image(&core, &guest, &id, &q.view, page, width, &meta).await
    });
    let jpeg = tokio::select! {
        jpeg = drawn => jpeg.map_err(ServiceError::internal)??,
        end = ended => return Err(match end {
            access::StreamEnd::Unchecked => ServiceError::Unavailable(end.message().into()),
            _ => ServiceError::InvalidPortalToken(end.message().into()),
        }.into()),
    };
    let mut resp = jpeg.into_response();
    let h = resp.headers_mut();
    lock_down(
        h,
        "image/jpeg",
        Disposition::Inline,
        &format!("page-{page}.jpg"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    Ok(resp)
}
