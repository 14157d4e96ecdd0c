//! `/api/v1/api-keys` (admin API keys) and `/api/v1/signing-keys` (portal JWT signing key
//! rotation). Administrators only; the services check it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use backend::domain::KeyScope;
use backend::services::{api_keys, signing_keys};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{invalid, ApiError};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api-keys/{id}", delete(revoke_api_key))
        .route("/signing-keys", get(list_signing_keys))
        .route("/signing-keys/rotate", post(rotate_signing_key))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApiKey {
    name: String,
    /// `read` (the default: changes nothing) or `admin` (everything the owner's role may do).
    scope: Option<String>,
    expires_in_days: Option<u32>,
}

/// 201 with the key's view and its secret, shown this once.
async fn create_api_key(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let scope = match input.scope.as_deref() {
        None => KeyScope::Read,
        Some(s) => {
            KeyScope::parse(s).ok_or_else(|| invalid("scope", "scope must be read or admin"))?
        }
    };
    let new = api_keys::NewKey {
        name: input.name,
        scope,
        expires_in_days: input.expires_in_days,
    };
    let (key, secret) = api_keys::create(&state.core, &who, new, &meta).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "key": key, "secret": secret.expose_secret() })),
    ))
}

async fn list_api_keys(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "keys": api_keys::list(&state.core, &who).await? }),
    ))
}

async fn revoke_api_key(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        api_keys::revoke(&state.core, &who, &id, &meta).await?
    )))
}

async fn list_signing_keys(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "keys": signing_keys::list(&state.core, &who).await? }),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Rotation {
    /// Seconds the new key is published before it signs (default 300).
    publish_lead_seconds: Option<u32>,
}

async fn rotate_signing_key(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // The body is optional: none means the default lead.
    let rotation: Rotation = if body.iter().all(u8::is_ascii_whitespace) {
        Rotation::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| invalid("body", e.to_string()))?
    };
    let lead = rotation.publish_lead_seconds;
    let key = signing_keys::rotate(&state.core, &who, lead, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(key))))
}
