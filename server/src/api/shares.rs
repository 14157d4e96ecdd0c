//! `/api/v1/shares`: create (one or many recipients), list and read, change, revoke one
//! or many, the link again, the invitation again, devices and responses.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::domain::{Method, ShareSettings, ShareStatus, Tlp};
use backend::services::shares;
use backend::services::shares::{Expiry, NewShare, Recipient, ShareFilter, SharedItem};
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiStaff, Meta};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shares", post(create_share).get(list_shares))
        .route("/shares/{id}", get(get_share).patch(change_share))
        .route("/shares/revoke", post(revoke_shares))
        .route("/shares/{id}/revoke", post(revoke_share))
        .route("/shares/{id}/link", get(copy_link))
        .route("/shares/{id}/resend", post(resend_invitation))
        .route("/shares/{id}/responses", get(list_responses))
        .route(
            "/shares/{id}/attachments/{attachment_id}",
            get(download_attachment),
        )
        .route("/shares/{id}/devices", get(list_devices))
        .route("/shares/{id}/devices/{device_id}", post(decide_device))
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
/// Expiry: `expires_at` (RFC 3339), `expires_in_hours` or `expires_in_days`; none = the
/// policy default. `send_link`: mail a link share's link to its recipient now.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateShareInput {
    item: ItemInput,
    recipient: Option<RecipientInput>,
    recipients: Option<Vec<RecipientInput>>,
    method: Option<Method>,
    expires_at: Option<String>,
    expires_in_hours: Option<u32>,
    expires_in_days: Option<u32>,
    max_access_count: Option<i64>,
    #[serde(default)]
    require_acknowledgement: bool,
    /// A link share: mail the link to the recipient now.
    #[serde(default)]
    send_link: bool,
    /// "AMBER", "TLP:RED", …
    tlp: Option<String>,
    #[serde(default)]
    settings: ShareSettings,
    password: Option<secrecy::SecretString>,
    terms_id: Option<String>,
    /// The portal the share belongs to (default: the organisation's default portal).
    portal_id: Option<String>,
    /// Required when the item is criminal intelligence (28 CFR Part 23): why the
    /// recipient needs it and may have it.
    justification: Option<String>,
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
            "record" => SharedItem::Record(id),
            _ => {
                return Err(invalid(
                    "item.kind",
                    format!("{kind:?} is not document, document_package, work_package or record"),
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
    let expiry = expiry_of(ExpiryInput {
        at: input.expires_at.as_deref(),
        hours: input.expires_in_hours,
        days: input.expires_in_days,
    })?
    .unwrap_or_default();
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
            send_link: input.send_link,
            tlp,
            settings: input.settings,
            password: input.password,
            terms_id: input.terms_id,
            portal_id: input.portal_id,
            justification: input.justification,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListSharesQuery {
    status: Option<String>,
    item: Option<String>,
    created_by: Option<String>,
    recipient: Option<String>,
    /// `responded` or `awaiting`.
    response: Option<String>,
    /// With `response=awaiting`: made at least this many days ago.
    days: Option<u32>,
    /// Active shares expiring within this many days.
    expiring_within_days: Option<u32>,
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
            response: q.response,
            days: q.days,
            expiring_within_days: q.expiring_within_days,
            sort: q.sort,
            descending: Some(descending),
            limit: q.limit,
            cursor: q.cursor,
        },
    )
    .await?;
    Ok(Json(json!(page)))
}

/// A file a guest attached to a response: saved, never shown (`downloads::attachment`).
async fn download_attachment(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, attachment_id)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    let (a, bytes) =
        backend::services::responses::attachment(&state.core, &who, &id, &attachment_id, &meta)
            .await?;
    Ok(crate::downloads::attachment(
        bytes,
        &a.content_type,
        &a.file_name,
    ))
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

/// When a share should expire, as the API gives it: `expires_at` (RFC 3339),
/// `expires_in_hours` or `expires_in_days`, at most one.
#[derive(Clone, Copy, Default)]
struct ExpiryInput<'a> {
    at: Option<&'a str>,
    hours: Option<u32>,
    days: Option<u32>,
}

/// The expiry the input names; `None` when it names none.
fn expiry_of(e: ExpiryInput<'_>) -> Result<Option<Expiry>, ApiError> {
    match (e.at, e.hours, e.days) {
        (None, None, None) => Ok(None),
        (None, None, Some(days)) => Ok(Some(Expiry::Days(days))),
        (None, Some(hours), None) => Ok(Some(Expiry::Hours(hours))),
        (Some(at), None, None) => Ok(Some(Expiry::At(
            time::OffsetDateTime::parse(at, &Rfc3339).map_err(|_| {
                invalid(
                    "expires_at",
                    "expires_at must be an RFC 3339 timestamp, e.g. 2026-12-31T17:00:00Z",
                )
            })?,
        ))),
        _ => Err(invalid(
            "expires_at",
            "give one of expires_at, expires_in_hours and expires_in_days",
        )),
    }
}

/// What `PATCH /shares/{id}` may change; absent fields stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeShareInput {
    expires_at: Option<String>,
    expires_in_hours: Option<u32>,
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
        expiry: expiry_of(ExpiryInput {
            at: input.expires_at.as_deref(),
            hours: input.expires_in_hours,
            days: input.expires_in_days,
        })?,
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
