//! `/api/v1/records`: data records (create, import as JSON or CSV, read, edit, history,
//! links, documents, the guest preview) and `/api/v1/redaction-rules`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use backend::domain::records::{FieldPath, RecordKind};
use backend::services::records::{
    self, ColumnMap, CsvMapping, DocumentInput, EventInput, FieldType, LinkInput, ListFilter,
    RecordEdit, RecordInput,
};
use backend::services::ServiceError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{body_rejected, invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

/// The largest import body (JSON or CSV).
pub const IMPORT_LIMIT: usize = 10 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/records",
            get(list)
                .post(create)
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/records/{id}", get(read).put(update))
        .route("/records/{id}/preview", get(preview))
        .route("/records/{id}/history", post(add_event))
        .route(
            "/records/{id}/history/{event_id}",
            put(change_event).delete(remove_event),
        )
        .route("/records/{id}/links", post(link))
        .route("/records/{id}/links/{target_id}", delete(unlink))
        .route(
            "/records/{id}/documents/{document_id}",
            put(attach).delete(detach),
        )
        .route("/redaction-rules", get(rules))
        .route("/redaction-rules/{name}", put(add_rule).delete(remove_rule))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    kind: Option<String>,
    q: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    let kind = q.kind.as_deref().map(kind_of).transpose()?;
    let items = records::list(
        &s.core,
        &who,
        &ListFilter {
            kind,
            text: q.q,
            limit: q.limit.unwrap_or(0),
        },
    )
    .await?;
    Ok(Json(json!({ "items": items })))
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

/// One record (`{…}`, answered with the record) or many (`{"records": […]}`, answered with
/// their summaries) as JSON; or a CSV file (`text/csv`) with its mapping in the query:
/// `record_type`, `title` (column), optional `kind`, `reference` (column), `map`
/// (`Column:path[:type]`, repeated) and `skip` (column, repeated).
async fn create(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body.map_err(|e| body_rejected(e.status(), e.body_text(), IMPORT_LIMIT))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match content_type.as_str() {
        "text/csv" => {
            let mapping = csv_mapping(query.as_deref().unwrap_or(""))?;
            let items = records::import_csv(&s.core, &who, &body, &mapping, &meta).await?;
            Ok((StatusCode::CREATED, Json(json!({ "items": items }))))
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
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Batch {
                    records: Vec<RecordInput>,
                }
                let batch: Batch = from_json(v)?;
                let items = records::import(&s.core, &who, &batch.records, "json", &meta).await?;
                Ok((StatusCode::CREATED, Json(json!({ "items": items }))))
            } else {
                let input: RecordInput = from_json(v)?;
                let r = records::create(&s.core, &who, input, &meta).await?;
                Ok((StatusCode::CREATED, Json(json!(r))))
            }
        }
        _ => Err(ApiError(ServiceError::UnsupportedMedia(
            "send records as application/json, or a CSV file as text/csv".into(),
        ))),
    }
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

async fn read(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(records::get(&s.core, &who, &id).await?)))
}

async fn update(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<RecordEdit>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        records::update(&s.core, &who, &id, edit, &meta).await?
    )))
}

async fn preview(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(records::preview(&s.core, &who, &id).await?)))
}

async fn add_event(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = records::add_event(&s.core, &who, &id, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(json!(r))))
}

async fn change_event(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, event_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<Json<Value>> {
    let r = records::change_event(&s.core, &who, &id, &event_id, input, &meta).await?;
    Ok(Json(json!(r)))
}

async fn remove_event(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, event_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let r = records::remove_event(&s.core, &who, &id, &event_id, &meta).await?;
    Ok(Json(json!(r)))
}

async fn link(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        records::link(&s.core, &who, &id, input, &meta).await?
    )))
}

async fn unlink(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, target_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let r = records::unlink(&s.core, &who, &id, &target_id, &meta).await?;
    Ok(Json(json!(r)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachBody {
    /// Required: attaching again without saying would otherwise make a private document
    /// public.
    private: bool,
}

async fn attach(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<AttachBody>,
) -> ApiResult<Json<Value>> {
    let input = DocumentInput {
        document_id,
        private: body.private,
    };
    Ok(Json(json!(
        records::attach_document(&s.core, &who, &id, input, &meta).await?
    )))
}

async fn detach(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, document_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let r = records::detach_document(&s.core, &who, &id, &document_id, &meta).await?;
    Ok(Json(json!(r)))
}

async fn rules(State(s): State<AppState>, ApiStaff(who): ApiStaff) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": records::list_rules(&s.core, &who).await? }),
    ))
}

async fn add_rule(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let items = records::add_rule(&s.core, &who, &name, &meta).await?;
    Ok(Json(json!({ "items": items })))
}

async fn remove_rule(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let items = records::remove_rule(&s.core, &who, &name, &meta).await?;
    Ok(Json(json!({ "items": items })))
}
