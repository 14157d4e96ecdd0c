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

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::domain::intelligence::{IntelItemKind, ReviewDecision};
use backend::services::intelligence::{
    self, DisseminationFilter, DisseminationFormat, DisseminationView, FlagInput, FlagQueue,
    FlagView, Purged,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::Items;
use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(disseminations))
        .routes(routes!(show, set, remove))
        .routes(routes!(review))
}

fn kind_of(s: &str) -> Result<IntelItemKind, ApiError> {
    IntelItemKind::parse(s).ok_or_else(|| invalid("kind", "name a document or a record"))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct QueueQuery {
    /// Only the items due for review within this many days (0: due now).
    #[param(minimum = 0, maximum = 3650)]
    due_within_days: Option<i64>,
}

/// The flagged items, the soonest review first (1,000 at most; `more`: later ones follow).
#[utoipa::path(get, path = "/intelligence/flags", tag = "intelligence",
    operation_id = "list_intelligence_flags", params(QueueQuery),
    responses((status = 200, description = "The review queue", body = FlagQueue)))]
async fn queue(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<FlagQueue>> {
    Ok(Json(
        intelligence::queue(&s.core, &who, q.due_within_days).await?,
    ))
}

/// An item's flag, `null` when it has none.
#[derive(Serialize, ToSchema)]
struct ItemFlag {
    flag: Option<FlagView>,
}

/// An item's criminal intelligence flag, if it has one.
#[utoipa::path(get, path = "/intelligence/{kind}/{id}", tag = "intelligence",
    operation_id = "read_intelligence_flag",
    params(("kind" = inline(IntelItemKind), Path, description = "What the item is"),
           ("id" = String, Path, description = "The item (a document by any revision's id)")),
    responses((status = 200, description = "The flag, or `null`", body = ItemFlag)))]
async fn show(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path((kind, id)): Path<(String, String)>,
) -> ApiResult<Json<ItemFlag>> {
    let flag = intelligence::flag_of(&s.core, &who, kind_of(&kind)?, &id).await?;
    Ok(Json(ItemFlag { flag }))
}

/// Flags an item as criminal intelligence, or changes its flag.
#[utoipa::path(put, path = "/intelligence/{kind}/{id}", tag = "intelligence",
    operation_id = "set_intelligence_flag",
    params(("kind" = inline(IntelItemKind), Path, description = "What the item is"),
           ("id" = String, Path, description = "The item (a document by any revision's id)")),
    request_body = FlagInput,
    responses((status = 200, description = "The flag", body = FlagView),
              (status = 409, description = "The item was purged and cannot be flagged again")))]
async fn set(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<FlagInput>,
) -> ApiResult<Json<FlagView>> {
    let flag = intelligence::set_flag(&s.core, &who, kind_of(&kind)?, &id, input, &meta).await?;
    Ok(Json(flag))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FlagRemovalInput {
    /// Why the flag comes off (it was set in error), in at least 10 characters.
    #[schema(min_length = 10)]
    reason: String,
}

#[derive(Serialize, ToSchema)]
struct FlagRemoved {
    /// Always `true`.
    removed: bool,
}

/// Takes an item's flag off (it was set in error), with the reason.
#[utoipa::path(delete, path = "/intelligence/{kind}/{id}", tag = "intelligence",
    operation_id = "remove_intelligence_flag",
    params(("kind" = inline(IntelItemKind), Path, description = "What the item is"),
           ("id" = String, Path, description = "The item (a document by any revision's id)")),
    request_body = FlagRemovalInput,
    responses((status = 200, description = "Removed", body = FlagRemoved)))]
async fn remove(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<FlagRemovalInput>,
) -> ApiResult<Json<FlagRemoved>> {
    intelligence::remove_flag(&s.core, &who, kind_of(&kind)?, &id, &body.reason, &meta).await?;
    Ok(Json(FlagRemoved { removed: true }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IntelReviewInput {
    /// `retain` (kept five more years) or `purge` (content and shares deleted, the
    /// dissemination record kept); `retained` and `purged` are accepted too.
    #[schema(example = "retain")]
    decision: String,
    /// Why, in at least 10 characters: it is kept with the decision.
    #[schema(min_length = 10)]
    reason: String,
}

/// What a review decided, and what came of it.
#[derive(Serialize, ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case")]
enum IntelReviewOutcome {
    /// Kept: the flag with its next review date.
    Retained { flag: Box<FlagView> },
    /// Purged: what the purge did.
    Purged { purged: Purged },
}

/// Reviews a flagged item: retains it for five more years, or purges it.
#[utoipa::path(post, path = "/intelligence/{kind}/{id}/review", tag = "intelligence",
    operation_id = "review_intelligence_item",
    params(("kind" = inline(IntelItemKind), Path, description = "What the item is"),
           ("id" = String, Path, description = "The item (a document by any revision's id)")),
    request_body = IntelReviewInput,
    responses((status = 200, description = "The decision and its outcome", body = IntelReviewOutcome),
              (status = 409, description = "The item was already purged")))]
async fn review(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<IntelReviewInput>,
) -> ApiResult<Json<IntelReviewOutcome>> {
    let kind = kind_of(&kind)?;
    match ReviewDecision::parse(&body.decision) {
        Some(ReviewDecision::Retained) => {
            let flag = intelligence::retain(&s.core, &who, kind, &id, &body.reason, &meta).await?;
            Ok(Json(IntelReviewOutcome::Retained {
                flag: Box::new(flag),
            }))
        }
        Some(ReviewDecision::Purged) => {
            let purged = intelligence::purge(&s.core, &who, kind, &id, &body.reason, &meta).await?;
            Ok(Json(IntelReviewOutcome::Purged { purged }))
        }
        None => Err(invalid("decision", "decide retain or purge")),
    }
}

/// Which part of the dissemination record, in which format.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisseminationQuery {
    /// From this time on (RFC 3339, e.g. `2026-01-01T00:00:00Z`); blank: from the start.
    from: Option<String>,
    /// Before this time (RFC 3339); blank: with no end.
    to: Option<String>,
    /// With `id`: only this item's disseminations.
    #[param(inline)]
    kind: Option<IntelItemKind>,
    /// With `kind`: the item (a document by any revision's id).
    id: Option<String>,
    /// `json` (the default) or `csv` (a download).
    #[param(inline)]
    format: Option<DisseminationFormat>,
}

/// The dissemination record: who received which flagged item, when, from whom and why.
///
/// Newest first, read whole (a period of more than 10,000 lines is refused); each read is
/// audited as an export.
#[utoipa::path(get, path = "/intelligence/disseminations", tag = "intelligence",
    operation_id = "list_disseminations", params(DisseminationQuery),
    responses((status = 200, description = "The record as JSON, or with `format=csv` a CSV download",
               content((Items<DisseminationView> = "application/json"), ("text/csv")))))]
async fn disseminations(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiQuery(q): ApiQuery<DisseminationQuery>,
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
    let item = match (q.kind, q.id) {
        (None, None) => None,
        (Some(k), Some(id)) => Some((k, id)),
        _ => return Err(invalid("id", "name an item by both kind and id")),
    };
    let format = q.format.unwrap_or(DisseminationFormat::Json);
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
