//! `/api/v1/api-keys` (admin API keys) and `/api/v1/signing-keys` (portal JWT signing key
//! rotation). Administrators only; the services check it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::domain::KeyScope;
use backend::services::api_keys::{self, ApiKeyView};
use backend::services::signing_keys::{self, SigningKeyView};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{invalid, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(list_signing_keys))
        .routes(routes!(rotate_signing_key))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewApiKey {
    /// What the key is for (at most 100 characters).
    name: String,
    /// `read` (the default: changes nothing) or `admin` (everything the owner's role may do).
    scope: Option<KeyScope>,
    /// Days until the key expires (none: never, for administrators only; other roles' keys
    /// expire within 365 days).
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<u32>,
}

/// A new key, with its secret (shown this once).
#[derive(Serialize, ToSchema)]
struct CreatedApiKey {
    key: ApiKeyView,
    /// The key itself, `lsn_…`: shown once, stored only as a hash.
    secret: String,
}

/// Creates an API key acting as its creator, narrowed by its scope.
#[utoipa::path(post, path = "/api-keys", tag = "keys", request_body = NewApiKey,
    responses((status = 201, description = "The key and its secret", body = CreatedApiKey)))]
async fn create_api_key(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let new = api_keys::NewKey {
        name: input.name,
        scope: input.scope.unwrap_or(KeyScope::Read),
        expires_in_days: input.expires_in_days,
    };
    let (key, secret) = api_keys::create(&state.core, &who, new, &meta).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key,
            secret: secret.expose_secret().to_owned(),
        }),
    ))
}

/// API keys.
#[derive(Serialize, ToSchema)]
struct ApiKeyList {
    keys: Vec<ApiKeyView>,
}

/// The caller's API keys (administrators: every key of the organisation).
#[utoipa::path(get, path = "/api-keys", tag = "keys",
    responses((status = 200, description = "The keys", body = ApiKeyList)))]
async fn list_api_keys(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<ApiKeyList>> {
    Ok(Json(ApiKeyList {
        keys: api_keys::list(&state.core, &who).await?,
    }))
}

/// Revokes an API key: its next request is refused.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "keys",
    params(("id" = String, Path, description = "The key")),
    responses((status = 200, description = "The key, revoked", body = ApiKeyView),
              (status = 409, description = "The key is already revoked")))]
async fn revoke_api_key(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKeyView>> {
    Ok(Json(api_keys::revoke(&state.core, &who, &id, &meta).await?))
}

/// Portal signing keys.
#[derive(Serialize, ToSchema)]
struct SigningKeyList {
    keys: Vec<SigningKeyView>,
}

/// The portal session signing keys, the latest to sign first, with their state.
#[utoipa::path(get, path = "/signing-keys", tag = "keys",
    responses((status = 200, description = "The keys", body = SigningKeyList)))]
async fn list_signing_keys(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<SigningKeyList>> {
    Ok(Json(SigningKeyList {
        keys: signing_keys::list(&state.core, &who).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SigningKeyRotation {
    /// Seconds the new key is published before it signs (default 600).
    #[schema(minimum = 420, maximum = 86400)]
    publish_lead_seconds: Option<u32>,
}

/// Starts a signing key rotation: a new key, published now, that signs after the lead.
#[utoipa::path(post, path = "/signing-keys/rotate", tag = "keys",
    request_body(content = Option<SigningKeyRotation>, description = "Optional: none means the default lead"),
    responses((status = 201, description = "The new key, pending", body = SigningKeyView),
              (status = 409, description = "A rotation is already pending")))]
async fn rotate_signing_key(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<SigningKeyView>)> {
    // The body is optional: none (or `null`) means the default lead.
    let rotation: Option<SigningKeyRotation> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice(&body).map_err(|e| invalid("body", e.to_string()))?
    };
    let lead = rotation.and_then(|r| r.publish_lead_seconds);
    let key = signing_keys::rotate(&state.core, &who, lead, &meta).await?;
    Ok((StatusCode::CREATED, Json(key)))
}
