//! `/api/v1/portals/{id}/sections` and `/api/v1/sections`: the sections an administrator
//! arranges a portal's shared items into, and the items in them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::domain::{ItemKind, ItemRef, Move};
use backend::services::portals::sections::{self, SectionView, SectionsView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(rename, delete))
        .routes(routes!(move_section))
        .routes(routes!(place))
        .routes(routes!(unplace))
        .routes(routes!(move_item))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SectionNameInput {
    /// 1 to 100 characters, unique in the portal.
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SectionMoveInput {
    /// Swaps with the neighbour above or below (no change at either end).
    way: Move,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SectionItemInput {
    kind: ItemKind,
    /// The document, package or project.
    id: String,
}

fn item(kind: &str, id: String) -> Result<ItemRef, ApiError> {
    let kind = ItemKind::parse(kind)
        .ok_or_else(|| invalid("kind", "kind must be document, package or project"))?;
    Ok(ItemRef { kind, id })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Offer only the library items whose title contains this (any case; at most 200
    /// characters).
    #[serde(default)]
    find: String,
}

/// The portal's sections with their items, and the library items in none.
///
/// `?find=` narrows the library items to titles containing it.
#[utoipa::path(get, path = "/portals/{id}/sections", tag = "portal_sections",
    operation_id = "list_portal_sections",
    params(("id" = String, Path, description = "The portal"), ListQuery),
    responses((status = 200, description = "The sections and the items in none", body = SectionsView)))]
async fn list(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<SectionsView>> {
    Ok(Json(
        sections::list_finding(&s.core, &who, &id, &q.find).await?,
    ))
}

/// Adds a section at the end of the portal's.
#[utoipa::path(post, path = "/portals/{id}/sections", tag = "portal_sections",
    operation_id = "create_portal_section",
    params(("id" = String, Path, description = "The portal")), request_body = SectionNameInput,
    responses((status = 201, description = "The section", body = SectionView)))]
async fn create(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SectionNameInput>,
) -> ApiResult<(StatusCode, Json<SectionView>)> {
    let view = sections::create(&s.core, &who, &id, &input.name, &meta).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Renames a section.
#[utoipa::path(patch, path = "/sections/{id}", tag = "portal_sections",
    operation_id = "rename_portal_section",
    params(("id" = String, Path, description = "The section")), request_body = SectionNameInput,
    responses((status = 204, description = "Renamed")))]
async fn rename(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SectionNameInput>,
) -> ApiResult<StatusCode> {
    sections::rename(&s.core, &who, &id, &input.name, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the section; its items are then in none.
#[utoipa::path(delete, path = "/sections/{id}", tag = "portal_sections",
    operation_id = "delete_portal_section",
    params(("id" = String, Path, description = "The section")),
    responses((status = 204, description = "Deleted")))]
async fn delete(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    sections::delete(&s.core, &who, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves the section up or down one place in the portal's order.
#[utoipa::path(post, path = "/sections/{id}/move", tag = "portal_sections",
    operation_id = "move_portal_section",
    params(("id" = String, Path, description = "The section")), request_body = SectionMoveInput,
    responses((status = 204, description = "Moved (or already at that end)")))]
async fn move_section(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SectionMoveInput>,
) -> ApiResult<StatusCode> {
    sections::move_section(&s.core, &who, &id, input.way, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts a library item at the end of the section (moving it from another section).
#[utoipa::path(post, path = "/sections/{id}/items", tag = "portal_sections",
    operation_id = "place_section_item",
    params(("id" = String, Path, description = "The section")), request_body = SectionItemInput,
    responses((status = 204, description = "Placed")))]
async fn place(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SectionItemInput>,
) -> ApiResult<StatusCode> {
    let item = ItemRef {
        kind: input.kind,
        id: input.id,
    };
    sections::place(&s.core, &who, &id, &item, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes an item out of the section (it is then in none).
#[utoipa::path(delete, path = "/sections/{id}/items/{kind}/{item_id}", tag = "portal_sections",
    operation_id = "remove_section_item",
    params(("id" = String, Path, description = "The section"),
           ("kind" = inline(ItemKind), Path, description = "The item's kind"),
           ("item_id" = String, Path, description = "The document, package or project")),
    responses((status = 204, description = "Taken out")))]
async fn unplace(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, kind, item_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    sections::unplace(&s.core, &who, &id, &item(&kind, item_id)?, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves an item up or down one place in its section.
#[utoipa::path(post, path = "/sections/{id}/items/{kind}/{item_id}/move", tag = "portal_sections",
    operation_id = "move_section_item",
    params(("id" = String, Path, description = "The section"),
           ("kind" = inline(ItemKind), Path, description = "The item's kind"),
           ("item_id" = String, Path, description = "The document, package or project")),
    request_body = SectionMoveInput,
    responses((status = 204, description = "Moved (or already at that end)")))]
async fn move_item(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, kind, item_id)): Path<(String, String, String)>,
    ApiJson(input): ApiJson<SectionMoveInput>,
) -> ApiResult<StatusCode> {
    sections::move_item(&s.core, &who, &id, &item(&kind, item_id)?, input.way, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
