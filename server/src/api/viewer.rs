//! The protected viewer over the portal API (`/api/portal`):
//! - `POST /items/{id}/views`: opens a document as pages → 201 `{"view", "pages": [{"width",
//!   "height"}] (points), "watermarked"}`; a file that cannot be shown is a 422 saying why;
//! - `GET /items/{id}/pages/{n}?view=…&w=…`: page `n` (from 1) of that view as a JPEG about
//!   `w` pixels wide (600–2000; the browser asks for its width times its pixel ratio), the
//!   watermark baked in. `<img>` sends the portal cookie, so no header is needed.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::services::access::{self, PageView};
use serde::Deserialize;

use crate::downloads::{lock_down, Disposition};
use crate::error::{invalid, ApiResult};
use crate::extract::{Meta, PortalGuest};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/items/{id}/views", post(open_view))
        .route("/items/{id}/pages/{page}", get(page_image))
}

async fn open_view(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<PageView>)> {
    let view = access::open_view(&state.core, &guest, &id, &meta).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    view: String,
    w: Option<u32>,
}

async fn page_image(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    Path((id, page)): Path<(String, String)>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    let page: u32 = page
        .parse()
        .map_err(|_| invalid("page", "pages are numbered from 1"))?;
    let jpeg = access::page_image(
        &state.core,
        &guest,
        &id,
        &q.view,
        page,
        q.w.unwrap_or(1200),
        &meta,
    )
    .await?;
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
