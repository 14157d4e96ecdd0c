//! The HTTP edge's extractors: who is calling (console session, admin API key or portal
//! session), from where, and JSON bodies whose rejections use the error envelope.

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts};
use axum::http::{header, request::Parts};
use backend::actor::{Guest, RequestMeta, Site, Staff};
use backend::services::{access, auth, ServiceError};

use crate::error::{invalid, ApiError};
use crate::state::AppState;

/// Request origin for audit: the peer address and the user agent, and the site addressed
/// (resolved by `sites::route_by_site`; a request that did not pass it is a 500, never
/// taken for the installation's).
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<backend::actor::ClientIp>()
            .map(|c| c.0)
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip())
            });
        let ua = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        let site = parts.extensions.get::<Site>().cloned().ok_or_else(|| {
            ServiceError::fault("a request reached a handler without host routing")
        })?;
        Ok(Meta(RequestMeta::new(ip, ua).on(site)))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_in(&parts.headers)
}

fn bearer_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    (v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ")).then(|| v[7..].trim())
}

/// An admin authenticated by `Authorization: Bearer lsn_…`. A missing or bad key is a 401,
/// never anonymous access.
pub struct ApiStaff(pub Staff);

impl<S> FromRequestParts<S> for ApiStaff
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let Meta(meta) = Meta::from_request_parts(parts, &()).await?;
        // The admin API is the installation's alone (host routing already keeps it off
        // portals' domains; this holds if a route ever escapes it).
        if meta.site != Site::Installation {
            return Err(ServiceError::NotFound("endpoint").into());
        }
        let key = bearer(parts).ok_or(ServiceError::Unauthenticated(
            "An API key is required: Authorization: Bearer lsn_…",
        ))?;
        Ok(ApiStaff(
            auth::staff_for_api_key(&state.core, key, &meta).await?,
        ))
    }
}

/// A staff member signed in to the console (the tower-sessions session), with the
/// session's CSRF token for forms posted outside Leptos. No session, or one naming a
/// disabled account: a redirect to `/login`. A fault reading either: a logged 500 (never
/// a redirect that would hide it).
pub struct ConsoleStaff {
    pub staff: Staff,
    /// The session's CSRF token; `None` when the session has none yet.
    pub csrf: Option<String>,
}

impl<S> FromRequestParts<S> for ConsoleStaff
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::{IntoResponse, Redirect};
        let state = AppState::from_ref(state);
        // The console is the installation's alone.
        if parts.extensions.get::<Site>() != Some(&Site::Installation) {
            return Err(ApiError(ServiceError::NotFound("page")).into_response());
        }
        let session = tower_sessions::Session::from_request_parts(parts, &state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (staff, csrf) = app::ssr::session_staff(&state.core, &session)
            .await
            .map_err(|e| ApiError(e).into_response())?
            .ok_or_else(|| Redirect::to("/login").into_response())?;
        Ok(ConsoleStaff {
            staff,
            csrf: Some(csrf).filter(|c| !c.is_empty()),
        })
    }
}

/// A guest with a valid portal session (`Authorization: Bearer <jwt>` or the portal
/// cookie), re-checked against the share on this request.
pub struct PortalGuest(pub Guest, pub PortalCredential);

/// How the portal session was presented (renewal answers in the same form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortalCredential {
    Bearer,
    Cookie,
}

impl<S> FromRequestParts<S> for PortalGuest
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let Meta(meta) = Meta::from_request_parts(parts, &()).await?;
        let (jwt, credential) = portal_jwt(&parts.headers, &state, &meta)?;
        Ok(PortalGuest(
            access::authenticate(&state.core, &jwt, &meta).await?,
            credential,
        ))
    }
}

/// The portal session token a request presents: `Authorization: Bearer`, else the portal
/// cookie of the site's scheme.
pub fn portal_jwt(
    headers: &axum::http::HeaderMap,
    state: &AppState,
    meta: &backend::actor::RequestMeta,
) -> Result<(String, PortalCredential), ApiError> {
    if let Some(jwt) = bearer_in(headers) {
        return Ok((jwt.to_owned(), PortalCredential::Bearer));
    }
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(headers);
    let secure = state.core.settings.secure_cookies_on(&meta.site);
    app::ssr::portal_jwt_from(&jar, secure)
        .map(|jwt| (jwt.to_owned(), PortalCredential::Cookie))
        .ok_or(ApiError(ServiceError::Unauthenticated(
            "A portal session is required.",
        )))
}

/// A [`PortalGuest`] for a response that streams (events, downloads, the live channel),
/// with a subscription to the bus taken *before* the session was checked (a revocation
/// between the check and the first byte still ends the stream) and one of the share's
/// stream slots on this node.
pub struct StreamingGuest(pub access::GuestStream);

/// A [`PortalGuest`] watched for the length of a request that may wait (a page image drawn
/// by a renderer): the bus subscription of [`StreamingGuest`], taken before the session was
/// checked, without a stream slot (a page is one response, bounded by the viewer's queues).
pub struct WatchedGuest(pub access::GuestStream);

/// The session of the request, with a bus subscription taken before it was checked.
async fn watched(parts: &mut Parts, state: &AppState) -> Result<access::GuestStream, ApiError> {
    let subscription = state.core.revocations.subscribe();
    let Meta(meta) = Meta::from_request_parts(parts, &()).await?;
    let (jwt, _) = portal_jwt(&parts.headers, state, &meta)?;
    let guest = access::authenticate(&state.core, &jwt, &meta).await?;
    Ok(access::GuestStream {
        guest,
        jwt,
        meta,
        subscription,
    })
}

impl<S> FromRequestParts<S> for WatchedGuest
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        watched(parts, &AppState::from_ref(state))
            .await
            .map(WatchedGuest)
    }
}

impl<S> FromRequestParts<S> for StreamingGuest
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut stream = watched(parts, &AppState::from_ref(state)).await?;
        if !stream.subscription.hold(&stream.guest.share_id) {
            return Err(ApiError(ServiceError::TooMany {
                message: "Too many open streams for this share; close another tab or \
                          download first.",
                retry_after_secs: Some(5),
            }));
        }
        Ok(StreamingGuest(stream))
    }
}

/// JSON body whose rejection (bad syntax, wrong types, wrong content type) is a 422 or 415
/// in the error envelope.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(
                ServiceError::UnsupportedMedia("send the body as application/json".into()),
            )),
            Err(e) => Err(invalid("body", e.body_text())),
        }
    }
}

/// A query string whose rejection (an unknown parameter, a value of the wrong type) is a
/// 422 naming `query`, in the error envelope.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| ApiQuery(q))
            .map_err(|e| invalid("query", e.body_text()))
    }
}

/// A multipart body whose rejection (another content type, no boundary) is a 415 in the
/// error envelope.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S> FromRequest<S> for ApiMultipart
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|_| {
                ApiError(ServiceError::UnsupportedMedia(
                    "send the body as multipart/form-data".into(),
                ))
            })
    }
}
