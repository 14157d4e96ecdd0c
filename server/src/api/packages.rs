//! `/api/v1/packages`: document packages (curated sets of documents shared as one item,
//! `"item": {"kind": "document_package", "id"}`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use backend::services::packages;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/packages", get(list_packages).post(create_package))
        .route(
            "/packages/{id}/documents/{document_id}",
            put(add_document).delete(remove_document),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageInput {
    name: String,
}

async fn list_packages(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": packages::list(&s.core, &who).await? }),
    ))
}

async fn create_package(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<PackageInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let p = packages::create(&s.core, &who, &input.name, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(p))))
}

async fn add_document(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    packages::add_document(&s.core, &who, &id, &document_id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_document(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    packages::remove_document(&s.core, &who, &id, &document_id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
