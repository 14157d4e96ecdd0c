//! `/api/v1/portals`: portals, their brand and logo, and their members (the groups
//! "portal access" shares admit) with their roles and expiry. Sections are in
//! [`super::portal_sections`].

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::domain::branding::logo::MAX_BYTES;
use backend::domain::MemberRole;
use backend::services::portals::branding::{BrandingInput, BrandingView};
use backend::services::portals::domains::DomainView;
use backend::services::portals::{self, branding, domains, members, PortalView};
use backend::services::ServiceError;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_portals, create_portal))
        .routes(routes!(set_branding))
        .routes(routes!(set_logo, clear_logo))
        .routes(routes!(list_domains, add_domain))
        .routes(routes!(verify_domain))
        .routes(routes!(remove_domain))
        .routes(routes!(add_member))
        .routes(routes!(remove_member, change_member))
        .routes(routes!(set_member_domains))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PortalInput {
    /// 1 to 200 characters, unique in the organisation.
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PortalMemberInput {
    /// 1 to 200 characters.
    name: String,
    email: String,
    #[serde(default)]
    role: MemberRole,
    /// RFC 3339, in the future; absent or null: the membership does not expire.
    expires_at: Option<String>,
}

/// `PATCH .../members/{member_id}`: the role and expiry the member has from now on (an
/// absent or null `expires_at` removes the expiry).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PortalMemberChange {
    role: MemberRole,
    /// RFC 3339, in the future; absent or null: the membership does not expire.
    expires_at: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberDomainsInput {
    /// Domain names such as `partner.example` (at most 50; empty: managers add no one).
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

#[derive(Serialize, ToSchema)]
struct PortalList {
    portals: Vec<PortalView>,
}

/// The organisation's portals, each with its brand and active members.
#[utoipa::path(get, path = "/portals", tag = "portals",
    responses((status = 200, description = "The portals", body = PortalList)))]
async fn list_portals(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<PortalList>> {
    Ok(Json(PortalList {
        portals: portals::list(&s.core, &who).await?,
    }))
}

/// Adds a portal.
#[utoipa::path(post, path = "/portals", tag = "portals", request_body = PortalInput,
    responses((status = 201, description = "The portal", body = PortalView),
              (status = 409, description = "A portal of this name exists")))]
async fn create_portal(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<PortalInput>,
) -> ApiResult<(StatusCode, Json<PortalView>)> {
    let p = portals::create(&s.core, &who, &input.name, &meta).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Adds a member to the portal (or reactivates one whose membership ended).
#[utoipa::path(post, path = "/portals/{id}/members", tag = "portals",
    operation_id = "add_portal_member",
    params(("id" = String, Path, description = "The portal")), request_body = PortalMemberInput,
    responses((status = 204, description = "Added")))]
async fn add_member(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PortalMemberInput>,
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

/// Changes an active member's role and expiry.
#[utoipa::path(patch, path = "/portals/{id}/members/{member_id}", tag = "portals",
    operation_id = "change_portal_member",
    params(("id" = String, Path, description = "The portal"),
           ("member_id" = String, Path, description = "The member")),
    request_body = PortalMemberChange,
    responses((status = 204, description = "Changed")))]
async fn change_member(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, member_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<PortalMemberChange>,
) -> ApiResult<StatusCode> {
    let expires_at = expiry(input.expires_at.as_deref())?;
    members::change_member(
        &s.core, &who, &id, &member_id, input.role, expires_at, &meta,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct MemberDomains {
    /// Lower-cased, without duplicates.
    member_domains: Vec<String>,
}

/// Sets the email domains the portal's managers may add members from.
#[utoipa::path(put, path = "/portals/{id}/member_domains", tag = "portals",
    params(("id" = String, Path, description = "The portal")), request_body = MemberDomainsInput,
    responses((status = 200, description = "The member domains as saved", body = MemberDomains)))]
async fn set_member_domains(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MemberDomainsInput>,
) -> ApiResult<Json<MemberDomains>> {
    let domains = members::set_member_domains(&s.core, &who, &id, &input.domains, &meta).await?;
    Ok(Json(MemberDomains {
        member_domains: domains,
    }))
}

#[derive(Serialize, ToSchema)]
struct RevokedShares {
    /// How many of the member's shares in this portal were revoked.
    revoked_shares: usize,
}

/// Removes the member and revokes their shares in this portal.
#[utoipa::path(delete, path = "/portals/{id}/members/{member_id}", tag = "portals",
    operation_id = "remove_portal_member",
    params(("id" = String, Path, description = "The portal"),
           ("member_id" = String, Path, description = "The member")),
    responses((status = 200, description = "Removed", body = RevokedShares)))]
async fn remove_member(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, member_id)): Path<(String, String)>,
) -> ApiResult<Json<RevokedShares>> {
    let revoked = members::remove_member(&s.core, &who, &id, &member_id, &meta).await?;
    Ok(Json(RevokedShares {
        revoked_shares: revoked,
    }))
}

/// Replaces the portal's brand (all but the logo) and legal terms.
#[utoipa::path(put, path = "/portals/{id}/branding", tag = "portals",
    params(("id" = String, Path, description = "The portal")), request_body = BrandingInput,
    responses((status = 200, description = "The brand as saved", body = BrandingView),
              (status = 409, description = "The brand was changed by someone else meanwhile")))]
async fn set_branding(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<BrandingInput>,
) -> ApiResult<Json<BrandingView>> {
    Ok(Json(
        branding::set(&s.core, &who, &id, &input, &meta).await?,
    ))
}

/// Replaces the portal's logo with the image sent, re-encoded.
///
/// The body is the image itself (PNG, JPEG or WebP, at most 1 MiB); it is read only up to
/// that limit, after the caller is known to be an administrator.
#[utoipa::path(put, path = "/portals/{id}/logo", tag = "portals",
    params(("id" = String, Path, description = "The portal")),
    request_body(description = "The image: PNG, JPEG or WebP, at most 1 MiB",
        content(("image/png"), ("image/jpeg"), ("image/webp"))),
    responses((status = 200, description = "The brand with its new logo", body = BrandingView),
              (status = 409, description = "The brand was changed by someone else meanwhile")))]
async fn set_logo(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Json<BrandingView>> {
    branding::may_change(&who)?;
    let bytes = axum::body::to_bytes(body, MAX_BYTES)
        .await
        .map_err(|_| ApiError(ServiceError::PayloadTooLarge { limit: MAX_BYTES }))?;
    Ok(Json(
        branding::set_logo(&s.core, &who, &id, bytes, &meta).await?,
    ))
}

/// Removes the portal's logo (guests see its name instead).
#[utoipa::path(delete, path = "/portals/{id}/logo", tag = "portals",
    params(("id" = String, Path, description = "The portal")),
    responses((status = 200, description = "The brand without a logo", body = BrandingView),
              (status = 409, description = "The brand was changed by someone else meanwhile")))]
async fn clear_logo(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<BrandingView>> {
    Ok(Json(branding::clear_logo(&s.core, &who, &id, &meta).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PortalDomainInput {
    /// A DNS name the organisation controls, e.g. `share.agency.example` (no scheme, port or
    /// wildcard).
    domain: String,
}

#[derive(Serialize, ToSchema)]
struct DomainList {
    domains: Vec<DomainView>,
}

/// The portal's custom domains, each with the TXT record to publish.
#[utoipa::path(get, path = "/portals/{id}/domains", tag = "portals",
    params(("id" = String, Path, description = "The portal")),
    responses((status = 200, description = "The portal's domains", body = DomainList)))]
async fn list_domains(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<DomainList>> {
    let all = domains::list(&s.core, &who).await?;
    let mine: Vec<_> = all.into_iter().filter(|d| d.portal_id == id).collect();
    Ok(Json(DomainList { domains: mine }))
}

/// Adds a custom domain to the portal, pending verification.
#[utoipa::path(post, path = "/portals/{id}/domains", tag = "portals",
    params(("id" = String, Path, description = "The portal")), request_body = PortalDomainInput,
    responses((status = 201, description = "The domain, with the TXT record to publish",
               body = DomainView),
              (status = 409, description = "The domain is already the organisation's, or \
                                            verified for another portal")))]
async fn add_domain(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PortalDomainInput>,
) -> ApiResult<(StatusCode, Json<DomainView>)> {
    let d = domains::add(&s.core, &who, &id, &input.domain, &meta).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Looks the domain's TXT record up now: verified when it holds the challenge.
#[utoipa::path(post, path = "/domains/{id}/verify", tag = "portals",
    params(("id" = String, Path, description = "The domain")),
    responses((status = 200, description = "The domain, verified", body = DomainView),
              (status = 409, description = "The domain is verified for another portal")))]
async fn verify_domain(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<DomainView>> {
    Ok(Json(domains::verify(&s.core, &who, &id, &meta).await?))
}

/// Removes a custom domain from its portal (it is no longer served).
#[utoipa::path(delete, path = "/domains/{id}", tag = "portals",
    params(("id" = String, Path, description = "The domain")),
    responses((status = 204, description = "Removed")))]
async fn remove_domain(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    domains::remove(&s.core, &who, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
