//! End-to-end encrypted secrets over HTTP:
//! - `/api/v1/secrets` (API keys): create from ciphertext a client made, list, show, revoke;
//! - `POST /console/secrets` (the console's session and CSRF token): the same create, for
//!   the console's page, which encrypts in the browser;
//! - `POST /api/secret/open` (unauthenticated, rate-limited): the recipient's reveal, which
//!   answers the nonce and the ciphertext as bytes.
//!
//! Binary fields travel as unpadded base64url. No handler here sees a key or a code.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::actor::Staff;
use backend::domain::secrets::{Delivery, SecretKind, MAX_FILE_BYTES};
use backend::domain::Tlp;
use backend::services::secrets::{self, reveal, NewSecret};
use backend::services::ServiceError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{body_rejected, invalid, ApiError};
use crate::extract::{ApiStaff, ConsoleStaff, Meta};
use crate::state::AppState;

/// A reveal's body limit: a token and a proof.
pub const OPEN_LIMIT: usize = 1024;

/// A create body's limit: a 10 MiB file's ciphertext in base64 and the fields around it.
pub const CREATE_LIMIT: usize = (MAX_FILE_BYTES + 4096) / 3 * 4 + 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/secrets",
            get(list)
                .post(create)
                .layer(DefaultBodyLimit::max(CREATE_LIMIT)),
        )
        .route("/secrets/{id}", get(show).delete(revoke))
}

/// What a client sends to create a secret.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    kind: String,
    label: String,
    /// `CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT`, `RED`.
    tlp: String,
    /// `link_key` or `access_code`.
    delivery: String,
    recipient_email: Option<String>,
    expires_in_minutes: i64,
    max_views: i64,
    ciphertext: String,
    nonce: String,
    salt: Option<String>,
    proof: String,
    /// The console's CSRF token (`POST /console/secrets` only).
    csrf: Option<String>,
}

fn bytes(field: &'static str, text: &str) -> Result<Vec<u8>, ApiError> {
    B64URL
        .decode(text.trim_end_matches('='))
        .map_err(|_| invalid(field, format!("{field} must be base64url")))
}

impl CreateBody {
    fn into_new(self) -> Result<NewSecret, ApiError> {
        let kind = SecretKind::parse(&self.kind)
            .ok_or_else(|| invalid("kind", "kind must be password, note, api_secret or file"))?;
        let tlp = Tlp::parse(&self.tlp).ok_or_else(|| {
            invalid(
                "tlp",
                "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
            )
        })?;
        let delivery = Delivery::parse(&self.delivery)
            .ok_or_else(|| invalid("delivery", "delivery must be link_key or access_code"))?;
        Ok(NewSecret {
            kind,
            label: self.label,
            tlp,
            delivery,
            recipient_email: self.recipient_email,
            expires_in_minutes: self.expires_in_minutes,
            max_views: self.max_views,
            ciphertext: bytes("ciphertext", &self.ciphertext)?,
            nonce: bytes("nonce", &self.nonce)?,
            salt: self.salt.as_deref().map(|s| bytes("salt", s)).transpose()?,
            proof: SecretSlice::from(bytes("proof", &self.proof)?),
        })
    }
}

/// A JSON body; one over `limit` is answered 413 rather than as bad JSON.
fn body<T>(parsed: Result<Json<T>, JsonRejection>, limit: usize) -> Result<T, ApiError> {
    match parsed {
        Ok(Json(b)) => Ok(b),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(
            ServiceError::UnsupportedMedia("send the body as application/json".into()),
        )),
        Err(e) => Err(body_rejected(e.status(), e.body_text(), limit)),
    }
}

async fn create_as(
    state: &AppState,
    who: &Staff,
    meta: &backend::actor::RequestMeta,
    body: CreateBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (secret, link) = secrets::create(&state.core, who, body.into_new()?, meta).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "secret": secret, "link": link.expose_secret() })),
    ))
}

/// 201 `{"secret": …, "link": …}`. The link holds no key: with `link_key` delivery the
/// client appends `#` and the key; the link is shown this once.
async fn create(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    parsed: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body(parsed, CREATE_LIMIT)?;
    if body.csrf.is_some() {
        return Err(invalid("csrf", "API requests carry no CSRF token"));
    }
    create_as(&state, &who, &meta, body).await
}

/// The console page's create: the same body with the session's CSRF token.
pub async fn console_create(
    State(state): State<AppState>,
    ConsoleStaff { staff, csrf }: ConsoleStaff,
    Meta(meta): Meta,
    parsed: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body(parsed, CREATE_LIMIT)?;
    let presented = body.csrf.as_deref().unwrap_or_default();
    let expected = csrf.unwrap_or_default();
    if expected.is_empty()
        || !backend::crypto::constant_time_eq(expected.as_bytes(), presented.as_bytes())
    {
        return Err(ApiError(ServiceError::Forbidden(
            "The form has expired. Reload the page and try again.",
        )));
    }
    create_as(&state, &staff, &meta, body).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    /// The last id of the previous page.
    before: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let secrets = secrets::list(&state.core, &who, page.before.as_deref()).await?;
    Ok(Json(json!({ "secrets": secrets })))
}

async fn show(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(secrets::get(&state.core, &who, &id).await?)))
}

/// Revokes: the ciphertext is deleted now.
async fn revoke(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        secrets::revoke(&state.core, &who, &id, &meta).await?
    )))
}

/// The recipient's reveal.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    token: String,
    /// base64url of the 32-byte proof derived beside the key.
    proof: String,
}

/// 200 with the nonce and ciphertext (`application/octet-stream`, never cached),
/// `X-Views-Left` saying how many views remain; the error envelope otherwise.
pub async fn open(
    State(state): State<AppState>,
    Meta(meta): Meta,
    parsed: Result<Json<OpenBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = body(parsed, OPEN_LIMIT)?;
    let token = SecretString::from(body.token);
    let proof = SecretSlice::from(bytes("proof", &body.proof)?);
    let revealed = reveal::open(&state.core, token.expose_secret(), proof, &meta).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::HeaderName::from_static("x-views-left"),
                revealed.views_left.to_string(),
            ),
            (
                header::HeaderName::from_static("x-secret-kind"),
                revealed.kind.as_str().to_owned(),
            ),
        ],
        Bytes::from(revealed.nonce_and_ciphertext),
    )
        .into_response())
}

/// Both routes outside `/api/v1`, each with its body limit.
pub fn outside_router() -> Router<AppState> {
    Router::new()
        .route(
            app::SECRET_OPEN_PATH,
            post(open).layer(DefaultBodyLimit::max(OPEN_LIMIT)),
        )
        .route(
            app::CONSOLE_SECRETS_PATH,
            post(console_create).layer(DefaultBodyLimit::max(CREATE_LIMIT)),
        )
}
