//! `/api/v1/documents`: upload (streamed multipart) and list, and a document's project.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::actor::Staff;
use backend::services::documents::DocumentView;
use backend::services::uploads::StagedFiles;
use backend::services::{documents, policy, ServiceError};
use futures::StreamExt;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::multipart::{body_error, bounded_text};
use super::openapi::Items;
use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiMultipart, ApiStaff, Meta};
use crate::state::AppState;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let upload_limit = state.core.settings.max_upload_bytes + 64 * 1024;
    OpenApiRouter::new()
        .routes(routes!(upload_document, list_documents))
        .routes(routes!(upload_revision, list_revisions))
        .layer(DefaultBodyLimit::max(upload_limit))
        .routes(routes!(put_document_project))
}

/// An upload: the file, and optionally what to call it.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the form `read_upload` reads part by part.
struct UploadParts {
    /// The file: PDF, PNG, JPEG, GIF, WebP or plain text, at most
    /// `LIAISON_MAX_UPLOAD_BYTES`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Blank: the file's name.
    #[schema(max_length = 200)]
    title: Option<String>,
    /// The organisation's document number, e.g. `DOC-0042`.
    #[schema(max_length = 50)]
    number: Option<String>,
    /// The project to file it under.
    project_id: Option<String>,
}

/// A revision's title from its form, which may name nothing else: a revision keeps its
/// document's number and project.
pub fn revision_title(about: documents::Describe) -> ApiResult<String> {
    if about.number.is_some() || about.project_id.is_some() {
        let field = if about.number.is_some() {
            "number"
        } else {
            "project_id"
        };
        return Err(invalid(
            field,
            "a revision keeps its document's number and project; send only the file and a title",
        ));
    }
    Ok(about.title)
}

/// A revision: the file, and optionally a new title.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the form `read_upload` reads part by part.
struct RevisionParts {
    /// The file: PDF, PNG, JPEG, GIF, WebP or plain text, at most
    /// `LIAISON_MAX_UPLOAD_BYTES`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Blank: the current revision's title.
    #[schema(max_length = 200)]
    title: Option<String>,
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

/// Uploads a document, streamed into storage as it arrives.
#[utoipa::path(post, path = "/documents", tag = "documents",
    request_body(content = UploadParts, content_type = "multipart/form-data"),
    responses((status = 201, description = "The document", body = DocumentView)))]
async fn upload_document(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiMultipart(form): ApiMultipart,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    let mut staged = StagedFiles::new(state.core.clone());
    let form = read_upload(&state, &who, form, None, &mut staged).await?;
    let doc = documents::adopt(&state.core, &who, form.about, form.file, &meta).await?;
    staged.adopted();
    Ok((StatusCode::CREATED, Json(doc)))
}

/// Uploads a new revision of a document (`title` optional: the current revision's title
/// by default). Shares of earlier revisions keep theirs; their guests are told of it.
#[utoipa::path(post, path = "/documents/{id}/revisions", tag = "documents",
    params(("id" = String, Path, description = "Any revision of the document")),
    request_body(content = RevisionParts, content_type = "multipart/form-data"),
    responses((status = 201, description = "The new revision", body = DocumentView)))]
async fn upload_revision(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiMultipart(form): ApiMultipart,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    let mut staged = StagedFiles::new(state.core.clone());
    let form = read_upload(&state, &who, form, None, &mut staged).await?;
    let title = revision_title(form.about)?;
    let doc = documents::adopt_revision(&state.core, &who, &id, title, form.file, &meta).await?;
    staged.adopted();
    Ok((StatusCode::CREATED, Json(doc)))
}

/// Every revision of a document, newest first.
#[utoipa::path(get, path = "/documents/{id}/revisions", tag = "documents",
    params(("id" = String, Path, description = "Any revision of the document")),
    responses((status = 200, description = "The revisions", body = Items<DocumentView>)))]
async fn list_revisions(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Items<DocumentView>>> {
    Ok(Json(
        documents::revisions(&state.core, &who, &id).await?.into(),
    ))
}

/// The organisation's documents: the newest revision of each.
#[utoipa::path(get, path = "/documents", tag = "documents",
    responses((status = 200, description = "The documents", body = Items<DocumentView>)))]
async fn list_documents(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Items<DocumentView>>> {
    Ok(Json(documents::list(&state.core, &who).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DocumentProjectInput {
    /// The project whose policy binds the document; `null` for the organisation's alone.
    project_id: Option<String>,
}

/// Files a document under a project, or under none (admins).
#[utoipa::path(put, path = "/documents/{id}/project", tag = "documents",
    params(("id" = String, Path)), request_body = DocumentProjectInput,
    responses((status = 204, description = "Filed")))]
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
