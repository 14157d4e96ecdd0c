//! `/api/v1/staff`: the organisation's staff accounts (administrators): invite, change a
//! role, disable or enable, reset a password. The same service as the console's Users page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use backend::domain::{Role, SignIn};
use backend::services::staff::{self, NewStaff};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{invalid, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list_staff).post(invite_staff))
        .route("/staff/{id}", patch(change_staff))
        .route("/staff/{id}/reset-password", post(reset_password))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invitation {
    email: String,
    name: String,
    /// admin | controller | auditor
    role: String,
    /// password (default: a one-time link is mailed) | idp
    sign_in: Option<String>,
}

fn role(s: &str) -> ApiResult<Role> {
    Role::parse(s).ok_or_else(|| invalid("role", "role must be admin, controller or auditor"))
}

async fn list_staff(State(s): State<AppState>, ApiStaff(who): ApiStaff) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": staff::list(&s.core, &who).await? })))
}

/// 201 with the account; the invitation mail is in the outbox.
async fn invite_staff(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<Invitation>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let sign_in = match input.sign_in.as_deref() {
        None => SignIn::Password,
        Some(v) => {
            SignIn::parse(v).ok_or_else(|| invalid("sign_in", "sign_in must be password or idp"))?
        }
    };
    let new = NewStaff {
        email: input.email,
        name: input.name,
        role: role(&input.role)?,
        sign_in,
    };
    let view = staff::invite(&s.core, &who, new, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(view))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffChange {
    role: Option<String>,
    disabled: Option<bool>,
}

/// Changes the role and/or the disabled state, in one transaction (a refusal of either
/// changes nothing); each change is audited.
async fn change_staff(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StaffChange>,
) -> ApiResult<Json<Value>> {
    if input.role.is_none() && input.disabled.is_none() {
        return Err(invalid("role", "name a role or disabled to change"));
    }
    let change = staff::AccountChange {
        role: input.role.as_deref().map(role).transpose()?,
        disabled: input.disabled,
    };
    let view = staff::change_account(&s.core, &who, &id, change, &meta).await?;
    Ok(Json(json!(view)))
}

async fn reset_password(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        staff::reset_password(&s.core, &who, &id, &meta).await?
    )))
}
