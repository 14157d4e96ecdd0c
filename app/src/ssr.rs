//! Server-side plumbing for server functions: the context the server provides, request
//! metadata, the signed-in staff member, CSRF checks and cookies. Only compiled with `ssr`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use backend::actor::{RequestMeta, Staff};
use backend::services::{auth, ServiceError};
use backend::Liaison;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

/// Provided by the server to every Leptos render and server function call.
#[derive(Clone, Debug)]
pub struct ServerContext {
    pub core: Arc<Liaison>,
    /// Whether cookies get the `Secure` attribute (public URL is https).
    pub secure_cookies: bool,
}

pub const SESSION_USER: &str = "user_id";
pub const SESSION_CSRF: &str = "csrf";
pub const DEVICE_COOKIE: &str = "liaison_device";
pub const PORTAL_COOKIE: &str = "liaison_portal";

pub fn context() -> Result<ServerContext, ServerFnError> {
    use_context::<ServerContext>().ok_or_else(|| ServerFnError::new("server context missing"))
}

/// Maps a service error to what a page may show, setting the HTTP status to match.
pub fn fail(e: ServiceError) -> ServerFnError {
    if let ServiceError::Internal(detail) = &e {
        tracing::error!(error.detail = %detail.detail(), "internal error");
    }
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(resp) = use_context::<ResponseOptions>() {
        resp.set_status(status);
    }
    ServerFnError::new(e.to_string())
}

pub async fn meta() -> RequestMeta {
    let ip = match leptos_axum::extract::<axum::Extension<backend::actor::ClientIp>>().await {
        Ok(axum::Extension(c)) => Some(c.0),
        Err(_) => leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .ok()
            .map(|c| c.0.ip()),
    };
    let headers: HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    RequestMeta::new(
        ip,
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    )
}

pub async fn session() -> Result<Session, ServerFnError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|_| ServerFnError::new("session layer missing"))
}

/// The signed-in staff member, if any.
pub async fn staff() -> Result<Option<(Staff, String)>, ServerFnError> {
    let ctx = context()?;
    let session = session().await?;
    let user_id: Option<String> = session
        .get(SESSION_USER)
        .await
        .map_err(|_| ServerFnError::new("session unreadable"))?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let csrf: String = session
        .get(SESSION_CSRF)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    Ok(auth::staff_for_session(&ctx.core, &user_id)
        .await
        .map_err(fail)?
        .map(|s| (s, csrf)))
}

/// The signed-in staff member, or a 401.
pub async fn require_staff() -> Result<Staff, ServerFnError> {
    staff()
        .await?
        .map(|(s, _)| s)
        .ok_or_else(|| fail(ServiceError::Unauthenticated("Please sign in.")))
}

/// The signed-in staff member, after checking the form's CSRF token against the session's
/// (constant-time). Every state-changing console form goes through here.
pub async fn require_staff_csrf(presented: &str) -> Result<Staff, ServerFnError> {
    let (staff, expected) = staff()
        .await?
        .ok_or_else(|| fail(ServiceError::Unauthenticated("Please sign in.")))?;
    if expected.is_empty()
        || !backend::crypto::constant_time_eq(expected.as_bytes(), presented.as_bytes())
    {
        return Err(fail(ServiceError::Forbidden(
            "The form has expired. Reload the page and try again.",
        )));
    }
    Ok(staff)
}

pub fn new_csrf_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Sets (or with `None`, clears) the portal session cookie: HttpOnly, SameSite=Strict,
/// Secure when served over https, and no longer-lived than the JWT inside.
pub fn set_portal_cookie(jwt: Option<(&str, i64)>, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let value = match jwt {
        Some((token, max_age)) => format!(
            "{PORTAL_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ),
        None => format!("{PORTAL_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    if let (Some(resp), Ok(v)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        resp.append_header(header::SET_COOKIE, v);
    }
}

/// The browser's device cookie: a random id that binds the browser to the shares it has
/// opened (only its SHA-256 is stored). Created when absent, and (re)set on the response
/// whatever the outcome, so a browser waiting for approval is recognised once approved.
pub async fn ensure_device_cookie(secure: bool) -> secrecy::SecretString {
    use secrecy::ExposeSecret;
    let existing = match leptos_axum::extract::<HeaderMap>().await {
        Ok(headers) => cookie(&headers, DEVICE_COOKIE)
            .filter(|v| {
                v.len() == 43
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .map(|v| secrecy::SecretString::from(v.to_owned())),
        Err(_) => None,
    };
    let device = existing.unwrap_or_else(backend::services::access::new_device_id);
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{DEVICE_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=34560000{secure}",
        device.expose_secret()
    );
    if let (Some(resp), Ok(v)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        resp.append_header(header::SET_COOKIE, v);
    }
    device
}

/// The device cookie as sent, without creating one (for the landing page, which must not
/// set state on a GET that a mail scanner may make).
pub async fn device_cookie() -> Option<secrecy::SecretString> {
    let headers: HeaderMap = leptos_axum::extract().await.ok()?;
    cookie(&headers, DEVICE_COOKIE).map(|v| secrecy::SecretString::from(v.to_owned()))
}

/// The value of cookie `name` in `headers` (used by pages and by the portal API).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The portal JWT from the request's cookie.
pub async fn portal_cookie() -> Option<String> {
    let headers: HeaderMap = leptos_axum::extract().await.ok()?;
    cookie(&headers, PORTAL_COOKIE).map(str::to_owned)
}
