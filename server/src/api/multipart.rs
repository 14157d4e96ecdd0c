//! Reading multipart forms without ever holding a part whole: the error mapping (the body
//! limit is a 413) and text fields read to a bound.

use axum::http::StatusCode;
use backend::services::ServiceError;

use crate::error::{invalid, ApiError};

/// A multipart read error as the caller should see it: the body limit is a 413.
pub fn body_error(
    e: axum::extract::multipart::MultipartError,
    field: &'static str,
    limit: usize,
) -> ServiceError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ServiceError::PayloadTooLarge { limit }
    } else {
        ServiceError::Invalid {
            field,
            message: format!("malformed multipart body: {}", e.body_text()),
        }
    }
}

/// A text part read up to `max_bytes` (never the whole body into memory): longer is a 422
/// naming the field.
pub async fn bounded_text(
    mut field: axum::extract::multipart::Field<'_>,
    name: &'static str,
    max_bytes: usize,
    limit: usize,
) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(piece) = field
        .chunk()
        .await
        .map_err(|e| ApiError(body_error(e, name, limit)))?
    {
        if bytes.len() + piece.len() > max_bytes {
            return Err(invalid(name, format!("{name} is too long")));
        }
        bytes.extend_from_slice(&piece);
    }
    String::from_utf8(bytes).map_err(|_| invalid(name, format!("{name} must be UTF-8 text")))
}
