//! `/api/v1/documents`: upload (streamed multipart) and list, and a document's project.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use backend::actor::Staff;
use backend::services::uploads::StagedFiles;
use backend::services::{documents, policy, ServiceError};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::multipart::{body_error, bounded_text};
use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    let upload_limit = state.core.settings.max_upload_bytes + 64 * 1024;
    Router::new()
        .route(
            "/documents",
            post(upload_document)
                .get(list_documents)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/documents/{id}/revisions",
            post(upload_revision)
                .get(list_revisions)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/documents/{id}/project", put(put_document_project))
}

/// A multipart upload, its file already streamed into storage.
pub struct UploadForm {
    pub about: documents::Describe,
    pub file: documents::StagedDocument,
}

/// Reads a multipart upload: a `file` part and optional `title`, `number` and `project_id`
/// (a revision takes only the title). The uploader's role is
/// checked before anything is read, the file streamed into storage as it arrives (capped;
/// 413 beyond `LIAISON_MAX_UPLOAD_BYTES`) and tracked in `staged`, which removes it unless
/// the document is committed. With `csrf` (the console form), a `csrf` part matching it
/// must come before the file, or nothing is read further.
pub async fn read_upload(
    state: &AppState,
    who: &Staff,
    mut form: Multipart,
    csrf: Option<&str>,
    staged: &mut StagedFiles,
) -> ApiResult<UploadForm> {
    const EXPIRED: &str = "The form has expired. Reload the page and try again.";
    documents::may_upload(who)?;
    let limit = state.core.settings.max_upload_bytes;
    let mut about = documents::Describe::default();
    let mut csrf_ok = csrf.is_none();
    let mut file: Option<documents::StagedDocument> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(ApiError(body_error(e, "body", limit))),
        };
        match field.name() {
            Some("csrf") => {
                let sent = bounded_text(field, "csrf", 256, limit).await?;
                csrf_ok = csrf.is_some_and(|expected| {
                    backend::crypto::constant_time_eq(expected.as_bytes(), sent.as_bytes())
                });
            }
            Some("file") if !csrf_ok => return Err(ApiError(ServiceError::Forbidden(EXPIRED))),
            Some("file") if file.is_none() => {
                let name = field.file_name().unwrap_or("document").to_owned();
                let pieces = Box::pin(
                    field.map(move |piece| piece.map_err(|e| body_error(e, "file", limit))),
                );
                let staged_file = documents::stage(&state.core, who, &name, pieces).await?;
                staged.track(staged_file.blob_key());
                file = Some(staged_file);
            }
            Some("file") => return Err(invalid("file", "send one file per upload")),
            Some("title") => {
                about.title = bounded_text(field, "title", 4 * 200, limit).await?;
            }
            Some("number") => {
                about.number = Some(bounded_text(field, "number", 4 * 50, limit).await?);
            }
            Some("project_id") => {
                about.project_id = Some(bounded_text(field, "project_id", 64, limit).await?);
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(ApiError(ServiceError::Forbidden(EXPIRED)));
    }
    let file =
        file.ok_or_else(|| invalid("file", "a multipart field named \"file\" is required"))?;
    Ok(UploadForm { about, file })
}

async fn upload_document(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut staged = StagedFiles::new(state.core.clone());
    let form = read_upload(&state, &who, form, None, &mut staged).await?;
    let doc = documents::adopt(&state.core, &who, form.about, form.file, &meta).await?;
    staged.adopted();
    Ok((StatusCode::CREATED, Json(json!(doc))))
}

/// 201 with the new revision (multipart like an upload; `title` optional: the current
/// revision's title by default).
async fn upload_revision(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut staged = StagedFiles::new(state.core.clone());
    let form = read_upload(&state, &who, form, None, &mut staged).await?;
    let doc = documents::adopt_revision(&state.core, &who, &id, form.about.title, form.file, &meta)
        .await?;
    staged.adopted();
    Ok((StatusCode::CREATED, Json(json!(doc))))
}

async fn list_revisions(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": documents::revisions(&state.core, &who, &id).await? }),
    ))
}

async fn list_documents(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": documents::list(&state.core, &who).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentProjectInput {
    project_id: Option<String>,
}

async fn put_document_project(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DocumentProjectInput>,
) -> ApiResult<StatusCode> {
    policy::assign_document(&state.core, &who, &id, input.project_id.as_deref(), &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
