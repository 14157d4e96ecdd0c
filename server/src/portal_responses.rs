//! Guest responses over HTTP: `POST /api/portal/responses` (portal API, Bearer or cookie,
//! JSON answer) and `POST /portal/responses` (the portal page's plain multipart form, which
//! answers with a redirect so it works before or without wasm). Both read the same form:
//! `decision`, `comment`, and up to five `attachment` files.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use backend::actor::Guest;
use backend::services::responses::{self, Decision, NewResponse};
use backend::services::uploads::StagedFiles;
use futures::StreamExt;

use crate::api::multipart::{body_error, bounded_text};
use crate::error::{invalid, ApiError};
use crate::extract::{ApiMultipart, Meta, PortalGuest};
use crate::state::AppState;

/// Reads the form in order, streaming each attachment into storage as it arrives (tracked
/// in `staged`, which removes them unless the response is committed). The guest's
/// permission is checked before anything is read, and again (for attachments) at the
/// first file part.
async fn read_form(
    state: &AppState,
    guest: &Guest,
    form: Multipart,
    staged: &mut StagedFiles,
) -> Result<NewResponse, ApiError> {
    responses::may_respond(&state.core, guest, false).await?;
    let mut attachments = Vec::new();
    let (decision, comment) = read_fields(state, guest, form, staged, &mut attachments).await?;
    Ok(NewResponse {
        decision,
        comment,
        attachments,
    })
}

async fn read_fields(
    state: &AppState,
    guest: &Guest,
    mut form: Multipart,
    staged: &mut StagedFiles,
    attachments: &mut Vec<responses::StagedAttachment>,
) -> Result<(Decision, String), ApiError> {
    let limit = state.core.settings.max_upload_bytes;
    let mut decision = None;
    let mut comment = String::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(ApiError(body_error(e, "body", limit))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "decision" => {
                let text = bounded_text(field, "decision", 64, limit).await?;
                decision = Some(Decision::parse(text.trim()).ok_or_else(|| {
                    invalid(
                        "decision",
                        "decision must be approve, approve_with_comments or reject",
                    )
                })?);
            }
            "comment" => {
                // Characters may take four bytes each.
                comment = bounded_text(field, "comment", 4 * responses::MAX_COMMENT, limit).await?
            }
            "attachment" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                // An empty file input in a browser form sends a nameless empty part: it is
                // skipped. A nameless part with content is not a file.
                if file_name.is_empty() {
                    let mut field = field;
                    while let Some(piece) = field
                        .chunk()
                        .await
                        .map_err(|e| ApiError(body_error(e, "attachment", limit)))?
                    {
                        if !piece.is_empty() {
                            return Err(invalid(
                                "attachment",
                                "an attachment must be a file: a part with a file name",
                            ));
                        }
                    }
                    continue;
                }
                if attachments.len() >= responses::MAX_ATTACHMENTS {
                    return Err(invalid(
                        "attachments",
                        format!("at most {} attachments", responses::MAX_ATTACHMENTS),
                    ));
                }
                let pieces = Box::pin(
                    field.map(move |piece| piece.map_err(|e| body_error(e, "attachment", limit))),
                );
                let attachment = responses::stage(&state.core, guest, &file_name, pieces).await?;
                staged.track(&attachment.blob_key);
                attachments.push(attachment);
            }
            other => return Err(invalid("body", format!("unexpected form field {other:?}"))),
        }
    }
    let decision = decision.ok_or_else(|| invalid("decision", "choose a decision"))?;
    Ok((decision, comment))
}

/// Body limit for a response: five attachments of the largest upload size, plus the form.
pub fn body_limit(state: &AppState) -> usize {
    state.core.settings.max_upload_bytes * responses::MAX_ATTACHMENTS + 64 * 1024
}

/// A response as the portal API reads it (multipart, in this order of parts).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the form `read_form` reads part by part.
pub struct ResponseParts {
    decision: Decision,
    /// At most 10,000 characters.
    #[schema(max_length = 10000)]
    comment: Option<String>,
    /// Up to five files, each at most `LIAISON_MAX_UPLOAD_BYTES` (the share must allow
    /// editing).
    #[schema(value_type = Option<Vec<String>>, format = Binary, max_items = 5)]
    attachment: Option<Vec<Vec<u8>>>,
}

/// Sends the share's owner a response: a decision, a comment and attachments (the share
/// must allow comments; attachments need edit). The owner is mailed.
#[utoipa::path(post, path = "/responses", tag = "portal",
    request_body(content = ResponseParts, content_type = "multipart/form-data"),
    responses((status = 201, description = "The response as stored", body = responses::ResponseView),
              (status = 410, description = "The share has ended")))]
pub async fn submit_api(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    ApiMultipart(form): ApiMultipart,
) -> Result<(StatusCode, Json<responses::ResponseView>), ApiError> {
    let mut staged = StagedFiles::new(state.core.clone());
    let input = read_form(&state, &guest, form, &mut staged).await?;
    let view = responses::submit(&state.core, &guest, input, &meta).await?;
    staged.adopted();
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn submit_form(
    State(state): State<AppState>,
    guest: Result<PortalGuest, ApiError>,
    Meta(meta): Meta,
    form: Multipart,
) -> Response {
    let secure = state.core.settings.secure_cookies_on(&meta.site);
    let back =
        |message: &str| crate::error::back_with_error(&state.core, secure, "/portal", message);
    let Ok(PortalGuest(guest, _)) = guest else {
        return Redirect::to("/portal").into_response();
    };
    let result = async {
        let mut staged = StagedFiles::new(state.core.clone());
        let input = read_form(&state, &guest, form, &mut staged).await?;
        let view = responses::submit(&state.core, &guest, input, &meta).await?;
        staged.adopted();
        Ok::<_, ApiError>(view)
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/portal?responded=1").into_response(),
        Err(e) => back(&crate::error::public_message(&e.0)),
    }
}
