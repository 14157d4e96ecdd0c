//! `/api/v1/policy`, `/projects` and `/terms`: the organisation's sharing policy, its
//! projects' overrides and the versioned legal terms.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use backend::domain::{Policy, PolicyOverride};
use backend::services::policy;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/policy", get(get_policy).put(put_policy))
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}/policy", put(put_project_policy))
        .route("/terms", get(list_terms).post(publish_terms))
}

async fn get_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(policy::get(&state.core, &who).await?)))
}

async fn put_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<Policy>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        policy::set(&state.core, &who, input, &meta).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectInput {
    name: String,
}

async fn list_projects(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": policy::projects(&state.core, &who).await? }),
    ))
}

async fn create_project(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<ProjectInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(
            policy::create_project(&state.core, &who, &input.name, &meta).await?
        )),
    ))
}

async fn put_project_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PolicyOverride>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        policy::set_project_override(&state.core, &who, &id, input, &meta).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsInput {
    version: String,
    body: String,
}

async fn list_terms(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": policy::all_terms(&state.core, &who).await? }),
    ))
}

async fn publish_terms(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<TermsInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(
            policy::publish_terms(&state.core, &who, &input.version, &input.body, &meta).await?
        )),
    ))
}
