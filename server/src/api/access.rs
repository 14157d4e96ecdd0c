//! Portal API, `/api/portal`: guests exchange a link token for an RS256 session JWT and
//! use it (Bearer or cookie) to read the share's items. Revocation is checked on every call.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::CookieJar;
use backend::services::access;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::downloads::{lock_down, Disposition};
use crate::error::ApiError;
use crate::extract::{ApiJson, Meta, PortalCredential, PortalGuest, StreamingGuest};
use crate::state::AppState;

#[derive(Deserialize)]
struct ContentQuery {
    /// `1` to save the file (only where the share allows download).
    download: Option<String>,
}

/// Download chunk size: small enough that a revocation cuts a transfer promptly.
const CHUNK: usize = 64 * 1024;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/responses",
            post(crate::portal_responses::submit_api).layer(axum::extract::DefaultBodyLimit::max(
                crate::portal_responses::body_limit(state),
            )),
        )
        .route("/session", post(create_session))
        .route("/session/renew", post(renew_session))
        .route("/events", get(events))
        .route("/live", get(crate::live::portal_live))
        .route("/items", get(items))
        .route("/items/{id}/content", get(item_content))
        .route("/record", get(record))
        .route("/record/export", get(record_export))
}

/// A record share's record as its guest may see it (withheld fields and private documents
/// are absent); 404 for a document share.
async fn record(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
) -> Result<Json<Value>, ApiError> {
    let record = access::shared_record(&state.core, &guest, &meta)
        .await?
        .ok_or(ApiError(backend::services::ServiceError::NotFound(
            "record",
        )))?;
    Ok(Json(json!({ "record": record })))
}

/// The record as a JWS (`application/jose`) signed with a key of `/.well-known/jwks.json`.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionInput {
    token: String,
    /// Required as `true` when the share asks for the acknowledgement.
    #[serde(default)]
    acknowledged: bool,
    /// Required as `true` when the share has legal terms.
    #[serde(default)]
    accept_terms: bool,
    password: Option<SecretString>,
    code: Option<SecretString>,
    /// The device id this client got from an earlier session; a client without one gets a
    /// new one in the response and should keep it (it stands in for the browser's cookie).
    device: Option<SecretString>,
}

async fn create_session(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(input): ApiJson<SessionInput>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "access_token": s.access_token,
        "token_type": "Bearer",
        "expires_in": s.expires_in,
        "device": device_text,
    })))
}

/// Silent renewal: a fresh JWT for the same session while the share stays valid. A cookie
/// session gets a new cookie; a bearer client gets the token in the body.
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
    let body = Json(json!({
        "access_token": s.access_token,
        "token_type": "Bearer",
        "expires_in": s.expires_in,
    }));
    Ok((jar, body).into_response())
}

/// Server-sent events for an open portal: `ready` at once, then, ending the stream,
/// `revoked` the moment the share is revoked on any node, `expired` when the share has
/// expired or this session's token runs out, `not_allowed` once the session no longer
/// admits its guest (a browser rejected, a partner or IdP disabled, signed out), or
/// `unavailable` when the share could not be checked.
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

async fn items(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "items": access::items(&state.core, &guest).await? }),
    ))
}

/// Serves an item's bytes inline (or, asked `?download=1` where allowed, as an
/// attachment), locked down (`downloads::lock_down`) and framed only by our own portal
/// page.
async fn item_content(
    State(state): State<AppState>,
    StreamingGuest(stream): StreamingGuest,
    Path(id): Path<String>,
    Query(q): Query<ContentQuery>,
) -> Result<Response, ApiError> {
    use futures::StreamExt;
    let purpose = if q.download.as_deref() == Some("1") {
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
