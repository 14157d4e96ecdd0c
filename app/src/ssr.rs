//! Server-side plumbing for server functions: the context the server provides, request
//! metadata, the signed-in staff member, CSRF checks and cookies. Only compiled with `ssr`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use backend::actor::{RequestMeta, Staff};
use backend::services::{auth, ServiceError};
use backend::Liaison;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

use crate::error::AppError;

/// Provided by the server to every Leptos render and server function call.
#[derive(Clone, Debug)]
pub struct ServerContext {
    pub core: Arc<Liaison>,
}

pub const SESSION_USER: &str = "user_id";
/// The account's session epoch when the session was opened (see `auth::staff_for_session`).
pub const SESSION_EPOCH: &str = "epoch";
pub const SESSION_CSRF: &str = "csrf";

/// The device cookie's name. On a site served over https it carries the `__Host-` prefix,
/// which a browser accepts only when set by that very host, `Secure`, with `Path=/` and no
/// `Domain`: a sibling subdomain of a customer's domain cannot toss a device (or session)
/// cookie onto its portal. Readers look for the name of the site's scheme only.
pub fn device_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-liaison_device"
    } else {
        "liaison_device"
    }
}

/// The portal session cookie's name (`__Host-` on https sites, as [`device_cookie_name`]).
pub fn portal_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-liaison_portal"
    } else {
        "liaison_portal"
    }
}

pub fn context() -> Result<ServerContext, AppError> {
    use_context::<ServerContext>().ok_or_else(|| AppError::internal("server context missing"))
}

/// Maps a service error to what a page may show (its code, field and message), setting
/// the HTTP status to match. An internal error is logged here, once, with its causes.
pub fn fail(e: ServiceError) -> AppError {
    if let ServiceError::Internal(detail) = &e {
        tracing::error!(error.detail = %detail.detail(), "internal error");
    }
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(resp) = use_context::<ResponseOptions>() {
        resp.set_status(status);
    }
    app_error(e)
}

/// As [`fail`], for a refusal that a server function answers as a view of its own (`Ok`
/// with a "closed" or "denied" screen): the HTTP status says so only while that page is
/// rendered on the server. Called over fetch (after a client-side navigation) it must
/// answer 200, or the browser would read the view as an error.
pub fn fail_view(e: ServiceError) {
    let rendering_page = use_context::<axum::http::request::Parts>()
        .is_some_and(|p| !p.uri.path().starts_with("/api/"));
    if rendering_page {
        let _ = fail(e);
    } else if let ServiceError::Internal(detail) = &e {
        tracing::error!(error.detail = %detail.detail(), "internal error");
    }
}

fn app_error(e: ServiceError) -> AppError {
    AppError {
        code: e.code().to_owned(),
        field: match &e {
            ServiceError::Invalid { field, .. } => Some((*field).to_owned()),
            _ => None,
        },
        message: e.to_string(),
    }
}

/// Where the request came from and which site it addressed. Fails (a logged 500) when the
/// request did not pass host routing: no server function guesses its site.
pub async fn meta() -> Result<RequestMeta, AppError> {
    let ip = match leptos_axum::extract::<axum::Extension<backend::actor::ClientIp>>().await {
        Ok(axum::Extension(c)) => Some(c.0),
        Err(_) => leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .ok()
            .map(|c| c.0.ip()),
    };
    let headers: HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let axum::Extension(site) = leptos_axum::extract::<axum::Extension<backend::actor::Site>>()
        .await
        .map_err(|_| {
            fail(ServiceError::fault(
                "a request reached the app without host routing",
            ))
        })?;
    Ok(RequestMeta::new(
        ip,
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    )
    .on(site))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|_| AppError::internal("session layer missing"))
}

/// The staff member a console session names, with the session's CSRF token (empty when
/// it has none yet). `None`: nobody is signed in, or the account is disabled. The one
/// reader of the console session, for server functions and plain form handlers alike.
pub async fn session_staff(
    core: &Liaison,
    session: &Session,
) -> Result<Option<(Staff, String)>, ServiceError> {
    let unreadable = |e| ServiceError::internal_while("reading the console session", e);
    let user_id: Option<String> = session.get(SESSION_USER).await.map_err(unreadable)?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let epoch: Option<i64> = session.get(SESSION_EPOCH).await.map_err(unreadable)?;
    let csrf: Option<String> = session.get(SESSION_CSRF).await.map_err(unreadable)?;
    Ok(auth::staff_for_session(core, &user_id, epoch.unwrap_or(0))
        .await?
        .map(|s| (s, csrf.unwrap_or_default())))
}

/// The signed-in staff member, if any.
pub async fn staff() -> Result<Option<(Staff, String)>, AppError> {
    let ctx = context()?;
    // The console is the installation's alone: on a portal's domain nobody is signed in.
    if meta().await?.site != backend::actor::Site::Installation {
        return Ok(None);
    }
    session_staff(&ctx.core, &session().await?)
        .await
        .map_err(fail)
}

/// The signed-in staff member, or a 401.
pub async fn require_staff() -> Result<Staff, AppError> {
    staff()
        .await?
        .map(|(s, _)| s)
        .ok_or_else(|| fail(ServiceError::Unauthenticated("Please sign in.")))
}

/// The signed-in staff member, after checking the form's CSRF token against the session's
/// (constant-time). Every state-changing console form goes through here.
pub async fn require_staff_csrf(presented: &str) -> Result<Staff, AppError> {
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

/// Opens a console session for `staff` (signed in just now): a new session id (no
/// fixation), the account and its epoch, a fresh CSRF token. The one way every sign-in
/// (password, the organisation's IdP, a set-password link) starts a session.
pub async fn start_console_session(
    session: &Session,
    staff: &Staff,
) -> Result<(), tower_sessions::session::Error> {
    let epoch = match staff.credential {
        backend::actor::StaffCredential::Session { epoch } => epoch,
        _ => 0,
    };
    session.cycle_id().await?;
    session.insert(SESSION_USER, &staff.user_id).await?;
    session.insert(SESSION_EPOCH, epoch).await?;
    session.insert(SESSION_CSRF, new_csrf_token()).await?;
    Ok(())
}

pub fn new_csrf_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The portal session cookie carrying `jwt` for `max_age` seconds (no longer than the JWT
/// inside), or with `None` the cookie that clears it: HttpOnly, SameSite=Strict, Secure
/// when served over https.
pub fn portal_session_cookie(jwt: Option<(&str, i64)>, secure: bool) -> Cookie<'static> {
    let (value, max_age) = jwt.map_or((String::new(), 0), |(t, age)| (t.to_owned(), age));
    Cookie::build((portal_cookie_name(secure), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::seconds(max_age))
        .build()
}

/// The device cookie carrying `device`: HttpOnly, SameSite=Lax (sent on the top-level
/// return from an IdP), Secure when served over https, kept for 400 days.
pub fn device_cookie_for(device: &secrecy::SecretString, secure: bool) -> Cookie<'static> {
    use secrecy::ExposeSecret;
    Cookie::build((
        device_cookie_name(secure),
        device.expose_secret().to_owned(),
    ))
    .path("/")
    .http_only(true)
    .same_site(SameSite::Lax)
    .secure(secure)
    .max_age(time::Duration::days(400))
    .build()
}

/// The browser's device id as sent (under the name for a site that is `secure` or not),
/// if it has the shape of one (43 base64url characters: 256 bits); anything else is
/// treated as no device.
pub fn device_from(jar: &CookieJar, secure: bool) -> Option<secrecy::SecretString> {
    jar.get(device_cookie_name(secure))
        .map(|c| c.value())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(|v| secrecy::SecretString::from(v.to_owned()))
}

/// The portal JWT as sent in the session cookie (under the name for a site that is
/// `secure` or not).
pub fn portal_jwt_from(jar: &CookieJar, secure: bool) -> Option<&str> {
    jar.get(portal_cookie_name(secure))
        .map(|c| c.value())
        .filter(|v| !v.is_empty())
}

/// Adds `cookie` to the server function's response.
pub(crate) fn set_cookie(cookie: &Cookie<'_>) {
    if let (Some(resp), Ok(v)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie.encoded().to_string()),
    ) {
        resp.append_header(header::SET_COOKIE, v);
    }
}

/// The request's cookies (none when the headers cannot be read).
pub(crate) async fn request_cookies() -> CookieJar {
    leptos_axum::extract::<CookieJar>()
        .await
        .unwrap_or_default()
}

/// Sets (or with `None`, clears) the portal session cookie on this response.
pub fn set_portal_cookie(jwt: Option<(&str, i64)>, secure: bool) {
    set_cookie(&portal_session_cookie(jwt, secure));
}

/// The browser's device cookie: a random id that binds the browser to the shares it has
/// opened (only its SHA-256 is stored). Created when absent, and (re)set on the response
/// whatever the outcome, so a browser waiting for approval is recognised once approved.
pub async fn ensure_device_cookie(secure: bool) -> secrecy::SecretString {
    let device = device_from(&request_cookies().await, secure)
        .unwrap_or_else(backend::services::access::new_device_id);
    set_cookie(&device_cookie_for(&device, secure));
    device
}

/// The device cookie as sent, without creating one (for the landing page, which must not
/// set state on a GET that a mail scanner may make).
pub async fn device_cookie(secure: bool) -> Option<secrecy::SecretString> {
    device_from(&request_cookies().await, secure)
}

/// The portal JWT from the request's cookie.
pub async fn portal_cookie(secure: bool) -> Option<String> {
    portal_jwt_from(&request_cookies().await, secure).map(str::to_owned)
}

/// The guest of this request's portal session cookie, authenticated now: `None` without a
/// cookie, `Some(Err)` when the session is refused (revoked, expired, signed out, …).
pub async fn cookie_guest(
    core: &Liaison,
    meta: &RequestMeta,
) -> Option<Result<backend::actor::Guest, ServiceError>> {
    let jwt = portal_cookie(core.settings.secure_cookies_on(&meta.site)).await?;
    Some(backend::services::access::authenticate(core, &jwt, meta).await)
}

/// As [`cookie_guest`], for a function that needs a guest: no cookie is a 401, a refused
/// session its own error.
pub async fn require_cookie_guest(
    core: &Liaison,
    meta: &RequestMeta,
) -> Result<backend::actor::Guest, AppError> {
    cookie_guest(core, meta)
        .await
        .ok_or_else(|| {
            fail(ServiceError::Unauthenticated(
                "A portal session is required.",
            ))
        })?
        .map_err(fail)
}

/// A guest screen's brand, as the page draws it.
pub fn brand_view(b: backend::services::portals::branding::GuestBrand) -> crate::types::BrandView {
    crate::types::BrandView {
        name: b.name,
        theme_path: b.theme_path,
        logo: b.logo.map(|l| (l.path, l.width, l.height)),
        disclaimer_html: b.disclaimer_html,
        support: b.support,
        footer_links: b
            .footer_links
            .into_iter()
            .map(|l| (l.label, l.url))
            .collect(),
    }
}
