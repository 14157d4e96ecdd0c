//! `POST /api/v1/leaks/trace`: the body is a screenshot, photo or scan of a page a guest
//! was served (PNG, JPEG, GIF or WebP, ≤ 20 MiB); the answer names the views its marks came
//! from: `{"views": [{"view", "share_id", "document_id", "document_title",
//! "recipient_name", "recipient_email", "viewed_at", "watermark"}]}` (empty: no mark of
//! this organisation found). Audited.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::post;
use axum::{Json, Router};
use backend::services::leaks;
use serde_json::{json, Value};

use crate::error::{body_rejected, ApiResult};
use crate::extract::{ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/leaks/trace",
        post(trace).layer(DefaultBodyLimit::max(leaks::MAX_PICTURE_BYTES + 1)),
    )
}

async fn trace(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let body =
        body.map_err(|e| body_rejected(e.status(), e.body_text(), leaks::MAX_PICTURE_BYTES))?;
    let views = leaks::trace(&s.core, &who, body, &meta).await?;
    Ok(Json(json!({ "views": views })))
}
