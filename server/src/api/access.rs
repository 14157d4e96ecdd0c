//! Portal API, `/api/portal`: guests exchange a link token for an RS256 session JWT and
//! use it (Bearer or cookie) to read the share's items. Revocation is checked on every call.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use backend::domain::records::redaction::GuestRecord;
use backend::services::access;
use backend::services::access::PortalItem;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::Items;
use crate::downloads::{lock_down, Disposition};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Meta, PortalCredential, PortalGuest, StreamingGuest};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ContentQuery {
    /// `1` to save the file (only where the share allows download), `0` to view it.
    #[param(inline)]
    download: Option<Flag>,
}

/// A yes or no in a query string.
#[derive(Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
enum Flag {
    #[serde(rename = "1")]
    Yes,
    #[serde(rename = "0")]
    No,
}

/// Download chunk size: small enough that a revocation cuts a transfer promptly.
const CHUNK: usize = 64 * 1024;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(crate::portal_responses::submit_api))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::portal_responses::body_limit(state),
        ))
        .routes(routes!(create_session))
        .routes(routes!(renew_session))
        .routes(routes!(events))
        .routes(routes!(crate::live::portal_live))
        .routes(routes!(items))
        .routes(routes!(item_content))
        .routes(routes!(record))
        .routes(routes!(record_export))
}

#[derive(Serialize, ToSchema)]
struct SharedRecord {
    record: GuestRecord,
}

/// A record share's record as its guest may see it (withheld fields and private documents
/// are absent); 404 for a document share.
#[utoipa::path(get, path = "/record", tag = "portal",
    responses((status = 200, description = "The record", body = SharedRecord),
              (status = 404, description = "The share is not of a record")))]
async fn record(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
) -> Result<Json<SharedRecord>, ApiError> {
    let record = access::shared_record(&state.core, &guest, &meta)
        .await?
        .ok_or(ApiError(backend::services::ServiceError::NotFound(
            "record",
        )))?;
    Ok(Json(SharedRecord { record }))
}

/// The record as a JWS (`application/jose`) signed with a key of `/.well-known/jwks.json`.
#[utoipa::path(get, path = "/record/export", tag = "portal",
    responses((status = 200, description = "The record as a compact JWS (RS256)", content_type = "application/jose"),
              (status = 404, description = "The share is not of a record")))]
async fn record_export(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
) -> Result<Response, ApiError> {
    let signed = access::signed_record(&state.core, &guest, &meta).await?;
    Ok(crate::downloads::attachment(
        bytes::Bytes::from(signed.jws),
        "application/jose",
        &signed.file_name,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SessionInput {
    /// The token of the share's link (the last part of its path).
    token: String,
    /// Required as `true` when the share asks for the acknowledgement.
    #[serde(default)]
    acknowledged: bool,
    /// Required as `true` when the share has legal terms.
    #[serde(default)]
    accept_terms: bool,
    /// The share's password, when it has one.
    #[schema(value_type = Option<String>, format = Password)]
    password: Option<SecretString>,
    /// The one-time code mailed to the recipient (verified-email shares).
    #[schema(value_type = Option<String>)]
    code: Option<SecretString>,
    /// The device id this client got from an earlier session; a client without one gets a
    /// new one in the response and should keep it (it stands in for the browser's cookie).
    #[schema(value_type = Option<String>)]
    device: Option<SecretString>,
}

/// A portal session (RFC 6750 Bearer token).
#[derive(Serialize, ToSchema)]
struct SessionGrant {
    /// An RS256 JWT; send it as `Authorization: Bearer …`.
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds until it expires; renew before then.
    expires_in: i64,
    /// This client's device id (a new session only): keep it and send it next time.
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<String>,
}

/// Exchanges a share link's token (and the password, code or acknowledgement the share
/// asks for) for a portal session.
#[utoipa::path(post, path = "/session", tag = "portal", security(()), request_body = SessionInput,
    responses((status = 200, description = "The session", body = SessionGrant),
              (status = 403, description = "The share refuses this open: a code, password, acknowledgement or approval is needed, or the network, country or device is not allowed (`code` says which)"),
              (status = 404, description = "No share has this token"),
              (status = 410, description = "The share has expired, been revoked or been used up")))]
async fn create_session(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<SessionInput>,
) -> Result<Json<SessionGrant>, ApiError> {
    use secrecy::ExposeSecret;
    let device = input.device.unwrap_or_else(access::new_device_id);
    let device_text = device.expose_secret().to_owned();
    let s = access::open(
        &state.core,
        access::OpenRequest {
            token: input.token,
            password: input.password,
            code: input.code,
            acknowledged: input.acknowledged,
            accepted_terms: input.accept_terms,
            device,
        },
        &meta,
    )
    .await?;
    Ok(Json(SessionGrant {
        access_token: s.access_token,
        token_type: "Bearer",
        expires_in: s.expires_in,
        device: Some(device_text),
    }))
}

/// Silent renewal: a fresh JWT for the same session while the share stays valid. A cookie
/// session gets a new cookie; a bearer client gets the token in the body.
#[utoipa::path(post, path = "/session/renew", tag = "portal",
    responses((status = 200, description = "The renewed session", body = SessionGrant),
              (status = 410, description = "The share has ended")))]
async fn renew_session(
    State(state): State<AppState>,
    PortalGuest(guest, credential): PortalGuest,
    Meta(meta): Meta,
) -> Result<Response, ApiError> {
    let s = access::renew(&state.core, &guest, &meta).await?;
    let mut jar = CookieJar::new();
    if credential == PortalCredential::Cookie {
        jar = jar.add(app::ssr::portal_session_cookie(
            Some((&s.access_token, s.expires_in)),
            state.core.settings.secure_cookies_on(&meta.site),
        ));
    }
    let body = Json(SessionGrant {
        access_token: s.access_token,
        token_type: "Bearer",
        expires_in: s.expires_in,
        device: None,
    });
    Ok((jar, body).into_response())
}

/// Server-sent events for an open portal: `ready` at once, then, ending the stream,
/// `revoked` the moment the share is revoked on any node, `expired` when the share has
/// expired or this session's token runs out, `not_allowed` once the session no longer
/// admits its guest (a browser rejected, a partner or IdP disabled, signed out), or
/// `unavailable` when the share could not be checked.
#[utoipa::path(get, path = "/events", tag = "portal",
    responses((status = 200, description = "An event stream: `ready`, then one of `revoked`, `expired`, `not_allowed` or `unavailable` with `{\"message\"}`", content_type = "text/event-stream"),
              (status = 410, description = "The share has ended")))]
async fn events(
    State(state): State<AppState>,
    StreamingGuest(stream): StreamingGuest,
) -> Result<Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use futures::StreamExt;
    let revoked = access::until_ended(state.core.clone(), stream);
    let ttl = state.core.settings.portal_session_ttl.unsigned_abs();
    let end = async move {
        tokio::select! {
            end = revoked => (end.kind(), end.message()),
            () = tokio::time::sleep(ttl) => ("expired", "The portal session has ended; renew it to continue."),
        }
    };
    let stream = futures::stream::once(async {
        Ok::<_, std::convert::Infallible>(Event::default().event("ready").data("{}"))
    })
    .chain(futures::stream::once(async move {
        let (kind, message) = end.await;
        Ok(Event::default()
            .event(kind)
            .data(json!({ "message": message }).to_string()))
    }));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The items the share covers, in order.
#[utoipa::path(get, path = "/items", tag = "portal",
    responses((status = 200, description = "The share's items", body = Items<PortalItem>),
              (status = 410, description = "The share has ended")))]
async fn items(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
) -> Result<Json<Items<PortalItem>>, ApiError> {
    Ok(Json(access::items(&state.core, &guest).await?.into()))
}

/// Serves an item's bytes inline (or, asked `?download=1` where allowed, as an
/// attachment), locked down (`downloads::lock_down`) and framed only by our own portal
/// page. View-only shares never send the original: their pages are drawn by the viewer.
#[utoipa::path(get, path = "/items/{id}/content", tag = "portal",
    params(("id" = String, Path, description = "The item"), ContentQuery),
    responses((status = 200, response = inline(super::openapi::StoredFile)),
              (status = 410, description = "The share has ended")))]
async fn item_content(
    State(state): State<AppState>,
    StreamingGuest(stream): StreamingGuest,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ContentQuery>,
) -> Result<Response, ApiError> {
    use futures::StreamExt;
    let purpose = if q.download == Some(Flag::Yes) {
        access::Purpose::Download
    } else {
        access::Purpose::View
    };
    let (item, bytes) =
        access::item_content(&state.core, &stream.guest, &id, purpose, &stream.meta).await?;
    // Streamed in chunks that stop the moment the share is revoked (on any node), or the
    // session no longer admits the guest: with the declared Content-Length, the client sees
    // an aborted transfer, not a short file.
    let len = bytes.len();
    let chunks: Vec<bytes::Bytes> = (0..len)
        .step_by(CHUNK)
        .map(|at| bytes.slice(at..(at + CHUNK).min(len)))
        .collect();
    let revoked = access::until_ended(state.core.clone(), stream);
    let body =
        futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>)).take_until(revoked);
    let mut resp = axum::body::Body::from_stream(body).into_response();
    let how = if purpose == access::Purpose::Download {
        Disposition::Attachment
    } else {
        Disposition::Inline
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    lock_down(h, &item.content_type, how, &item.file_name);
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(resp)
}
