//! `/api/v1/policy`, `/projects` and `/terms`: the organisation's sharing policy, its
//! projects' overrides and the versioned legal terms.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::domain::{Policy, PolicyOverride};
use backend::services::policy::{self, ProjectView, TermsView};
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
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(list_projects, create_project))
        .routes(routes!(put_project_policy))
        .routes(routes!(list_terms, publish_terms))
}

/// The organisation's sharing policy (the defaults if never saved).
#[utoipa::path(get, path = "/policy", tag = "policy",
    responses((status = 200, description = "The policy", body = Policy)))]
async fn get_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Policy>> {
    Ok(Json(policy::get(&state.core, &who).await?))
}

/// Replaces the organisation's sharing policy; existing shares meet it at their next access.
#[utoipa::path(put, path = "/policy", tag = "policy", request_body = Policy,
    responses((status = 200, description = "The policy as saved", body = Policy)))]
async fn put_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<Policy>,
) -> ApiResult<Json<Policy>> {
    Ok(Json(policy::set(&state.core, &who, input, &meta).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProjectInput {
    /// The project's name, unique in the organisation (at most 200 characters).
    name: String,
}

/// The organisation's projects by name, each with its override and effective policy.
#[utoipa::path(get, path = "/projects", tag = "policy",
    responses((status = 200, description = "The projects", body = Items<ProjectView>)))]
async fn list_projects(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Items<ProjectView>>> {
    Ok(Json(policy::projects(&state.core, &who).await?.into()))
}

/// Creates a project, with no override yet.
#[utoipa::path(post, path = "/projects", tag = "policy", request_body = ProjectInput,
    responses((status = 201, description = "The project", body = ProjectView),
              (status = 409, description = "A project of this name already exists")))]
async fn create_project(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<ProjectInput>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    Ok((
        StatusCode::CREATED,
        Json(policy::create_project(&state.core, &who, &input.name, &meta).await?),
    ))
}

/// Sets a project's policy override, which may tighten the organisation's but not loosen it.
#[utoipa::path(put, path = "/projects/{id}/policy", tag = "policy",
    params(("id" = String, Path, description = "The project")), request_body = PolicyOverride,
    responses((status = 200, description = "The project with its new override", body = ProjectView)))]
async fn put_project_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PolicyOverride>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        policy::set_project_override(&state.core, &who, &id, input, &meta).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TermsInput {
    /// The version's name, unique in the organisation (at most 50 characters).
    version: String,
    /// The terms, plain text (at most 50,000 characters).
    body: String,
}

/// Every published version of the organisation's legal terms, newest first.
#[utoipa::path(get, path = "/terms", tag = "policy",
    responses((status = 200, description = "The versions", body = Items<TermsView>)))]
async fn list_terms(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Items<TermsView>>> {
    Ok(Json(policy::all_terms(&state.core, &who).await?.into()))
}

/// Publishes a new version of the legal terms (versions never change once published).
#[utoipa::path(post, path = "/terms", tag = "policy", request_body = TermsInput,
    responses((status = 201, description = "The version", body = TermsView),
              (status = 409, description = "A version of this name already exists")))]
async fn publish_terms(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<TermsInput>,
) -> ApiResult<(StatusCode, Json<TermsView>)> {
    Ok((
        StatusCode::CREATED,
        Json(policy::publish_terms(&state.core, &who, &input.version, &input.body, &meta).await?),
    ))
}
