//! `/api/v1/shares`: create (one or many recipients), list and read, change, revoke one
//! or many, the link again, the invitation again, devices and responses.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::domain::{Method, ShareSettings, ShareStatus, Tlp};
use backend::services::shares;
use backend::services::shares::{
    DeviceView, Expiry, NewShare, Page, Recipient, ShareFilter, ShareView, SharedItem,
};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::Items;
use crate::error::{invalid, ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, ApiStaff, Meta};
use crate::state::AppState;
use backend::services::responses::ResponseView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_share, list_shares))
        .routes(routes!(get_share, change_share))
        .routes(routes!(revoke_shares))
        .routes(routes!(revoke_share))
        .routes(routes!(copy_link))
        .routes(routes!(resend_invitation))
        .routes(routes!(list_responses))
        .routes(routes!(download_attachment))
        .routes(routes!(list_devices))
        .routes(routes!(decide_device))
}

/// What to share: a document's id, or a kind and an id.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
enum ItemInput {
    /// A document revision's id.
    Id(String),
    Ref {
        #[schema(value_type = ItemKind)]
        kind: String,
        id: String,
    },
}

/// What kind of item a share covers.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // A name for the document: `ItemInput::Ref::kind` is read as text.
enum ItemKind {
    Document,
    DocumentPackage,
    WorkPackage,
    Record,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RecipientInput {
    name: String,
    email: String,
}

/// `POST /shares`: one share per recipient (`recipient` or `recipients`, not both).
/// Expiry: `expires_at` (RFC 3339), `expires_in_hours` or `expires_in_days`; none = the
/// policy default. `send_link`: mail a link share's link to its recipient now.
#[derive(Deserialize, ToSchema)]
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
    #[schema(example = "TLP:AMBER")]
    tlp: Option<String>,
    #[serde(default)]
    settings: ShareSettings,
    /// A password the guest must also give (never stored in clear).
    #[schema(value_type = Option<String>, format = Password)]
    password: Option<secrecy::SecretString>,
    terms_id: Option<String>,
    /// The portal the share belongs to (default: the organisation's default portal).
    portal_id: Option<String>,
    /// Required when the item is criminal intelligence (28 CFR Part 23): why the
    /// recipient needs it and may have it.
    justification: Option<String>,
}

/// A new share with its link (shown once).
#[derive(Serialize, ToSchema)]
struct CreatedShare {
    #[serde(flatten)]
    share: ShareView,
    /// The share's link, with its token: shown once, stored only as a hash.
    url: String,
}

/// One share for `recipient`, a list for `recipients`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum Created {
    One(Box<CreatedShare>),
    Many(Items<CreatedShare>),
}

/// Shares an item with one recipient or many (one share each, all or none).
#[utoipa::path(post, path = "/shares", tag = "shares",
    request_body = CreateShareInput,
    responses((status = 201, description = "The share, or with `recipients` the shares", body = Created)))]
async fn create_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<CreateShareInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
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
    let mut items: Vec<CreatedShare> = created
        .into_iter()
        .map(|c| CreatedShare {
            url: c.url.expose_secret().to_owned(),
            share: c.share,
        })
        .collect();
    let body = if bulk || items.len() != 1 {
        Created::Many(items.into())
    } else {
        Created::One(Box::new(items.remove(0)))
    };
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListSharesQuery {
    /// Only shares in this state.
    #[param(inline)]
    status: Option<ShareStatus>,
    /// Shares of this document (any revision), package or record.
    item: Option<String>,
    /// Shares made by this user id.
    created_by: Option<String>,
    /// Prefix of the recipient's email or name.
    recipient: Option<String>,
    /// Shares whose guest has responded, or may and has not.
    #[param(inline)]
    response: Option<ResponseState>,
    /// With `response=awaiting`: made at least this many days ago.
    #[param(maximum = 3650)]
    days: Option<u32>,
    /// Active shares expiring within this many days.
    expiring_within_days: Option<u32>,
    #[param(inline)]
    sort: Option<ShareSort>,
    /// `desc` (the default) or `asc`.
    #[param(inline)]
    order: Option<Order>,
    /// At most this many shares (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page, for the same sort and order.
    cursor: Option<String>,
}

/// Whether a share's guest has responded.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ResponseState {
    Responded,
    Awaiting,
}

/// What the share list is sorted by (then by id).
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ShareSort {
    CreatedAt,
    ExpiresAt,
    AccessCount,
}

/// A sort direction.
#[derive(Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Order {
    Asc,
    #[default]
    Desc,
}

/// The organisation's shares, filtered and sorted, a keyset page at a time.
#[utoipa::path(get, path = "/shares", tag = "shares", params(ListSharesQuery),
    responses((status = 200, description = "A page of shares", body = Page<ShareView>)))]
async fn list_shares(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    ApiQuery(q): ApiQuery<ListSharesQuery>,
) -> ApiResult<Json<Page<ShareView>>> {
    let page = shares::list(
        &state.core,
        &who,
        ShareFilter {
            status: q.status,
            document_id: q.item,
            created_by: q.created_by,
            recipient: q.recipient,
            response: q.response.map(|r| match r {
                ResponseState::Responded => "responded".to_owned(),
                ResponseState::Awaiting => "awaiting".to_owned(),
            }),
            days: q.days,
            expiring_within_days: q.expiring_within_days,
            sort: q.sort.map(|s| {
                match s {
                    ShareSort::CreatedAt => "created_at",
                    ShareSort::ExpiresAt => "expires_at",
                    ShareSort::AccessCount => "access_count",
                }
                .to_owned()
            }),
            descending: Some(matches!(q.order.unwrap_or_default(), Order::Desc)),
            limit: q.limit,
            cursor: q.cursor,
        },
    )
    .await?;
    Ok(Json(page))
}

/// A file a guest attached to a response: saved, never shown (`downloads::attachment`).
#[utoipa::path(get, path = "/shares/{id}/attachments/{attachment_id}", tag = "shares",
    params(("id" = String, Path, description = "The share"),
           ("attachment_id" = String, Path, description = "The attachment")),
    responses((status = 200, response = inline(super::openapi::StoredFile))))]
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

/// One share.
#[utoipa::path(get, path = "/shares/{id}", tag = "shares", params(("id" = String, Path)),
    responses((status = 200, description = "The share", body = ShareView)))]
async fn get_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<ShareView>> {
    Ok(Json(shares::get(&state.core, &who, &id).await?))
}

/// Revokes a share: its guest is refused from the next request on, open pages included.
#[utoipa::path(post, path = "/shares/{id}/revoke", tag = "shares", params(("id" = String, Path)),
    responses((status = 200, description = "The share, revoked", body = ShareView)))]
async fn revoke_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<ShareView>> {
    Ok(Json(shares::revoke(&state.core, &who, &id, &meta).await?))
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
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeShareInput {
    expires_at: Option<String>,
    expires_in_hours: Option<u32>,
    expires_in_days: Option<u32>,
    max_access_count: Option<i64>,
    #[serde(default)]
    settings: ChangeSettingsInput,
}

#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeSettingsInput {
    permission: Option<backend::domain::Permission>,
    allow_download: Option<bool>,
    allow_print: Option<bool>,
    watermark: Option<bool>,
}

/// Changes an active share's expiry, access limit or settings.
#[utoipa::path(patch, path = "/shares/{id}", tag = "shares", params(("id" = String, Path)),
    request_body = ChangeShareInput,
    responses((status = 200, description = "The share as changed", body = ShareView),
              (status = 409, description = "The share is revoked, or was changed meanwhile")))]
async fn change_share(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChangeShareInput>,
) -> ApiResult<Json<ShareView>> {
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
    Ok(Json(
        shares::change(&state.core, &who, &id, change, &meta).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RevokeSharesInput {
    /// The shares to revoke: all of them, or none when one cannot be.
    ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct Revoked {
    /// How many shares were revoked (those already revoked are not counted).
    revoked: usize,
}

/// Revokes many shares at once, all or none.
#[utoipa::path(post, path = "/shares/revoke", tag = "shares", request_body = RevokeSharesInput,
    responses((status = 200, description = "How many were revoked", body = Revoked)))]
async fn revoke_shares(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<RevokeSharesInput>,
) -> ApiResult<Json<Revoked>> {
    let revoked = shares::revoke_many(&state.core, &who, &input.ids, &meta).await?;
    Ok(Json(Revoked { revoked }))
}

#[derive(Serialize, ToSchema)]
struct Link {
    /// The share's link, with its token.
    url: String,
}

/// The share's link again (audited; an `admin` key only).
#[utoipa::path(get, path = "/shares/{id}/link", tag = "shares", params(("id" = String, Path)),
    responses((status = 200, description = "The link", body = Link),
              (status = 409, description = "The share's link cannot be copied: it was made before links were kept sealed")))]
async fn copy_link(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<Link>> {
    use secrecy::ExposeSecret;
    let url = shares::copy_link(&state.core, &who, &id, &meta).await?;
    Ok(Json(Link {
        url: url.expose_secret().to_owned(),
    }))
}

/// Sends the original invitation again, with the same link.
#[utoipa::path(post, path = "/shares/{id}/resend", tag = "shares", params(("id" = String, Path)),
    responses((status = 200, description = "The share", body = ShareView),
              (status = 409, description = "Only an active share's invitation can be sent again")))]
async fn resend_invitation(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<Json<ShareView>> {
    Ok(Json(
        shares::resend_invitation(&state.core, &who, &id, &meta).await?,
    ))
}

/// What the share's guest has sent back.
#[utoipa::path(get, path = "/shares/{id}/responses", tag = "shares", params(("id" = String, Path)),
    responses((status = 200, description = "The responses, newest first", body = Items<ResponseView>)))]
async fn list_responses(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Items<ResponseView>>> {
    Ok(Json(
        backend::services::responses::for_share(&state.core, &who, &id)
            .await?
            .into(),
    ))
}

/// The browsers that have opened the share, approved or waiting.
#[utoipa::path(get, path = "/shares/{id}/devices", tag = "shares", params(("id" = String, Path)),
    responses((status = 200, description = "The share's devices", body = Items<DeviceView>)))]
async fn list_devices(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Json<Items<DeviceView>>> {
    Ok(Json(shares::devices(&state.core, &who, &id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DeviceDecision {
    /// `true` lets the device open the share; `false` refuses it.
    approve: bool,
}

/// Approves or refuses a device waiting to open a share.
#[utoipa::path(post, path = "/shares/{id}/devices/{device_id}", tag = "shares",
    params(("id" = String, Path), ("device_id" = String, Path)),
    request_body = DeviceDecision,
    responses((status = 200, description = "The share's devices (a bare list)", body = Vec<DeviceView>)))]
async fn decide_device(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path((id, device_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<DeviceDecision>,
) -> ApiResult<Json<Vec<DeviceView>>> {
    Ok(Json(
        shares::decide_device(&state.core, &who, &id, &device_id, input.approve, &meta).await?,
    ))
}
