//! `POST /api/v1/leaks/trace`: the body is a screenshot, photo or scan of a page a guest
//! was served (PNG, JPEG, GIF or WebP, ≤ 20 MiB); the answer names the views its marks came
//! from: `{"views": [{"view", "share_id", "document_id", "document_title",
//! "recipient_name", "recipient_email", "viewed_at", "watermark"}]}` (empty: no mark of
//! this organisation found). Audited.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::Json;
use backend::services::leaks::{self, TracedView};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{body_rejected, ApiResult};
use crate::extract::{ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(trace))
        .layer(DefaultBodyLimit::max(leaks::MAX_PICTURE_BYTES + 1))
}

/// The views a picture's marks came from.
#[derive(Serialize, ToSchema)]
struct TracedViews {
    /// Empty: no mark of this organisation found.
    views: Vec<TracedView>,
}

/// Names the views a picture of a served page came from, by the marks baked into it.
#[utoipa::path(post, path = "/leaks/trace", tag = "leaks", operation_id = "trace_leak",
    request_body(description = "A screenshot, photo or scan of the page: PNG, JPEG, GIF or WebP, at most 20 MiB",
        content(("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"))),
    responses((status = 200, description = "The views found", body = TracedViews)))]
async fn trace(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<TracedViews>> {
    let body =
        body.map_err(|e| body_rejected(e.status(), e.body_text(), leaks::MAX_PICTURE_BYTES))?;
    let views = leaks::trace(&s.core, &who, body, &meta).await?;
    Ok(Json(TracedViews { views }))
}
