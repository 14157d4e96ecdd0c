//! `/api/v1/audit`: the audit log, its exports (CSV, JSON Lines) and the chain check;
//! `/api/v1/outbox`: the organisation's mail.

use axum::extract::State;
use axum::Json;
use backend::audit::chain::Problem;
use backend::services::audit_log::{self, AuditPage};
use backend::services::outbox::MailView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::Items;
use crate::error::{invalid, ApiResult};
use crate::extract::{ApiQuery, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_outbox))
        .routes(routes!(list_audit))
        .routes(routes!(export_audit))
        .routes(routes!(verify_audit))
}

/// The audit list's query: the filters, and a page.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListAuditQuery {
    /// Events of this share (an id).
    share_id: Option<String>,
    /// Events about this item (an id).
    item_id: Option<String>,
    /// Events about any revision of the document this id names.
    document: Option<String>,
    /// An event type (`share.revoked`) or a group of them (`guest_share`, `secrets`,
    /// `intelligence`).
    event_type: Option<String>,
    /// Events by this actor (an id).
    actor_id: Option<String>,
    /// From this time (RFC 3339), inclusive.
    from: Option<String>,
    /// Until this time (RFC 3339), exclusive.
    to: Option<String>,
    /// At most this many events (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Exports only: refused here.
    #[param(ignore)]
    format: Option<String>,
}

/// Filters of the audit export (shared with the console's export link).
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events of this share (an id).
    share_id: Option<String>,
    /// Events about this item (an id).
    item_id: Option<String>,
    /// Events about any revision of the document this id names.
    document: Option<String>,
    /// An event type (`share.revoked`) or a group of them (`guest_share`, `secrets`,
    /// `intelligence`).
    event_type: Option<String>,
    /// Events by this actor (an id).
    actor_id: Option<String>,
    /// From this time (RFC 3339), inclusive.
    from: Option<String>,
    /// Until this time (RFC 3339), exclusive.
    to: Option<String>,
    /// The list's only: exports are never paged (refused here).
    #[param(ignore)]
    limit: Option<i64>,
    /// The list's only (refused here).
    #[param(ignore)]
    cursor: Option<String>,
    /// `jsonl` (the default; `ndjson` is the same) or `csv`.
    #[param(value_type = Option<AuditExportFormat>, inline)]
    format: Option<String>,
}

/// What an audit export is written as.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // A name for the document: `AuditQuery::format` is read as text.
enum AuditExportFormat {
    Jsonl,
    Ndjson,
    Csv,
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

/// A page of the organisation's audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(ListAuditQuery),
    responses((status = 200, description = "A page of events", body = AuditPage)))]
async fn list_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    ApiQuery(q): ApiQuery<ListAuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    if q.format.is_some() {
        return Err(invalid("format", "format applies to /audit/export only"));
    }
    let filter = audit_log::AuditFilter {
        share_id: q.share_id,
        item_id: q.item_id,
        document: q.document,
        event_type: q.event_type,
        actor_id: q.actor_id,
        from: q.from,
        to: q.to,
        limit: q.limit,
        cursor: q.cursor,
    };
    Ok(Json(audit_log::list(&state.core, &who, filter).await?))
}

/// The organisation's audit events matching the filters, newest first, streamed as JSON
/// Lines or CSV (the export is itself audited).
#[utoipa::path(get, path = "/audit/export", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "The events, as an attachment: one JSON object a line, or CSV with a header row",
               content(("application/x-ndjson"), ("text/csv")))))]
async fn export_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<axum::response::Response> {
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

/// The outcome of walking the organisation's hash chain.
#[derive(Serialize, ToSchema)]
struct ChainCheck {
    /// No problem found.
    intact: bool,
    /// How many events were checked.
    events: u64,
    /// The chain position of the newest event, as the chain head records it.
    head_seq: i64,
    /// Every place the stored chain differs from what was written.
    problems: Vec<ChainProblem>,
}

/// A problem, and what it means in words.
#[derive(Serialize, ToSchema)]
struct ChainProblem {
    problem: Problem,
    message: String,
}

/// Walks the organisation's audit hash chain and reports every edit, deletion or
/// insertion around the application.
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    responses((status = 200, description = "The chain's state", body = ChainCheck)))]
async fn verify_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<ChainCheck>> {
    let report = audit_log::verify(&state.core, &who).await?;
    Ok(Json(ChainCheck {
        intact: report.is_intact(),
        events: report.events,
        head_seq: report.head_seq,
        problems: report
            .problems
            .into_iter()
            .map(|problem| ChainProblem {
                message: problem.to_string(),
                problem,
            })
            .collect(),
    }))
}

/// The organisation's newest 100 mails, with the bodies of those kept in the local outbox.
#[utoipa::path(get, path = "/outbox", tag = "audit",
    responses((status = 200, description = "The mails, newest first", body = Items<MailView>)))]
async fn list_outbox(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Items<MailView>>> {
    Ok(Json(
        backend::services::outbox::list(&state.core, &who, 100)
            .await?
            .into(),
    ))
}
