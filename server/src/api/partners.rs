//! Partner organisations and identity providers in the admin REST API (`/api/v1`).
//! Admins only (the services check); client secrets are accepted, never returned.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::federation::AttributeMap;
use backend::services::partners::{
    self, IdpInput, IdpView, PartnerGuest, PartnerInput, PartnerView,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_partners, create_partner))
        .routes(routes!(get_partner, update_partner))
        .routes(routes!(create_partner_idp))
        .routes(routes!(list_guests))
        .routes(routes!(list_staff_idps, create_staff_idp))
        .routes(routes!(get_idp, update_idp))
        .routes(routes!(test_idp))
        .routes(routes!(set_partner_enabled))
        .routes(routes!(set_idp_enabled))
        .routes(routes!(set_idp_attribute_map))
}

#[derive(Serialize, ToSchema)]
struct PartnerList {
    partners: Vec<PartnerView>,
}

/// The organisation's partners, each with its IdPs.
#[utoipa::path(get, path = "/partners", tag = "partners",
    responses((status = 200, description = "The partners", body = PartnerList)))]
async fn list_partners(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<PartnerList>> {
    Ok(Json(PartnerList {
        partners: partners::list_partners(&s.core, &who).await?,
    }))
}

/// Adds a partner organisation.
#[utoipa::path(post, path = "/partners", tag = "partners", request_body = PartnerInput,
    responses((status = 201, description = "The partner", body = PartnerView),
              (status = 409, description = "The name or a domain is another partner's")))]
async fn create_partner(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<PartnerInput>,
) -> ApiResult<(StatusCode, Json<PartnerView>)> {
    let p = partners::create_partner(&s.core, &who, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// One partner, with its IdPs.
#[utoipa::path(get, path = "/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "The partner")),
    responses((status = 200, description = "The partner", body = PartnerView)))]
async fn get_partner(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerView>> {
    Ok(Json(partners::get_partner(&s.core, &who, &id).await?))
}

/// Changes a partner's name, domains, state or law-enforcement standing.
#[utoipa::path(put, path = "/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "The partner")), request_body = PartnerInput,
    responses((status = 200, description = "The partner as changed", body = PartnerView),
              (status = 409, description = "The name or a domain is another partner's")))]
async fn update_partner(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PartnerInput>,
) -> ApiResult<Json<PartnerView>> {
    Ok(Json(
        partners::update_partner(&s.core, &who, &id, input, &meta).await?,
    ))
}

/// Adds an IdP to a partner: SAML from its metadata, OIDC from discovery.
#[utoipa::path(post, path = "/partners/{id}/idps", tag = "partners",
    params(("id" = String, Path, description = "The partner")), request_body = IdpInput,
    responses((status = 201, description = "The IdP", body = IdpView)))]
async fn create_partner_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IdpInput>,
) -> ApiResult<(StatusCode, Json<IdpView>)> {
    let idp = partners::create_idp(&s.core, &who, Some(&id), input, &meta).await?;
    Ok((StatusCode::CREATED, Json(idp)))
}

#[derive(Serialize, ToSchema)]
struct PartnerGuests {
    guests: Vec<PartnerGuest>,
}

/// The partner's staff provisioned on first sign-in, by email.
#[utoipa::path(get, path = "/partners/{id}/guests", tag = "partners",
    operation_id = "list_partner_guests",
    params(("id" = String, Path, description = "The partner")),
    responses((status = 200, description = "The partner's guests", body = PartnerGuests)))]
async fn list_guests(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerGuests>> {
    Ok(Json(PartnerGuests {
        guests: partners::partner_guests(&s.core, &who, &id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
struct StaffIdps {
    identity_providers: Vec<IdpView>,
}

/// The organisation's own IdPs, for staff sign-in.
#[utoipa::path(get, path = "/idps", tag = "partners",
    responses((status = 200, description = "The staff IdPs", body = StaffIdps)))]
async fn list_staff_idps(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<StaffIdps>> {
    Ok(Json(StaffIdps {
        identity_providers: partners::list_staff_idps(&s.core, &who).await?,
    }))
}

/// Adds an IdP of the organisation's own, for staff sign-in.
#[utoipa::path(post, path = "/idps", tag = "partners", request_body = IdpInput,
    responses((status = 201, description = "The IdP", body = IdpView)))]
async fn create_staff_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<IdpInput>,
) -> ApiResult<(StatusCode, Json<IdpView>)> {
    let idp = partners::create_idp(&s.core, &who, None, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(idp)))
}

/// One IdP (never its client secret).
#[utoipa::path(get, path = "/idps/{id}", tag = "partners",
    params(("id" = String, Path, description = "The IdP")),
    responses((status = 200, description = "The IdP", body = IdpView)))]
async fn get_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<IdpView>> {
    Ok(Json(partners::get_idp(&s.core, &who, &id).await?))
}

/// Replaces an IdP's configuration (its client secret only when one is given).
#[utoipa::path(put, path = "/idps/{id}", tag = "partners",
    params(("id" = String, Path, description = "The IdP")), request_body = IdpInput,
    responses((status = 200, description = "The IdP as changed", body = IdpView)))]
async fn update_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IdpInput>,
) -> ApiResult<Json<IdpView>> {
    Ok(Json(
        partners::update_idp(&s.core, &who, &id, input, &meta).await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct SignInUrl {
    /// Open it in a browser: the IdP's answer lands on a page that shows what it asserted.
    sign_in_url: String,
}

/// "Test connection": starts a sign-in at the IdP, to open in a browser.
#[utoipa::path(post, path = "/idps/{id}/test", tag = "partners",
    params(("id" = String, Path, description = "The IdP")),
    responses((status = 200, description = "Where to start the sign-in", body = SignInUrl),
              (status = 502, description = "The IdP could not be reached")))]
async fn test_idp(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<SignInUrl>> {
    let url = partners::test_connection(&s.core, &who, &id).await?;
    Ok(Json(SignInUrl {
        sign_in_url: url.as_str().to_owned(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FederationEnabled {
    /// `false` switches it off, `true` on again.
    enabled: bool,
}

/// Switches a partner on or off: a disabled partner's shares offer no sign-in.
#[utoipa::path(put, path = "/partners/{id}/enabled", tag = "partners",
    params(("id" = String, Path, description = "The partner")), request_body = FederationEnabled,
    responses((status = 204, description = "Switched")))]
async fn set_partner_enabled(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FederationEnabled>,
) -> ApiResult<StatusCode> {
    use backend::store::partners::Toggle;
    partners::set_enabled(&s.core, &who, Toggle::Partner, &id, input.enabled, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switches an IdP on or off: a disabled IdP starts and finishes no sign-in.
#[utoipa::path(put, path = "/idps/{id}/enabled", tag = "partners",
    params(("id" = String, Path, description = "The IdP")), request_body = FederationEnabled,
    responses((status = 204, description = "Switched")))]
async fn set_idp_enabled(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FederationEnabled>,
) -> ApiResult<StatusCode> {
    use backend::store::partners::Toggle;
    partners::set_enabled(&s.core, &who, Toggle::Idp, &id, input.enabled, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces an IdP's attribute mapping; effective on the next sign-in.
#[utoipa::path(put, path = "/idps/{id}/attribute-map", tag = "partners",
    params(("id" = String, Path, description = "The IdP")), request_body = AttributeMap,
    responses((status = 200, description = "The IdP as changed", body = IdpView)))]
async fn set_idp_attribute_map(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(map): ApiJson<AttributeMap>,
) -> ApiResult<Json<IdpView>> {
    Ok(Json(
        partners::set_attribute_map(&s.core, &who, &id, map, &meta).await?,
    ))
}
