//! Guest responses over HTTP: `POST /api/portal/responses` (portal API, Bearer or cookie,
//! JSON answer) and `POST /portal/responses` (the portal page's plain multipart form, which
//! answers with a redirect so it works before or without wasm). Both read the same form:
//! `decision`, `comment`, and up to five `attachment` files.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use backend::services::responses::{self, Attachment, Decision, NewResponse};
use backend::services::ServiceError;
use serde_json::json;

use crate::api::extract::{Meta, PortalGuest};
use crate::error::{invalid, ApiError};
use crate::state::AppState;

async fn read_form(mut form: Multipart, limit: usize) -> Result<NewResponse, ApiError> {
    let mut decision = None;
    let mut comment = String::new();
    let mut attachments = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError(ServiceError::PayloadTooLarge { limit }))
            }
            Err(e) => {
                return Err(invalid(
                    "body",
                    format!("malformed multipart body: {}", e.body_text()),
                ))
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "decision" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| invalid("decision", e.body_text()))?;
                decision = Some(Decision::parse(text.trim()).ok_or_else(|| {
                    invalid(
                        "decision",
                        "decision must be approve, approve_with_comments or reject",
                    )
                })?);
            }
            "comment" => {
                comment = field
                    .text()
                    .await
                    .map_err(|e| invalid("comment", e.body_text()))?
            }
            "attachment" => {
                let file_name = field.file_name().unwrap_or("attachment").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError(ServiceError::PayloadTooLarge { limit })
                    } else {
                        invalid("attachment", e.body_text())
                    }
                })?;
                // An empty file input in a browser form sends a nameless empty part.
                if !(bytes.is_empty() && file_name.is_empty()) {
                    attachments.push(Attachment { file_name, bytes });
                }
            }
            other => return Err(invalid("body", format!("unexpected form field {other:?}"))),
        }
    }
    Ok(NewResponse {
        decision: decision.ok_or_else(|| invalid("decision", "choose a decision"))?,
        comment,
        attachments,
    })
}

/// Body limit for a response: five attachments of the largest upload size, plus the form.
pub fn body_limit(state: &AppState) -> usize {
    state.core.settings.max_upload_bytes * responses::MAX_ATTACHMENTS + 64 * 1024
}

pub async fn submit_api(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    form: Multipart,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let input = read_form(form, state.core.settings.max_upload_bytes).await?;
    let view = responses::submit(&state.core, &guest, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(view))))
}

pub async fn submit_form(
    State(state): State<AppState>,
    guest: Result<PortalGuest, ApiError>,
    Meta(meta): Meta,
    form: Multipart,
) -> Response {
    let back = |message: &str| {
        let q: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
        Redirect::to(&format!("/portal?error={q}")).into_response()
    };
    let Ok(PortalGuest(guest, _)) = guest else {
        return Redirect::to("/portal").into_response();
    };
    let result = async {
        let input = read_form(form, state.core.settings.max_upload_bytes).await?;
        Ok::<_, ApiError>(responses::submit(&state.core, &guest, input, &meta).await?)
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal?responded=1").into_response(),
        Err(e) => back(&crate::error::public_message(&e.0)),
    }
}
