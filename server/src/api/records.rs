//! `/api/v1/records`: data records (create, import as JSON or CSV, read, edit, history,
//! links, documents, the guest preview) and `/api/v1/redaction-rules`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use backend::domain::records::{FieldPath, RecordKind};
use backend::services::records::{
    self, ColumnMap, CsvMapping, DocumentInput, EventInput, FieldType, LinkInput, ListFilter,
    Preview, RecordEdit, RecordInput, RecordSummary, RecordView,
};
use backend::services::ServiceError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::Items;
use crate::error::{body_rejected, invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, ApiStaff, Meta};
use crate::state::AppState;

/// The largest import body (JSON or CSV).
pub const IMPORT_LIMIT: usize = 10 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .layer(DefaultBodyLimit::max(IMPORT_LIMIT))
        .routes(routes!(read, update))
        .routes(routes!(preview))
        .routes(routes!(add_event))
        .routes(routes!(change_event, remove_event))
        .routes(routes!(link))
        .routes(routes!(unlink))
        .routes(routes!(attach, detach))
        .routes(routes!(rules))
        .routes(routes!(add_rule, remove_rule))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only records of this kind.
    #[param(inline)]
    kind: Option<RecordKind>,
    /// Only records whose title or reference contains this text (any case).
    q: Option<String>,
    /// At most this many records (default 100, at most 500).
    limit: Option<i64>,
}

/// The organisation's records, most recently changed first.
#[utoipa::path(get, path = "/records", tag = "records", operation_id = "list_records",
    params(ListQuery),
    responses((status = 200, description = "The records", body = Items<RecordSummary>)))]
async fn list(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Items<RecordSummary>>> {
    let items = records::list(
        &s.core,
        &who,
        &ListFilter {
            kind: q.kind,
            text: q.q,
            limit: q.limit.unwrap_or(0),
        },
    )
    .await?;
    Ok(Json(items.into()))
}

fn kind_of(s: &str) -> Result<RecordKind, ApiError> {
    RecordKind::parse(s)
        .ok_or_else(|| invalid("kind", "kind must be item, location or organisation"))
}

/// `T` from a JSON value, a refusal naming the path of what did not fit.
fn from_json<T: DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let at = e.path().to_string();
        invalid("body", format!("{at}: {}", e.inner()))
    })
}

/// Many records at once: `{"records": [...]}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RecordBatch {
    records: Vec<RecordInput>,
}

/// A JSON import: one record, or many.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Describes the body `create` reads as either.
enum RecordsInput {
    One(Box<RecordInput>),
    Many(RecordBatch),
}

/// A CSV import's mapping (`text/csv` only; a JSON import takes no query).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the query `csv_mapping` reads.
struct CsvImportQuery {
    /// Required for CSV: the records' type, e.g. `delivery`.
    record_type: Option<String>,
    /// Required for CSV: the column holding each record's title.
    title: Option<String>,
    /// The records' kind (default `item`).
    #[param(inline)]
    kind: Option<RecordKind>,
    /// The column holding each record's reference.
    reference: Option<String>,
    /// A column mapped to a field: `Column:field.path` or `Column:field.path:type` (type
    /// `text`, `number`, `boolean` or `date`); repeated.
    map: Option<Vec<String>>,
    /// A column to leave out; repeated.
    skip: Option<Vec<String>>,
}

/// One record, answered in full; or the imported records' summaries.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum CreatedRecords {
    One(Box<RecordView>),
    Many(Items<RecordSummary>),
}

/// Creates a record, or imports many as JSON or CSV.
///
/// One record (`{…}`, answered with the record) or many (`{"records": […]}`, answered with
/// their summaries) as JSON; or a CSV file (`text/csv`) with its mapping in the query,
/// answered with the summaries.
#[utoipa::path(post, path = "/records", tag = "records", operation_id = "create_records",
    params(CsvImportQuery),
    request_body(description = "Records as JSON, or a CSV file (`text/csv`) with its mapping in the query",
        content((RecordsInput = "application/json"), ("text/csv"))),
    responses((status = 201, description = "The record, or the imported records' summaries",
               body = CreatedRecords),
              (status = 409, description = "A record with this reference already exists")))]
async fn create(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<CreatedRecords>)> {
    let body = body.map_err(|e| body_rejected(e.status(), e.body_text(), IMPORT_LIMIT))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let created = match content_type.as_str() {
        "text/csv" => {
            let mapping = csv_mapping(query.as_deref().unwrap_or(""))?;
            let items = records::import_csv(&s.core, &who, &body, &mapping, &meta).await?;
            CreatedRecords::Many(items.into())
        }
        "application/json" => {
            if query.as_deref().is_some_and(|q| !q.is_empty()) {
                return Err(invalid(
                    "query",
                    "a JSON import takes no query parameters (the mapping is for CSV)",
                ));
            }
            let v: Value = serde_json::from_slice(&body)
                .map_err(|e| invalid("body", format!("the body is not JSON: {e}")))?;
            if v.get("records").is_some() {
                let batch: RecordBatch = from_json(v)?;
                let items = records::import(&s.core, &who, &batch.records, "json", &meta).await?;
                CreatedRecords::Many(items.into())
            } else {
                let input: RecordInput = from_json(v)?;
                let r = records::create(&s.core, &who, input, &meta).await?;
                CreatedRecords::One(Box::new(r))
            }
        }
        _ => {
            return Err(ApiError(ServiceError::UnsupportedMedia(
                "send records as application/json, or a CSV file as text/csv".into(),
            )))
        }
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// The CSV mapping from the query string.
fn csv_mapping(query: &str) -> Result<CsvMapping, ApiError> {
    let mut m = CsvMapping::default();
    let mut record_type = None;
    let mut title = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "kind" => m.kind = kind_of(&v)?,
            "record_type" => record_type = Some(v.into_owned()),
            "title" => title = Some(v.into_owned()),
            "reference" => m.reference_column = Some(v.into_owned()),
            "skip" => m.skip.push(v.into_owned()),
            "map" => m.columns.push(column_map(&v)?),
            other => {
                return Err(invalid(
                    "query",
                    format!(
                        "unknown parameter {other:?}: a CSV import takes kind, record_type, \
                         title, reference, map and skip"
                    ),
                ))
            }
        }
    }
    m.record_type = record_type.ok_or_else(|| {
        invalid(
            "record_type",
            "name the records' type: ?record_type=delivery",
        )
    })?;
    m.title_column =
        title.ok_or_else(|| invalid("title", "name the column holding each title: ?title=Name"))?;
    Ok(m)
}

/// `Column:path` or `Column:path:type` (text, number, boolean, date), read from the right:
/// a column's name may contain ":", a path may not.
fn column_map(v: &str) -> Result<ColumnMap, ApiError> {
    let bad = || {
        invalid(
            "map",
            format!("{v:?}: map a column as Column:field.path or Column:field.path:number"),
        )
    };
    let (rest, last) = v.rsplit_once(':').ok_or_else(bad)?;
    let (column, path, ty) = match (FieldType::parse(last), rest.rsplit_once(':')) {
        (Some(ty), Some((column, path))) => (column, path, ty),
        _ => (rest, last, FieldType::Text),
    };
    if column.is_empty() {
        return Err(bad());
    }
    let path = FieldPath::parse(path).map_err(|e| invalid("map", format!("{v:?}: {e}")))?;
    Ok(ColumnMap {
        column: column.to_owned(),
        path,
        ty,
    })
}

/// One record with its history, links and documents.
#[utoipa::path(get, path = "/records/{id}", tag = "records", operation_id = "read_record",
    params(("id" = String, Path, description = "The record")),
    responses((status = 200, description = "The record", body = RecordView)))]
async fn read(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(records::get(&s.core, &who, &id).await?))
}

/// Replaces a record's own data (type, title, reference, fields, marks) at its version.
#[utoipa::path(put, path = "/records/{id}", tag = "records", operation_id = "update_record",
    params(("id" = String, Path, description = "The record")), request_body = RecordEdit,
    responses((status = 200, description = "The record as changed", body = RecordView),
              (status = 409, description = "The record changed since `version`, or another record has this reference")))]
async fn update(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<RecordEdit>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(
        records::update(&s.core, &who, &id, edit, &meta).await?,
    ))
}

/// What a share of the record would show its guest now, and what sensitive fields it shows.
#[utoipa::path(get, path = "/records/{id}/preview", tag = "records",
    operation_id = "preview_record",
    params(("id" = String, Path, description = "The record")),
    responses((status = 200, description = "The guest's view and the unwithheld sensitive fields",
               body = Preview)))]
async fn preview(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Preview>> {
    Ok(Json(records::preview(&s.core, &who, &id).await?))
}

/// Adds a custody event to a record's history.
#[utoipa::path(post, path = "/records/{id}/history", tag = "records",
    operation_id = "add_record_event",
    params(("id" = String, Path, description = "The record")), request_body = EventInput,
    responses((status = 201, description = "The record", body = RecordView)))]
async fn add_event(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<(StatusCode, Json<RecordView>)> {
    let r = records::add_event(&s.core, &who, &id, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Changes a custody event (marks left out stay as they are).
#[utoipa::path(put, path = "/records/{id}/history/{event_id}", tag = "records",
    operation_id = "change_record_event",
    params(("id" = String, Path, description = "The record"),
           ("event_id" = String, Path, description = "The custody event")),
    request_body = EventInput,
    responses((status = 200, description = "The record", body = RecordView)))]
async fn change_event(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, event_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<Json<RecordView>> {
    let r = records::change_event(&s.core, &who, &id, &event_id, input, &meta).await?;
    Ok(Json(r))
}

/// Removes a custody event from a record's history.
#[utoipa::path(delete, path = "/records/{id}/history/{event_id}", tag = "records",
    operation_id = "remove_record_event",
    params(("id" = String, Path, description = "The record"),
           ("event_id" = String, Path, description = "The custody event")),
    responses((status = 200, description = "The record", body = RecordView)))]
async fn remove_event(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, event_id)): Path<(String, String)>,
) -> ApiResult<Json<RecordView>> {
    let r = records::remove_event(&s.core, &who, &id, &event_id, &meta).await?;
    Ok(Json(r))
}

/// Links a record to another (by id or reference), naming the relation.
#[utoipa::path(post, path = "/records/{id}/links", tag = "records", operation_id = "link_record",
    params(("id" = String, Path, description = "The record")), request_body = LinkInput,
    responses((status = 200, description = "The record", body = RecordView)))]
async fn link(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(records::link(&s.core, &who, &id, input, &meta).await?))
}

/// Removes a record's link to another.
#[utoipa::path(delete, path = "/records/{id}/links/{target_id}", tag = "records",
    operation_id = "unlink_record",
    params(("id" = String, Path, description = "The record"),
           ("target_id" = String, Path, description = "The linked record")),
    responses((status = 200, description = "The record", body = RecordView)))]
async fn unlink(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, target_id)): Path<(String, String)>,
) -> ApiResult<Json<RecordView>> {
    let r = records::unlink(&s.core, &who, &id, &target_id, &meta).await?;
    Ok(Json(r))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AttachBody {
    /// Required: attaching again without saying would otherwise make a private document
    /// public. A private document never reaches a guest.
    private: bool,
}

/// Attaches a document to a record (again: changes whether it is private).
#[utoipa::path(put, path = "/records/{id}/documents/{document_id}", tag = "records",
    operation_id = "attach_record_document",
    params(("id" = String, Path, description = "The record"),
           ("document_id" = String, Path, description = "Any revision of the document")),
    request_body = AttachBody,
    responses((status = 200, description = "The record", body = RecordView)))]
async fn attach(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<AttachBody>,
) -> ApiResult<Json<RecordView>> {
    let input = DocumentInput {
        document_id,
        private: body.private,
    };
    Ok(Json(
        records::attach_document(&s.core, &who, &id, input, &meta).await?,
    ))
}

/// Detaches a document from a record.
#[utoipa::path(delete, path = "/records/{id}/documents/{document_id}", tag = "records",
    operation_id = "detach_record_document",
    params(("id" = String, Path, description = "The record"),
           ("document_id" = String, Path, description = "Any revision of the document")),
    responses((status = 200, description = "The record", body = RecordView)))]
async fn detach(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
) -> ApiResult<Json<RecordView>> {
    let r = records::detach_document(&s.core, &who, &id, &document_id, &meta).await?;
    Ok(Json(r))
}

/// The field names the organisation withholds from guests in every record.
#[utoipa::path(get, path = "/redaction-rules", tag = "records",
    operation_id = "list_redaction_rules",
    responses((status = 200, description = "The rules' field names", body = Items<String>)))]
async fn rules(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
) -> ApiResult<Json<Items<String>>> {
    Ok(Json(records::list_rules(&s.core, &who).await?.into()))
}

/// Withholds a field name in every record (compared without case; `-`, `_` and spaces alike).
#[utoipa::path(put, path = "/redaction-rules/{name}", tag = "records",
    operation_id = "add_redaction_rule",
    params(("name" = String, Path, description = "The field name")),
    responses((status = 200, description = "The rules' field names", body = Items<String>)))]
async fn add_rule(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(name): Path<String>,
) -> ApiResult<Json<Items<String>>> {
    let items = records::add_rule(&s.core, &who, &name, &meta).await?;
    Ok(Json(items.into()))
}

/// Stops withholding a field name by rule (marks on records stay).
#[utoipa::path(delete, path = "/redaction-rules/{name}", tag = "records",
    operation_id = "remove_redaction_rule",
    params(("name" = String, Path, description = "The field name")),
    responses((status = 200, description = "The rules' field names", body = Items<String>)))]
async fn remove_rule(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(name): Path<String>,
) -> ApiResult<Json<Items<String>>> {
    let items = records::remove_rule(&s.core, &who, &name, &meta).await?;
    Ok(Json(items.into()))
}
