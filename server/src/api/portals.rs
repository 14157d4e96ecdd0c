//! `/api/v1/portals`: portals, their brand and logo, and their members (the groups
//! "portal access" shares admit) with their roles and expiry. Sections are in
//! [`super::portal_sections`].

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use backend::domain::branding::logo::MAX_BYTES;
use backend::domain::MemberRole;
use backend::services::portals::{self, branding, domains, members};
use backend::services::ServiceError;
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portals", get(list_portals).post(create_portal))
        .route("/portals/{id}/branding", put(set_branding))
        .route("/portals/{id}/logo", put(set_logo).delete(clear_logo))
        .route("/portals/{id}/domains", get(list_domains).post(add_domain))
        .route("/domains/{id}/verify", post(verify_domain))
        .route("/domains/{id}", delete(remove_domain))
        .route("/portals/{id}/members", post(add_member))
        .route(
            "/portals/{id}/members/{member_id}",
            delete(remove_member).patch(change_member),
        )
        .route("/portals/{id}/member_domains", put(set_member_domains))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortalInput {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberInput {
    name: String,
    email: String,
    #[serde(default)]
    role: MemberRole,
    /// RFC 3339; absent or null: the membership does not expire.
    expires_at: Option<String>,
}

/// `PATCH .../members/{member_id}`: the role and expiry the member has from now on (an
/// absent or null `expires_at` removes the expiry).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberChange {
    role: MemberRole,
    expires_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberDomainsInput {
    domains: Vec<String>,
}

fn expiry(at: Option<&str>) -> Result<Option<time::OffsetDateTime>, ApiError> {
    at.map(|at| {
        time::OffsetDateTime::parse(at, &Rfc3339).map_err(|_| {
            invalid(
                "expires_at",
                "expires_at must be an RFC 3339 timestamp, e.g. 2026-12-31T17:00:00Z",
            )
        })
    })
    .transpose()
}

async fn list_portals(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "portals": portals::list(&s.core, &who).await? }),
    ))
}

async fn create_portal(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<PortalInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let p = portals::create(&s.core, &who, &input.name, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(p))))
}

async fn add_member(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MemberInput>,
) -> ApiResult<StatusCode> {
    let input = members::MemberInput {
        expires_at: expiry(input.expires_at.as_deref())?,
        name: input.name,
        email: input.email,
        role: input.role,
    };
    members::add_member(&s.core, &who, &id, &input, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn change_member(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, member_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<MemberChange>,
) -> ApiResult<StatusCode> {
    let expires_at = expiry(input.expires_at.as_deref())?;
    members::change_member(
        &s.core, &who, &id, &member_id, input.role, expires_at, &meta,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The email domains the portal's managers may add members from.
async fn set_member_domains(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MemberDomainsInput>,
) -> ApiResult<Json<Value>> {
    let domains = members::set_member_domains(&s.core, &who, &id, &input.domains, &meta).await?;
    Ok(Json(json!({ "member_domains": domains })))
}

/// Removes the member and revokes their shares in this portal.
async fn remove_member(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, member_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let revoked = members::remove_member(&s.core, &who, &id, &member_id, &meta).await?;
    Ok(Json(json!({ "revoked_shares": revoked })))
}

async fn set_branding(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<branding::BrandingInput>,
) -> ApiResult<Json<Value>> {
    let view = branding::set(&s.core, &who, &id, &input, &meta).await?;
    Ok(Json(json!(view)))
}

/// The body is the image itself (PNG, JPEG or WebP, at most 1 MiB); it is read only up to
/// that limit, after the caller is known to be an administrator.
async fn set_logo(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Json<Value>> {
    branding::may_change(&who)?;
    let bytes = axum::body::to_bytes(body, MAX_BYTES)
        .await
        .map_err(|_| ApiError(ServiceError::PayloadTooLarge { limit: MAX_BYTES }))?;
    let view = branding::set_logo(&s.core, &who, &id, bytes, &meta).await?;
    Ok(Json(json!(view)))
}

async fn clear_logo(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let view = branding::clear_logo(&s.core, &who, &id, &meta).await?;
    Ok(Json(json!(view)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainInput {
    domain: String,
}

/// The portal's custom domains, each with the TXT record to publish.
async fn list_domains(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let all = domains::list(&s.core, &who).await?;
    let mine: Vec<_> = all.into_iter().filter(|d| d.portal_id == id).collect();
    Ok(Json(json!({ "domains": mine })))
}

async fn add_domain(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DomainInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let d = domains::add(&s.core, &who, &id, &input.domain, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(d))))
}

/// Looks the domain's TXT record up now.
async fn verify_domain(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        domains::verify(&s.core, &who, &id, &meta).await?
    )))
}

async fn remove_domain(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    domains::remove(&s.core, &who, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
