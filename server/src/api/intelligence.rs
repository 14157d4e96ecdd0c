//! `/api/v1/intelligence`: 28 CFR Part 23 over the API.
//! - `GET /intelligence/flags?due_within_days=N`: the flagged items, the soonest review
//!   first (with N, only those due within N days), 1,000 at most (`more`: later ones
//!   follow);
//! - `GET|PUT|DELETE /intelligence/{document|record}/{id}`: an item's flag; `DELETE` takes
//!   `{"reason": …}`;
//! - `POST /intelligence/{document|record}/{id}/review`: `{"decision": "retain"|"purge",
//!   "reason": …}`;
//! - `GET /intelligence/disseminations?from=&to=&kind=&id=&format=json|csv`: the
//!   dissemination record (each read audited as an export).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::domain::intelligence::{IntelItemKind, ReviewDecision};
use backend::services::intelligence::{self, DisseminationFilter, DisseminationFormat, FlagInput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/intelligence/flags", get(queue))
        .route("/intelligence/disseminations", get(disseminations))
        .route(
            "/intelligence/{kind}/{id}",
            get(show).put(set).delete(remove),
        )
        .route("/intelligence/{kind}/{id}/review", post(review))
}

fn kind_of(s: &str) -> Result<IntelItemKind, ApiError> {
    IntelItemKind::parse(s).ok_or_else(|| invalid("kind", "name a document or a record"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    due_within_days: Option<i64>,
}

async fn queue(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Query(q): Query<QueueQuery>,
) -> ApiResult<Json<Value>> {
    let queue = intelligence::queue(&s.core, &who, q.due_within_days).await?;
    Ok(Json(json!(queue)))
}

async fn show(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path((kind, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let flag = intelligence::flag_of(&s.core, &who, kind_of(&kind)?, &id).await?;
    Ok(Json(json!({ "flag": flag })))
}

async fn set(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<FlagInput>,
) -> ApiResult<Json<Value>> {
    let flag = intelligence::set_flag(&s.core, &who, kind_of(&kind)?, &id, input, &meta).await?;
    Ok(Json(json!(flag)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

async fn remove(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Reason>,
) -> ApiResult<Json<Value>> {
    intelligence::remove_flag(&s.core, &who, kind_of(&kind)?, &id, &body.reason, &meta).await?;
    Ok(Json(json!({ "removed": true })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Review {
    decision: String,
    reason: String,
}

async fn review(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Review>,
) -> ApiResult<Json<Value>> {
    let kind = kind_of(&kind)?;
    match ReviewDecision::parse(&body.decision) {
        Some(ReviewDecision::Retained) => {
            let flag = intelligence::retain(&s.core, &who, kind, &id, &body.reason, &meta).await?;
            Ok(Json(json!({ "decision": "retained", "flag": flag })))
        }
        Some(ReviewDecision::Purged) => {
            let done = intelligence::purge(&s.core, &who, kind, &id, &body.reason, &meta).await?;
            Ok(Json(json!({ "decision": "purged", "purged": done })))
        }
        None => Err(invalid("decision", "decide retain or purge")),
    }
}

/// Which part of the dissemination record, in which format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisseminationQuery {
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
    id: Option<String>,
    format: Option<String>,
}

async fn disseminations(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Query(q): Query<DisseminationQuery>,
) -> ApiResult<Response> {
    dissemination_response(&s, &who, &meta, q).await
}

/// The dissemination record as JSON or a CSV download (the API's and the console's),
/// audited as an export.
pub async fn dissemination_response(
    s: &AppState,
    who: &backend::actor::Staff,
    meta: &backend::actor::RequestMeta,
    q: DisseminationQuery,
) -> ApiResult<Response> {
    let item = match (q.kind.as_deref(), q.id) {
        (None, None) => None,
        (Some(k), Some(id)) => Some((kind_of(k)?, id)),
        _ => return Err(invalid("id", "name an item by both kind and id")),
    };
    let format = DisseminationFormat::parse(q.format.as_deref().unwrap_or("json"))
        .ok_or_else(|| invalid("format", "choose json or csv"))?;
    let filter = DisseminationFilter {
        from: q.from,
        to: q.to,
        item,
    };
    let bytes = intelligence::export_disseminations(&s.core, who, &filter, format, meta).await?;
    let disposition = match format {
        DisseminationFormat::Json => "inline",
        DisseminationFormat::Csv => "attachment; filename=\"disseminations.csv\"",
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
