//! Partner organisations and identity providers in the admin REST API (`/api/v1`).
//! Admins only (the services check); client secrets are accepted, never returned.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::services::partners::{self, IdpInput, PartnerInput};
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partners", get(list_partners).post(create_partner))
        .route("/partners/{id}", get(get_partner).put(update_partner))
        .route("/partners/{id}/idps", post(create_partner_idp))
        .route("/partners/{id}/guests", get(list_guests))
        .route("/idps", get(list_staff_idps).post(create_staff_idp))
        .route("/idps/{id}", get(get_idp).put(update_idp))
        .route("/idps/{id}/test", post(test_idp))
        .route(
            "/partners/{id}/enabled",
            axum::routing::put(set_partner_enabled),
        )
        .route("/idps/{id}/enabled", axum::routing::put(set_idp_enabled))
        .route(
            "/idps/{id}/attribute-map",
            axum::routing::put(set_idp_attribute_map),
        )
}

async fn list_partners(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "partners": partners::list_partners(&s.core, &who).await? }),
    ))
}

async fn create_partner(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<PartnerInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let p = partners::create_partner(&s.core, &who, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(p))))
}

async fn get_partner(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        partners::get_partner(&s.core, &who, &id).await?
    )))
}

async fn update_partner(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PartnerInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        partners::update_partner(&s.core, &who, &id, input, &meta).await?
    )))
}

async fn create_partner_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IdpInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let idp = partners::create_idp(&s.core, &who, Some(&id), input, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(idp))))
}

async fn list_guests(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "guests": partners::partner_guests(&s.core, &who, &id).await? }),
    ))
}

async fn list_staff_idps(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "identity_providers": partners::list_staff_idps(&s.core, &who).await? }),
    ))
}

async fn create_staff_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<IdpInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let idp = partners::create_idp(&s.core, &who, None, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(idp))))
}

async fn get_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(partners::get_idp(&s.core, &who, &id).await?)))
}

async fn update_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IdpInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        partners::update_idp(&s.core, &who, &id, input, &meta).await?
    )))
}

/// "Test connection": the URL to open in a browser; the IdP's answer lands on a page that
/// shows what it asserted.
async fn test_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let url = partners::test_connection(&s.core, &who, &id).await?;
    Ok(Json(json!({ "sign_in_url": url.as_str() })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Enabled {
    enabled: bool,
}

/// `PUT /partners/{id}/enabled` `{"enabled": false}`: a disabled partner's shares offer no
/// sign-in.
async fn set_partner_enabled(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<Enabled>,
) -> ApiResult<StatusCode> {
    use backend::store::partners::Toggle;
    partners::set_enabled(&s.core, &who, Toggle::Partner, &id, input.enabled, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /idps/{id}/enabled` `{"enabled": false}`: a disabled IdP starts and finishes no
/// sign-in.
async fn set_idp_enabled(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<Enabled>,
) -> ApiResult<StatusCode> {
    use backend::store::partners::Toggle;
    partners::set_enabled(&s.core, &who, Toggle::Idp, &id, input.enabled, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_idp_attribute_map(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(map): ApiJson<backend::federation::AttributeMap>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        partners::set_attribute_map(&s.core, &who, &id, map, &meta).await?
    )))
}
