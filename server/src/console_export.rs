//! `GET /console/audit/export?format=csv|jsonl&…`: the audit export for a signed-in console
//! user (the same service and filters as `GET /api/v1/audit/export`). Read-only; the
//! session cookie is SameSite=Strict, so another site cannot trigger it with the cookie.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use backend::services::auth;
use tower_sessions::Session;

use crate::api::extract::Meta;
use crate::api::v1::{export_response, AuditQuery};
use crate::error::{invalid, ApiError};
use crate::state::AppState;

pub async fn export(
    State(state): State<AppState>,
    session: Session,
    Meta(meta): Meta,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let user_id: Option<String> = session.get(app::ssr::SESSION_USER).await.ok().flatten();
    let staff = match user_id {
        Some(id) => auth::staff_for_session(&state.core, &id)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some(staff) = staff else {
        return Redirect::to("/login").into_response();
    };
    let result: Result<Response, ApiError> = async {
        let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
        export_response(&state, &staff, q, &meta).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
