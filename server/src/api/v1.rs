//! Admin REST API, `/api/v1`, authenticated with admin API keys (Bearer `lsn_…`).

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::actor::Staff;
use backend::domain::ShareStatus;
use backend::domain::{Method, Policy, PolicyOverride, ShareSettings, Tlp};
use backend::services::documents;
use backend::services::shares::{self, Expiry, NewShare, Recipient, ShareFilter, SharedItem};
use backend::services::uploads::StagedFiles;
use backend::services::{audit_log, policy, ServiceError};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use super::multipart::{body_error, bounded_text};
use crate::error::{invalid, ApiError};
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
        .route("/shares", post(create_share).get(list_shares))
        .route("/shares/{id}", get(get_share).patch(change_share))
        .route("/shares/revoke", post(revoke_shares))
        .route("/shares/{id}/revoke", post(revoke_share))
        .route("/shares/{id}/link", get(copy_link))
        .route("/shares/{id}/resend", post(resend_invitation))
        .route("/shares/{id}/responses", get(list_responses))
        .route("/outbox", get(list_outbox))
        .route("/shares/{id}/devices", get(list_devices))
        .route("/shares/{id}/devices/{device_id}", post(decide_device))
        .route("/policy", get(get_policy).put(put_policy))
        .route("/projects", get(list_projects).post(create_project))
        .route(
            "/projects/{id}/policy",
            axum::routing::put(put_project_policy),
        )
        .route(
            "/documents/{id}/project",
            axum::routing::put(put_document_project),
        )
        .route("/terms", get(list_terms).post(publish_terms))
        .route("/audit", get(list_audit))
        .route("/audit/export", get(export_audit))
        .route("/audit/verify", get(verify_audit))
}

type ApiResult<T> = Result<T, ApiError>;

/// A multipart upload, its file already streamed into storage.
pub struct UploadForm {
    pub title: String,
    pub file: documents::StagedDocument,
}

/// Reads a multipart upload: a `file` part and an optional `title`. The uploader's role is
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
    let mut title = String::new();
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
                title = bounded_text(field, "title", 4 * 200, limit).await?;
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(ApiError(ServiceError::Forbidden(EXPIRED)));
    }
    let file =
        file.ok_or_else(|| invalid("file", "a multipart field named \"file\" is required"))?;
    Ok(UploadForm { title, file })
}

async fn upload_document(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut staged = StagedFiles::new(state.core.clone());
    let form = read_upload(&state, &who, form, None, &mut staged).await?;
    let doc = documents::adopt(&state.core, &who, form.title, form.file, &meta).await?;
    staged.adopted();
    Ok((StatusCode::CREATED, Json(json!(doc))))
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
#[serde(untagged)]
enum ItemInput {
    Id(String),
    Ref { kind: String, id: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientInput {
    name: String,
    email: String,
}

/// `POST /shares`: one share per recipient (`recipient` or `recipients`, not both).
/// Expiry: `expires_at` (RFC 3339) or `expires_in_days`; neither = the policy default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateShareInput {
    item: ItemInput,
    recipient: Option<RecipientInput>,
    recipients: Option<Vec<RecipientInput>>,
    method: Option<Method>,
    expires_at: Option<String>,
    expires_in_days: Option<u32>,
    max_access_count: Option<i64>,
    #[serde(default)]
    require_acknowledgement: bool,
    /// "AMBER", "TLP:RED", …
    tlp: Option<String>,
    #[serde(default)]
    settings: ShareSettings,
    password: Option<secrecy::SecretString>,
    terms_id: Option<String>,
}

async fn create_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<CreateShareInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let item = match input.item {
        ItemInput::Id(id) => SharedItem::Document(id),
        ItemInput::Ref { kind, id } => match kind.as_str() {
            "document" => SharedItem::Document(id),
            "document_package" => SharedItem::Package(id),
            "work_package" => SharedItem::WorkPackage(id),
            _ => {
                return Err(invalid(
                    "item.kind",
                    format!("{kind:?} is not document, document_package or work_package"),
                ))
            }
        },
    };
    let bulk = input.recipients.is_some();
    let recipients: Vec<Recipient> = match (input.recipient, input.recipients) {
        (Some(r), None) => vec![r],
        (None, Some(list)) => list,
        _ => {
            return Err(invalid(
                "recipients",
                "give either recipient (one person) or recipients (a list)",
            ))
        }
    }
    .into_iter()
    .map(|r| Recipient {
        name: r.name,
        email: r.email,
    })
    .collect();
    let expiry = expiry_of(input.expires_at.as_deref(), input.expires_in_days)?.unwrap_or_default();
    let tlp = input
        .tlp
        .as_deref()
        .map(|t| {
            Tlp::parse(t).ok_or_else(|| {
                invalid(
                    "tlp",
                    "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
                )
            })
        })
        .transpose()?;
    let created = shares::create(
        &state.core,
        &who,
        NewShare {
            item,
            recipients,
            method: input.method,
            expiry,
            max_access_count: input.max_access_count,
            require_acknowledgement: input.require_acknowledgement,
            tlp,
            settings: input.settings,
            password: input.password,
            terms_id: input.terms_id,
        },
        &meta,
    )
    .await?;
    use secrecy::ExposeSecret;
    let mut items: Vec<Value> = created
        .into_iter()
        .map(|c| {
            let mut body = json!(c.share);
            body["url"] = json!(c.url.expose_secret());
            body
        })
        .collect();
    let body = if bulk || items.len() != 1 {
        json!({ "items": items })
    } else {
        items.remove(0)
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `GET /shares/{id}/link`: the share's link again (audited).
async fn copy_link(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    use secrecy::ExposeSecret;
    let url = shares::copy_link(&state.core, &who, &id, &meta).await?;
    Ok(Json(json!({ "url": url.expose_secret() })))
}

/// `POST /shares/{id}/resend`: the original invitation again, same link.
async fn resend_invitation(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        shares::resend_invitation(&state.core, &who, &id, &meta).await?
    )))
}

async fn list_responses(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({
        "items": backend::services::responses::for_share(&state.core, &who, &id).await?
    })))
}

async fn list_outbox(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": backend::services::outbox::list(&state.core, &who, 100).await? }),
    ))
}

async fn get_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(policy::get(&state.core, &who).await?)))
}

async fn put_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<Policy>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        policy::set(&state.core, &who, input, &meta).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectInput {
    name: String,
}

async fn list_projects(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": policy::projects(&state.core, &who).await? }),
    ))
}

async fn create_project(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<ProjectInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(
            policy::create_project(&state.core, &who, &input.name, &meta).await?
        )),
    ))
}

async fn put_project_policy(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PolicyOverride>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        policy::set_project_override(&state.core, &who, &id, input, &meta).await?
    )))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsInput {
    version: String,
    body: String,
}

async fn list_terms(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": policy::all_terms(&state.core, &who).await? }),
    ))
}

async fn publish_terms(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<TermsInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(
            policy::publish_terms(&state.core, &who, &input.version, &input.body, &meta).await?
        )),
    ))
}

async fn list_devices(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": shares::devices(&state.core, &who, &id).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceDecision {
    approve: bool,
}

async fn decide_device(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, device_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<DeviceDecision>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        shares::decide_device(&state.core, &who, &id, &device_id, input.approve, &meta).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListSharesQuery {
    status: Option<String>,
    item: Option<String>,
    created_by: Option<String>,
    recipient: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn list_shares(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    query: Result<Query<ListSharesQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    let status = q
        .status
        .map(|s| {
            ShareStatus::parse(&s)
                .ok_or_else(|| invalid("status", "status must be active, expired or revoked"))
        })
        .transpose()?;
    let descending = match q.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(invalid("order", "order must be asc or desc")),
    };
    let page = shares::list(
        &state.core,
        &who,
        ShareFilter {
            status,
            document_id: q.item,
            created_by: q.created_by,
            recipient: q.recipient,
            sort: q.sort,
            descending: Some(descending),
            limit: q.limit,
            cursor: q.cursor,
        },
    )
    .await?;
    Ok(Json(json!(page)))
}

async fn get_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(shares::get(&state.core, &who, &id).await?)))
}

async fn revoke_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        shares::revoke(&state.core, &who, &id, &meta).await?
    )))
}

/// `expires_at` (RFC 3339) or `expires_in_days`, at most one; `None` when neither is given.
fn expiry_of(at: Option<&str>, days: Option<u32>) -> Result<Option<Expiry>, ApiError> {
    match (at, days) {
        (None, None) => Ok(None),
        (None, Some(days)) => Ok(Some(Expiry::Days(days))),
        (Some(at), None) => Ok(Some(Expiry::At(
            time::OffsetDateTime::parse(at, &Rfc3339).map_err(|_| {
                invalid(
                    "expires_at",
                    "expires_at must be an RFC 3339 timestamp, e.g. 2026-12-31T17:00:00Z",
                )
            })?,
        ))),
        (Some(_), Some(_)) => Err(invalid(
            "expires_at",
            "give expires_at or expires_in_days, not both",
        )),
    }
}

/// What `PATCH /shares/{id}` may change; absent fields stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeShareInput {
    expires_at: Option<String>,
    expires_in_days: Option<u32>,
    max_access_count: Option<i64>,
    #[serde(default)]
    settings: ChangeSettingsInput,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeSettingsInput {
    permission: Option<backend::domain::Permission>,
    allow_download: Option<bool>,
    allow_print: Option<bool>,
    watermark: Option<bool>,
}

async fn change_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChangeShareInput>,
) -> ApiResult<Json<Value>> {
    let change = shares::ShareChange {
        expiry: expiry_of(input.expires_at.as_deref(), input.expires_in_days)?,
        max_access_count: input.max_access_count,
        permission: input.settings.permission,
        allow_download: input.settings.allow_download,
        allow_print: input.settings.allow_print,
        watermark: input.settings.watermark,
    };
    Ok(Json(json!(
        shares::change(&state.core, &who, &id, change, &meta).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeSharesInput {
    ids: Vec<String>,
}

/// Bulk revocation, all or none.
async fn revoke_shares(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<RevokeSharesInput>,
) -> ApiResult<Json<Value>> {
    let revoked = shares::revoke_many(&state.core, &who, &input.ids, &meta).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

/// Filters shared by the audit list and its exports.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    share_id: Option<String>,
    item_id: Option<String>,
    event_type: Option<String>,
    actor_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
    /// Exports only: `csv` or `jsonl`.
    format: Option<String>,
}

impl AuditQuery {
    fn filter(self) -> audit_log::AuditFilter {
        audit_log::AuditFilter {
            share_id: self.share_id,
            item_id: self.item_id,
            event_type: self.event_type,
            actor_id: self.actor_id,
            from: self.from,
            to: self.to,
            limit: self.limit,
            cursor: self.cursor,
        }
    }
}

type AuditQueryInput = Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>;

async fn list_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    query: AuditQueryInput,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    if q.format.is_some() {
        return Err(invalid("format", "format applies to /audit/export only"));
    }
    Ok(Json(json!(
        audit_log::list(&state.core, &who, q.filter()).await?
    )))
}

/// `GET /audit/export?format=csv|jsonl&…filters`: streamed, newest first.
async fn export_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    query: AuditQueryInput,
) -> ApiResult<axum::response::Response> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    export_response(&state, &who, q, &meta).await
}

/// The streamed export response (shared with the console's export link).
pub async fn export_response(
    state: &AppState,
    who: &backend::actor::Staff,
    mut q: AuditQuery,
    meta: &backend::actor::RequestMeta,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    use futures::TryStreamExt;
    let format = audit_log::ExportFormat::parse(q.format.take().as_deref().unwrap_or("jsonl"))?;
    if q.limit.is_some() || q.cursor.is_some() {
        return Err(invalid(
            "limit",
            "exports are never paged; drop limit and cursor",
        ));
    }
    let body = audit_log::export(state.core.clone(), who, q.filter(), format, meta).await?;
    let body = body.map_err(|e| {
        tracing::error!(error = %e, "audit export failed mid-stream");
        std::io::Error::other("audit export failed")
    });
    let name = format!("liaison-audit.{}", format.extension());
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                format.content_type().to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// `GET /audit/verify`: walks the organisation's hash chain.
async fn verify_audit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Value>> {
    let report = audit_log::verify(&state.core, &who).await?;
    Ok(Json(json!({
        "intact": report.is_intact(),
        "events": report.events,
        "head_seq": report.head_seq,
        "problems": report.problems.iter().map(|p| json!({ "problem": p, "message": p.to_string() })).collect::<Vec<_>>(),
    })))
}
