//! `/api/v1/staff`: the organisation's staff accounts (administrators): invite, change a
//! role, disable or enable, reset a password. The same service as the console's Users page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::domain::{Role, SignIn};
use backend::services::staff::{self, NewStaff, StaffView};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::Items;
use crate::error::{invalid, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_staff, invite_staff))
        .routes(routes!(change_staff))
        .routes(routes!(reset_password))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StaffInvitation {
    /// Unique across the installation.
    email: String,
    /// At most 120 characters.
    name: String,
    role: Role,
    /// `password` (the default: a one-time link to set one is mailed) or `idp` (only
    /// through the organisation's identity provider).
    sign_in: Option<SignIn>,
}

/// Every staff account of the organisation, by email.
#[utoipa::path(get, path = "/staff", tag = "staff",
    responses((status = 200, description = "The accounts", body = Items<StaffView>)))]
async fn list_staff(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Items<StaffView>>> {
    Ok(Json(staff::list(&s.core, &who).await?.into()))
}

/// Invites a staff member: the account, and a mail with a one-time link to set a password
/// (or where to sign in); the mail is in the outbox.
#[utoipa::path(post, path = "/staff", tag = "staff", request_body = StaffInvitation,
    responses((status = 201, description = "The account", body = StaffView),
              (status = 409, description = "The address is already a staff member's, here or elsewhere")))]
async fn invite_staff(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<StaffInvitation>,
) -> ApiResult<(StatusCode, Json<StaffView>)> {
    let new = NewStaff {
        email: input.email,
        name: input.name,
        role: input.role,
        sign_in: input.sign_in.unwrap_or(SignIn::Password),
    };
    let view = staff::invite(&s.core, &who, new, &meta).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// What to change about an account: at least one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StaffChange {
    role: Option<Role>,
    /// `true` disables the account (its sessions end and its API keys are revoked);
    /// `false` enables it again.
    disabled: Option<bool>,
}

/// Changes an account's role and/or disabled state, in one transaction (a refusal of
/// either changes nothing); each change is audited.
#[utoipa::path(patch, path = "/staff/{id}", tag = "staff",
    params(("id" = String, Path, description = "The account")), request_body = StaffChange,
    responses((status = 200, description = "The account as changed", body = StaffView)))]
async fn change_staff(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StaffChange>,
) -> ApiResult<Json<StaffView>> {
    if input.role.is_none() && input.disabled.is_none() {
        return Err(invalid("role", "name a role or disabled to change"));
    }
    let change = staff::AccountChange {
        role: input.role,
        disabled: input.disabled,
    };
    let view = staff::change_account(&s.core, &who, &id, change, &meta).await?;
    Ok(Json(view))
}

/// Resets an account's password: the old one stops working, its API keys are revoked and
/// a one-time link to set a new one is mailed.
#[utoipa::path(post, path = "/staff/{id}/reset-password", tag = "staff",
    operation_id = "reset_staff_password",
    params(("id" = String, Path, description = "The account")),
    responses((status = 200, description = "The account", body = StaffView)))]
async fn reset_password(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<StaffView>> {
    Ok(Json(
        staff::reset_password(&s.core, &who, &id, &meta).await?,
    ))
}
