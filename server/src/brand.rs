//! Portal brand assets and the console's logo form.
//!
//! `GET /brand/{portal}/theme-{version}.css` and `GET /brand/{portal}/logo-{sha256}.webp`
//! are public (a guest's landing page needs them before any session) and named by their
//! content, so they are cached for a year as `immutable`; any other version is a 404.
//! `POST /console/portals/{id}/logo` is the console's multipart form (session + CSRF
//! token): it answers with a redirect back to the portals page.
//!
//! `GET /internal/tls/ask?domain=` answers Caddy's on-demand TLS question (may a
//! certificate be obtained for this name?): 200 only for a verified portal domain. It
//! answers only a caller on this machine that is not forwarding someone else's request.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use backend::domain::branding::logo::MAX_BYTES;
use backend::services::{portals::branding, ServiceError};

use crate::api::multipart::{body_error, bounded_text};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ConsoleStaff, Meta};
use crate::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `theme-{version}.css` or `logo-{sha256}.webp`.
pub async fn asset(
    State(s): State<AppState>,
    Path((portal, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let not_found = || Err(ApiError(ServiceError::NotFound("brand asset")));
    if let Some(version) = file
        .strip_prefix("theme-")
        .and_then(|f| f.strip_suffix(".css"))
    {
        return match branding::theme_css(&s.core, &portal, version).await? {
            Some(css) => Ok(cached("text/css; charset=utf-8", css.into_bytes().into())),
            None => not_found(),
        };
    }
    if let Some(sha) = file
        .strip_prefix("logo-")
        .and_then(|f| f.strip_suffix(".webp"))
    {
        return match branding::logo_bytes(&s.core, &portal, sha).await? {
            Some(bytes) => Ok(cached("image/webp", bytes)),
            None => not_found(),
        };
    }
    not_found()
}

fn cached(content_type: &'static str, body: bytes::Bytes) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    r
}

/// The body limit of the logo form: the logo plus room for the other parts.
pub const LOGO_FORM_LIMIT: usize = MAX_BYTES + 16 * 1024;

fn back_with_error(s: &AppState, message: &str) -> Response {
    crate::error::back_with_error(&s.core, s.secure_cookies, "/console/portals", message)
}

/// Replaces (part `logo`) or removes (part `remove`) a portal's logo.
pub async fn console_logo(
    State(s): State<AppState>,
    ConsoleStaff { staff, csrf }: ConsoleStaff,
    Meta(meta): Meta,
    Path(portal): Path<String>,
    mut form: Multipart,
) -> Response {
    const EXPIRED: &str = "The form has expired. Reload the page and try again.";
    let Some(expected) = csrf else {
        return back_with_error(&s, EXPIRED);
    };
    let mut csrf_ok = false;
    let mut logo: Option<Vec<u8>> = None;
    let mut remove = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return back_with_error(&s, &body_error(e, "logo", LOGO_FORM_LIMIT).to_string())
            }
        };
        match field.name() {
            Some("csrf") => match bounded_text(field, "csrf", 256, LOGO_FORM_LIMIT).await {
                Ok(sent) => {
                    csrf_ok =
                        backend::crypto::constant_time_eq(expected.as_bytes(), sent.as_bytes());
                    // Nothing more is read for someone who may not change brands.
                    if let Err(e) = branding::may_change(&staff) {
                        return back_with_error(&s, &crate::error::public_message(&e));
                    }
                }
                Err(e) => return back_with_error(&s, &e.0.to_string()),
            },
            // The token comes first in the form: nothing is read for a request without it.
            _ if !csrf_ok => return back_with_error(&s, EXPIRED),
            Some("remove") => remove = true,
            Some("logo") => match read_logo(field).await {
                Ok(bytes) => logo = Some(bytes),
                Err(e) => return back_with_error(&s, &e.to_string()),
            },
            _ => {}
        }
    }
    if !csrf_ok {
        return back_with_error(&s, EXPIRED);
    }
    let result = match (remove, logo) {
        (true, _) => branding::clear_logo(&s.core, &staff, &portal, &meta).await,
        (false, Some(bytes)) if !bytes.is_empty() => {
            branding::set_logo(&s.core, &staff, &portal, bytes.into(), &meta).await
        }
        _ => return back_with_error(&s, "Choose a logo file (PNG, JPEG or WebP, at most 1 MiB)."),
    };
    match result {
        Ok(_) => Redirect::to("/console/portals?logo=1").into_response(),
        Err(e) => back_with_error(&s, &crate::error::public_message(&e)),
    }
}

/// The file part, up to [`MAX_BYTES`]; one byte more is a 413-style refusal.
async fn read_logo(
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<Vec<u8>, ServiceError> {
    let mut bytes = Vec::new();
    while let Some(piece) = field
        .chunk()
        .await
        .map_err(|e| body_error(e, "logo", LOGO_FORM_LIMIT))?
    {
        if bytes.len() + piece.len() > MAX_BYTES {
            return Err(ServiceError::PayloadTooLarge { limit: MAX_BYTES });
        }
        bytes.extend_from_slice(&piece);
    }
    Ok(bytes)
}

/// Where Caddy's on-demand TLS `ask` is answered ([`tls_ask`]).
pub const TLS_ASK_PATH: &str = "/internal/tls/ask";

#[derive(serde::Deserialize)]
pub struct AskQuery {
    domain: String,
    /// The ask key, for a proxy on another host (`ask https://…/internal/tls/ask?key=…`).
    key: Option<String>,
}

/// Caddy's on-demand TLS `ask`: 200 for a verified, active portal domain, 404 otherwise;
/// 403 for a caller that is neither the local proxy (loopback, not forwarding another's
/// request: a guest's request through the same proxy carries `X-Forwarded-For`) nor
/// presenting the configured ask key (compared in constant time).
pub async fn tls_ask(
    State(s): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(q): axum::extract::Query<AskQuery>,
) -> ApiResult<StatusCode> {
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
    let local = peer.ip().is_loopback() && !forwarded;
    let keyed = match (&s.tls_ask_key, &q.key) {
        (Some(key), Some(sent)) => {
            use secrecy::ExposeSecret;
            backend::crypto::constant_time_eq(key.expose_secret().as_bytes(), sent.as_bytes())
        }
        _ => false,
    };
    if !(local || keyed) {
        return Err(ApiError(ServiceError::Forbidden(
            "This endpoint answers only the local TLS proxy.",
        )));
    }
    if backend::services::sites::is_served(&s.core, &q.domain).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError(ServiceError::NotFound("verified portal domain")))
    }
}
