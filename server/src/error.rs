//! The HTTP edge of errors: one JSON envelope `{"error":{"code","message"}}` for every API,
//! statuses chosen here, internal details logged once and never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use backend::services::ServiceError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self(e)
    }
}

/// What an API handler returns: its answer, or the error envelope.
pub type ApiResult<T> = Result<T, ApiError>;

pub fn status_of(e: &ServiceError) -> StatusCode {
    StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Logs an internal error once (its detail may name tables or paths, never secrets) and
/// returns the message that may be shown.
pub fn public_message(e: &ServiceError) -> String {
    if let ServiceError::Internal(detail) = e {
        tracing::error!(error.detail = %detail.detail(), "internal error");
    }
    e.to_string()
}

pub fn envelope(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let message = public_message(&self.0);
        let mut body = json!({ "error": { "code": self.0.code(), "message": message } });
        if let ServiceError::Invalid { field, .. } = &self.0 {
            body["error"]["field"] = json!(field);
        }
        let mut resp = (status, axum::Json(body)).into_response();
        // RFC 6750 §3: a missing or bad bearer credential is named in WWW-Authenticate.
        let challenge = match &self.0 {
            ServiceError::InvalidPortalToken(why) => Some(format!(
                "Bearer realm=\"liaison\", error=\"invalid_token\", error_description=\"{}\"",
                quoted(why)
            )),
            ServiceError::Unauthenticated(_) => Some("Bearer realm=\"liaison\"".to_owned()),
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if let ServiceError::TooMany {
            retry_after_secs: Some(secs),
            ..
        } = &self.0
        {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*secs));
        }
        resp
    }
}

/// Errors raised by the HTTP layer itself (bad JSON, missing fields, body too large).
pub fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError(ServiceError::Invalid {
        field,
        message: message.into(),
    })
}

/// A body the HTTP layer refused: over its size `limit` a 413, anything else a refusal of
/// `body` with the layer's reason (`status` and `text` are the rejection's).
pub fn body_rejected(status: StatusCode, text: String, limit: usize) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(ServiceError::PayloadTooLarge { limit })
    } else {
        invalid("body", text)
    }
}

/// A plain form's answer when it is refused: back to `page`, with the message in this
/// browser's flash cookie (`app::flash`) for the page to show. `secure`: the site is https.
pub fn back_with_error(
    core: &backend::Liaison,
    secure: bool,
    page: &str,
    message: &str,
) -> Response {
    let cookie = app::flash::cookie(core, Some(message), secure);
    let mut resp =
        axum::response::Redirect::to(&format!("{page}?{}=1", app::flash::QUERY)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie.encoded().to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
