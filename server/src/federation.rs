//! Federated sign-in over HTTP: SAML SP metadata and ACS, the OIDC redirect URI, starting a
//! partner sign-in from a share's landing page, and staff sign-in at the organisation's IdP.
//!
//! The IdP's answer arrives cross-site (a SAML HTTP-POST, an OIDC redirect), where
//! SameSite cookies are not sent. So these endpoints never create a session directly: they
//! answer with a small page that continues, same-site, to where the browser's own cookies
//! prove it is the browser that started the sign-in (the share's link, or
//! `/auth/staff/finish`). Refusals render a page naming the failed check, with status 403.

use app::assets::SiteAssets;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use backend::services::federation::{self, Finished, OidcCallback};
use backend::services::ServiceError;
use maud::{html, Markup, DOCTYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tower_sessions::Session;

use crate::error::public_message;
use crate::extract::Meta;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/saml/{idp_id}/metadata", get(sp_metadata))
        .route("/auth/saml/{idp_id}/continue", get(saml_continue))
        .route("/auth/oidc/callback", get(oidc_callback))
        .route("/auth/federation/share", post(start_share))
        .route("/auth/staff/{idp_id}", get(start_staff))
        .route("/auth/staff/finish", get(finish_staff))
}

/// The SAML ACS alone: a cross-site POST by design (the IdP's auto-submitted form), so the
/// router mounts it outside the same-origin check; the signature, RelayState,
/// InResponseTo and the one-time delivery cookie protect it instead.
pub fn acs_router() -> Router<AppState> {
    Router::new().route("/auth/saml/{idp_id}/acs", post(saml_acs))
}

/// A federation result page (an auto-escaping `maud` template): `body` under a heading,
/// and where the browser goes on by itself, a `refresh` to `refresh_to`.
fn page(
    assets: &SiteAssets,
    status: StatusCode,
    title: &str,
    body: Markup,
    refresh_to: Option<&str>,
) -> Response {
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · Liaison" }
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(url) = refresh_to {
                    meta http-equiv="refresh" content={ "0;url=" (url) };
                }
                link rel="stylesheet" href=(assets.css_href());
            }
            body {
                main class="federation-result" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    let mut resp = (status, html.into_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'self'",
        ),
    );
    resp
}

fn refused_page(assets: &SiteAssets, e: &ServiceError) -> Response {
    let status = match e.http_status() {
        401 => StatusCode::UNAUTHORIZED,
        404 => StatusCode::NOT_FOUND,
        410 => StatusCode::GONE,
        429 => StatusCode::TOO_MANY_REQUESTS,
        500 => StatusCode::INTERNAL_SERVER_ERROR,
        502 => StatusCode::BAD_GATEWAY,
        _ => StatusCode::FORBIDDEN,
    };
    let message = public_message(e);
    page(
        assets,
        status,
        "Sign-in refused",
        html! {
            p class="error" data-reason=(e.code()) { (message) }
            p { "Nothing was signed in. Start again from your link or the sign-in page, or contact the sender." }
        },
        None,
    )
}

/// The one-time cookie that marks the browser the IdP's SAML answer was posted to.
const DELIVERY_COOKIE: &str = "liaison_saml_delivery";

/// A page that goes on to `url` by itself, with a link for a browser that does not.
fn onward(
    assets: &SiteAssets,
    title: &str,
    before: &str,
    link_text: &str,
    after: &str,
    url: &str,
) -> Response {
    page(
        assets,
        StatusCode::OK,
        title,
        html! { p { (before) " " a href=(url) { (link_text) } (after) } },
        Some(url),
    )
}

fn finished_page(assets: &SiteAssets, f: Finished) -> Response {
    match f {
        Finished::Delivered { continue_url, .. } => onward(
            assets,
            "Signing in",
            "Signing you in…",
            "Continue",
            "",
            &continue_url,
        ),
        Finished::Restart { url } => onward(
            assets,
            "Signing in",
            "Your identity provider sent a sign-in this browser did not ask for.",
            "Sign in from here",
            ".",
            &url,
        ),
        Finished::Share { link } => onward(
            assets,
            "Signed in",
            "Signed in.",
            "Continue to the shared content",
            ".",
            link.expose_secret(),
        ),
        Finished::Staff { state } => onward(
            assets,
            "Signed in",
            "Signed in.",
            "Continue to the console",
            ".",
            &format!("/auth/staff/finish?state={}", state.expose_secret()),
        ),
        Finished::Test { idp_name, identity } => page(
            assets,
            StatusCode::OK,
            "Connection works",
            html! {
                p {
                    (idp_name) " signed in "
                    strong class="tested-email" { (identity.email) }
                    " (" (identity.display_name) ")."
                }
                dl {
                    dt { "Subject" } dd class="tested-subject" { (identity.subject) }
                    dt { "Organisation" } dd { (identity.organisation.as_deref().unwrap_or("—")) }
                    dt { "Groups" } dd { (identity.groups.join(", ")) }
                }
                h2 { "What the identity provider asserted" }
                table class="tested-attributes" {
                    @for (name, values) in &identity.attributes {
                        tr { th { (name) } td { (values.join(", ")) } }
                    }
                }
                p { a href="/console/partners" { "Back to partners" } }
            },
            None,
        ),
    }
}

async fn sp_metadata(State(state): State<AppState>, Path(idp_id): Path<String>) -> Response {
    match federation::sp_metadata(&state.core, &idp_id).await {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        Err(e) => refused_page(&state.assets, &e),
    }
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn saml_acs(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    Meta(meta): Meta,
    Form(form): Form<AcsForm>,
) -> Response {
    let Some(response) = form.saml_response.filter(|r| !r.trim().is_empty()) else {
        return refused_page(
            &state.assets,
            &ServiceError::Federation(backend::federation::FederationError::Malformed(
                "no SAMLResponse was posted".into(),
            )),
        );
    };
    match federation::finish_saml(
        &state.core,
        &idp_id,
        &response,
        form.relay_state.as_deref(),
        &meta,
    )
    .await
    {
        Ok(Finished::Delivered {
            continue_url,
            delivery,
        }) => {
            // Set on a top-level navigation's response, so stored even though the POST
            // came cross-site; sent back on the same-site continuation (Lax).
            let cookie = Cookie::build((DELIVERY_COOKIE, delivery.expose_secret().to_owned()))
                .path(format!("/auth/saml/{idp_id}/"))
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.secure_cookies)
                .max_age(time::Duration::minutes(10));
            let jar = CookieJar::new().add(cookie);
            let delivered = Finished::Delivered {
                continue_url,
                delivery,
            };
            (jar, finished_page(&state.assets, delivered)).into_response()
        }
        Ok(f) => finished_page(&state.assets, f),
        Err(e) => refused_page(&state.assets, &e),
    }
}

#[derive(Deserialize)]
struct ContinueQuery {
    state: String,
}

/// `GET /auth/saml/{idp_id}/continue`: same-site, so both the delivery cookie and the
/// device cookie are sent; the delivery cookie is spent whatever the outcome.
async fn saml_continue(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    Meta(meta): Meta,
    jar: CookieJar,
    Query(q): Query<ContinueQuery>,
) -> Response {
    let delivery = jar
        .get(DELIVERY_COOKIE)
        .map(|c| SecretString::from(c.value().to_owned()));
    let device = app::ssr::device_from(&jar, state.secure_cookies); // as sent, never created here
    let outcome = federation::continue_saml(
        &state.core,
        &idp_id,
        &q.state,
        delivery.as_ref(),
        device.as_ref(),
        &meta,
    )
    .await;
    let spent = jar.remove(Cookie::build(DELIVERY_COOKIE).path(format!("/auth/saml/{idp_id}/")));
    match outcome {
        Ok(f) => (spent, finished_page(&state.assets, f)).into_response(),
        Err(e) => (spent, refused_page(&state.assets, &e)).into_response(),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn oidc_callback(
    State(state): State<AppState>,
    Meta(meta): Meta,
    jar: CookieJar,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let cb = OidcCallback {
        state: q.state.as_deref(),
        code: q.code.as_deref(),
        iss: q.iss.as_deref(),
        error: q.error.as_deref(),
        error_description: q.error_description.as_deref(),
    };
    let device = app::ssr::device_from(&jar, state.secure_cookies); // as sent, never created here
    match federation::finish_oidc(&state.core, cb, device.as_ref(), &meta).await {
        Ok(f) => finished_page(&state.assets, f),
        Err(e) => refused_page(&state.assets, &e),
    }
}

/// The browser's device id, or a new one added to `jar` (to be sent with the response).
fn device(jar: CookieJar, secure: bool) -> (SecretString, CookieJar) {
    match app::ssr::device_from(&jar, secure) {
        Some(d) => (d, jar),
        None => {
            let d = backend::services::access::new_device_id();
            let jar = jar.add(app::ssr::device_cookie_for(&d, secure));
            (d, jar)
        }
    }
}

#[derive(Deserialize)]
struct StartShareForm {
    token: String,
    idp: Option<String>,
}

/// `POST /auth/federation/share` from a federated share's landing page (same-origin):
/// remembers the sign-in for this browser and sends it on to the partner's IdP.
async fn start_share(
    State(state): State<AppState>,
    Meta(meta): Meta,
    jar: CookieJar,
    Form(form): Form<StartShareForm>,
) -> Response {
    let (device, jar) = device(jar, state.secure_cookies);
    let idp = form.idp.as_deref().filter(|s| !s.is_empty());
    match federation::start_for_share(&state.core, form.token.trim(), idp, &device, &meta).await {
        Ok(url) => {
            // Not a 303: the landing page's CSP (`form-action 'self'`) also governs where a
            // form submission may be redirected, so the IdP is reached from this page.
            let page = page(
                &state.assets,
                StatusCode::OK,
                "Signing in",
                html! {
                    p {
                        "Taking you to your organisation's sign-in… "
                        a href=(url.as_str()) data-testid="idp-link" { "Continue" }
                    }
                },
                Some(url.as_str()),
            );
            (jar, page).into_response()
        }
        Err(e) => refused_page(&state.assets, &e),
    }
}

/// `GET /auth/staff/{idp_id}`: staff sign-in at the organisation's own IdP.
async fn start_staff(
    State(state): State<AppState>,
    Path(idp_id): Path<String>,
    jar: CookieJar,
) -> Response {
    let (device, jar) = device(jar, state.secure_cookies);
    match federation::start_for_staff(&state.core, &idp_id, &device).await {
        Ok(url) => (jar, Redirect::to(url.as_str())).into_response(),
        Err(e) => refused_page(&state.assets, &e),
    }
}

#[derive(Deserialize)]
struct FinishQuery {
    state: String,
}

/// `GET /auth/staff/finish`: same-site, so the device cookie is sent and must match the
/// browser that started the sign-in; then a fresh console session (new id, new CSRF token).
async fn finish_staff(
    State(state): State<AppState>,
    Meta(meta): Meta,
    jar: CookieJar,
    session: Session,
    Query(q): Query<FinishQuery>,
) -> Response {
    let device = app::ssr::device_from(&jar, state.secure_cookies); // as sent, never created here
    let staff = match federation::finish_staff(&state.core, &q.state, device.as_ref(), &meta).await
    {
        Ok(s) => s,
        Err(e) => return refused_page(&state.assets, &e),
    };
    match app::ssr::start_console_session(&session, &staff).await {
        Ok(()) => Redirect::to("/console").into_response(),
        Err(e) => refused_page(
            &state.assets,
            &ServiceError::internal_while("could not start a session", e),
        ),
    }
}
