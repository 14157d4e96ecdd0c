//! `GET /console/audit/export?format=csv|jsonl&…`: the audit export for a signed-in console
//! user (the same service and filters as `GET /api/v1/audit/export`). Read-only; the
//! session cookie is SameSite=Strict, so another site cannot trigger it with the cookie.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use crate::api::audit::{export_response, AuditQuery};
use crate::error::{invalid, ApiError};
use crate::extract::{ConsoleStaff, Meta};
use crate::state::AppState;

pub async fn export(
    State(state): State<AppState>,
    ConsoleStaff { staff, .. }: ConsoleStaff,
    Meta(meta): Meta,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let result: Result<Response, ApiError> = async {
        let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
        export_response(&state, &staff, q, &meta).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
