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
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use backend::actor::Staff;
use backend::domain::secrets::{Delivery, SecretKind, MAX_FILE_BYTES};
use backend::domain::Tlp;
use backend::services::secrets::{self, reveal, NewSecret, SecretView};
use backend::services::ServiceError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{body_rejected, invalid, ApiError};
use crate::extract::{ApiQuery, ApiStaff, ConsoleStaff, Meta};
use crate::state::AppState;

/// A reveal's body limit: a token and a proof.
pub const OPEN_LIMIT: usize = 1024;

/// A create body's limit: a 10 MiB file's ciphertext in base64 and the fields around it.
pub const CREATE_LIMIT: usize = (MAX_FILE_BYTES + 4096) / 3 * 4 + 64 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .layer(DefaultBodyLimit::max(CREATE_LIMIT))
        .routes(routes!(show, revoke))
}

/// What a client sends to create a secret: the terms, and what its browser encrypted.
/// Binary fields are unpadded base64url.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateSecretInput)]
pub struct CreateBody {
    /// `password`, `note`, `api_secret` or `file`: how the recipient's page shows it.
    #[schema(example = "password")]
    kind: String,
    /// Seen by staff only (lists, audit); never the secret itself.
    label: String,
    /// `CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT`, `RED`.
    #[schema(example = "AMBER")]
    tlp: String,
    /// `link_key` or `access_code`.
    #[schema(example = "link_key")]
    delivery: String,
    /// Liaison mails the link here (access code delivery only).
    recipient_email: Option<String>,
    /// How long it lives: at least 5 minutes, at most the policy's limit.
    #[schema(minimum = 5)]
    expires_in_minutes: i64,
    /// How many times it may be viewed (1: view once).
    #[schema(minimum = 1, maximum = 100)]
    max_views: i64,
    /// The encrypted content.
    ciphertext: String,
    /// The AES-GCM nonce (12 bytes).
    nonce: String,
    /// The PBKDF2 salt the recipient's browser derives the key with (access codes only).
    salt: Option<String>,
    /// The 32-byte proof derived beside the key; stored only as a hash.
    proof: String,
    /// The console's CSRF token (`POST /console/secrets` only; refused here).
    #[schema(ignore)]
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

/// A new secret and its link.
#[derive(Serialize, ToSchema)]
pub struct CreatedSecret {
    secret: SecretView,
    /// The link, shown this once. It holds no key: with `link_key` delivery the client
    /// appends `#` and the key.
    link: String,
}

async fn create_as(
    state: &AppState,
    who: &Staff,
    meta: &backend::actor::RequestMeta,
    body: CreateBody,
) -> Result<(StatusCode, Json<CreatedSecret>), ApiError> {
    let (secret, link) = secrets::create(&state.core, who, body.into_new()?, meta).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSecret {
            secret,
            link: link.expose_secret().to_owned(),
        }),
    ))
}

/// Creates a secret from ciphertext the client made; the link is shown this once.
#[utoipa::path(post, path = "/secrets", tag = "secrets", operation_id = "create_secret",
    request_body = CreateBody,
    responses((status = 201, description = "The secret and its link (without the key)",
               body = CreatedSecret)))]
async fn create(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    parsed: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedSecret>), ApiError> {
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
) -> Result<(StatusCode, Json<CreatedSecret>), ApiError> {
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

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListSecretsQuery {
    /// The last id of the previous page.
    before: Option<String>,
}

/// A page of secrets.
#[derive(Serialize, ToSchema)]
struct SecretList {
    /// At most 50, newest first.
    secrets: Vec<SecretView>,
}

/// The organisation's secrets, newest first, 50 a page.
#[utoipa::path(get, path = "/secrets", tag = "secrets", operation_id = "list_secrets",
    params(ListSecretsQuery),
    responses((status = 200, description = "A page of secrets", body = SecretList)))]
async fn list(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    ApiQuery(page): ApiQuery<ListSecretsQuery>,
) -> Result<Json<SecretList>, ApiError> {
    let secrets = secrets::list(&state.core, &who, page.before.as_deref()).await?;
    Ok(Json(SecretList { secrets }))
}

/// One secret (never its content).
#[utoipa::path(get, path = "/secrets/{id}", tag = "secrets", operation_id = "read_secret",
    params(("id" = String, Path, description = "The secret")),
    responses((status = 200, description = "The secret", body = SecretView)))]
async fn show(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> Result<Json<SecretView>, ApiError> {
    Ok(Json(secrets::get(&state.core, &who, &id).await?))
}

/// Revokes a secret: its ciphertext is deleted now.
#[utoipa::path(delete, path = "/secrets/{id}", tag = "secrets", operation_id = "revoke_secret",
    params(("id" = String, Path, description = "The secret")),
    responses((status = 200, description = "The secret, revoked", body = SecretView),
              (status = 409, description = "The secret has already ended (viewed, expired or revoked)")))]
async fn revoke(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Result<Json<SecretView>, ApiError> {
    Ok(Json(secrets::revoke(&state.core, &who, &id, &meta).await?))
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
