//! `/api/v1/audit`: the audit log, its exports (CSV, JSON Lines) and the chain check;
//! `/api/v1/outbox`: the organisation's mail.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use backend::services::audit_log;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{invalid, ApiResult};
use crate::extract::{ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/outbox", get(list_outbox))
        .route("/audit", get(list_audit))
        .route("/audit/export", get(export_audit))
        .route("/audit/verify", get(verify_audit))
}

/// Filters shared by the audit list and its exports.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    share_id: Option<String>,
    item_id: Option<String>,
    /// Every revision of the document this id names.
    document: Option<String>,
    /// An event type or a group of them (`guest_share`).
    event_type: Option<String>,
    actor_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
    /// Exports only: `csv` or `jsonl`.
    format: Option<String>,
}

impl AuditQuery {
    fn filter(self) -> audit_log::AuditFilter {
        audit_log::AuditFilter {
            share_id: self.share_id,
            item_id: self.item_id,
            document: self.document,
            event_type: self.event_type,
            actor_id: self.actor_id,
            from: self.from,
            to: self.to,
            limit: self.limit,
            cursor: self.cursor,
        }
    }
}

type AuditQueryInput = Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>;

async fn list_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    query: AuditQueryInput,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    if q.format.is_some() {
        return Err(invalid("format", "format applies to /audit/export only"));
    }
    Ok(Json(json!(
        audit_log::list(&state.core, &who, q.filter()).await?
    )))
}

/// `GET /audit/export?format=csv|jsonl&…filters`: streamed, newest first.
async fn export_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    query: AuditQueryInput,
) -> ApiResult<axum::response::Response> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    export_response(&state, &who, q, &meta).await
}

/// The streamed export response (shared with the console's export link).
pub async fn export_response(
    state: &AppState,
    who: &backend::actor::Staff,
    mut q: AuditQuery,
    meta: &backend::actor::RequestMeta,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    use futures::TryStreamExt;
    let format = audit_log::ExportFormat::parse(q.format.take().as_deref().unwrap_or("jsonl"))?;
    if q.limit.is_some() || q.cursor.is_some() {
        return Err(invalid(
            "limit",
            "exports are never paged; drop limit and cursor",
        ));
    }
    let body = audit_log::export(state.core.clone(), who, q.filter(), format, meta).await?;
    let body = body.map_err(|e| {
        tracing::error!(error = %e, "audit export failed mid-stream");
        std::io::Error::other("audit export failed")
    });
    let name = format!("liaison-audit.{}", format.extension());
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                format.content_type().to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// `GET /audit/verify`: walks the organisation's hash chain.
async fn verify_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    let report = audit_log::verify(&state.core, &who).await?;
    Ok(Json(json!({
        "intact": report.is_intact(),
        "events": report.events,
        "head_seq": report.head_seq,
        "problems": report.problems.iter().map(|p| json!({ "problem": p, "message": p.to_string() })).collect::<Vec<_>>(),
    })))
}

async fn list_outbox(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": backend::services::outbox::list(&state.core, &who, 100).await? }),
    ))
}
