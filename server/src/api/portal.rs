//! Portal API, `/api/portal`: guests exchange a link token for an RS256 session JWT and
//! use it (Bearer or cookie) to read the share's items. Revocation is checked on every call.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::services::portal;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{ApiJson, Meta, PortalGuest};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(create_session))
        .route("/items", get(items))
        .route("/items/{id}/content", get(item_content))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionInput {
    token: String,
    /// Required as `true` when the share asks for the acknowledgement.
    #[serde(default)]
    acknowledged: bool,
    /// Required as `true` when the share has legal terms.
    #[serde(default)]
    accept_terms: bool,
    password: Option<SecretString>,
    code: Option<SecretString>,
    /// The device id this client got from an earlier session; a client without one gets a
    /// new one in the response and should keep it (it stands in for the browser's cookie).
    device: Option<SecretString>,
}

async fn create_session(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<SessionInput>,
) -> Result<Json<Value>, ApiError> {
    use secrecy::ExposeSecret;
    let device = input.device.unwrap_or_else(portal::new_device_id);
    let device_text = device.expose_secret().to_owned();
    let s = portal::open(
        &state.core,
        portal::OpenRequest {
            token: input.token,
            password: input.password,
            code: input.code,
            acknowledged: input.acknowledged,
            accepted_terms: input.accept_terms,
            device,
        },
        &meta,
    )
    .await?;
    Ok(Json(json!({
        "access_token": s.access_token,
        "token_type": "Bearer",
        "expires_in": s.expires_in,
        "device": device_text,
    })))
}

async fn items(
    State(state): State<AppState>,
    PortalGuest(guest): PortalGuest,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "items": portal::items(&state.core, &guest).await? }),
    ))
}

/// Serves an item's bytes inline, locked down: the declared type is the sniffed one,
/// `nosniff`, a sandboxing CSP, and framing only by our own portal page.
async fn item_content(
    State(state): State<AppState>,
    PortalGuest(guest): PortalGuest,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (item, bytes) = portal::item_content(&state.core, &guest, &id, &meta).await?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&item.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let ascii: String = item
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(item.file_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
