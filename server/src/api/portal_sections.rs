//! `/api/v1/portals/{id}/sections` and `/api/v1/sections`: the sections an administrator
//! arranges a portal's shared items into, and the items in them.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::domain::{ItemKind, ItemRef, Move};
use backend::services::portals::sections;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portals/{id}/sections", get(list).post(create))
        .route(
            "/sections/{id}",
            axum::routing::patch(rename).delete(delete),
        )
        .route("/sections/{id}/move", post(move_section))
        .route("/sections/{id}/items", post(place))
        .route(
            "/sections/{id}/items/{kind}/{item_id}",
            axum::routing::delete(unplace),
        )
        .route(
            "/sections/{id}/items/{kind}/{item_id}/move",
            post(move_item),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameInput {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveInput {
    way: Move,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemInput {
    kind: ItemKind,
    id: String,
}

fn item(kind: &str, id: String) -> Result<ItemRef, ApiError> {
    let kind = ItemKind::parse(kind)
        .ok_or_else(|| invalid("kind", "kind must be document, package or project"))?;
    Ok(ItemRef { kind, id })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Offer only the library items whose title contains this.
    #[serde(default)]
    find: String,
}

/// The portal's sections with their items, and the library items in none (`?find=` narrows
/// those to titles containing it).
async fn list(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    Ok(Json(json!(
        sections::list_finding(&s.core, &who, &id, &q.find).await?
    )))
}

async fn create(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NameInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let view = sections::create(&s.core, &who, &id, &input.name, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(view))))
}

async fn rename(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NameInput>,
) -> ApiResult<StatusCode> {
    sections::rename(&s.core, &who, &id, &input.name, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the section; its items are then in none.
async fn delete(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    sections::delete(&s.core, &who, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn move_section(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<StatusCode> {
    sections::move_section(&s.core, &who, &id, input.way, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts a library item at the end of the section (moving it from another section).
async fn place(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ItemInput>,
) -> ApiResult<StatusCode> {
    let item = ItemRef {
        kind: input.kind,
        id: input.id,
    };
    sections::place(&s.core, &who, &id, &item, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unplace(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, kind, item_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    sections::unplace(&s.core, &who, &id, &item(&kind, item_id)?, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn move_item(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, kind, item_id)): Path<(String, String, String)>,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<StatusCode> {
    sections::move_item(&s.core, &who, &id, &item(&kind, item_id)?, input.way, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
