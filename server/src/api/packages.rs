//! `/api/v1/packages`: document packages (curated sets of documents shared as one item,
//! `"item": {"kind": "document_package", "id"}`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::services::packages::{self, PackageView};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::Items;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_packages, create_package))
        .routes(routes!(add_document, remove_document))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PackageInput {
    /// The package's name, unique in the organisation (at most 200 characters).
    name: String,
}

/// The organisation's packages with their documents.
#[utoipa::path(get, path = "/packages", tag = "packages",
    responses((status = 200, description = "The packages", body = Items<PackageView>)))]
async fn list_packages(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Items<PackageView>>> {
    Ok(Json(packages::list(&s.core, &who).await?.into()))
}

/// Creates an empty package.
#[utoipa::path(post, path = "/packages", tag = "packages", request_body = PackageInput,
    responses((status = 201, description = "The package", body = PackageView),
              (status = 409, description = "A package of this name already exists")))]
async fn create_package(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<PackageInput>,
) -> ApiResult<(StatusCode, Json<PackageView>)> {
    let p = packages::create(&s.core, &who, &input.name, &meta).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Adds a document to a package (nothing changes if it is there already).
#[utoipa::path(put, path = "/packages/{id}/documents/{document_id}", tag = "packages",
    operation_id = "add_package_document",
    params(("id" = String, Path, description = "The package"),
           ("document_id" = String, Path, description = "The document")),
    responses((status = 204, description = "In the package")))]
async fn add_document(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    packages::add_document(&s.core, &who, &id, &document_id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a document out of a package (existing shares keep it).
#[utoipa::path(delete, path = "/packages/{id}/documents/{document_id}", tag = "packages",
    operation_id = "remove_package_document",
    params(("id" = String, Path, description = "The package"),
           ("document_id" = String, Path, description = "The document")),
    responses((status = 204, description = "Out of the package")))]
async fn remove_document(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    packages::remove_document(&s.core, &who, &id, &document_id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
