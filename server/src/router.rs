//! The whole HTTP surface in one place: Leptos pages and server functions, REST, portal API,
//! JWKS, health, static assets, and the layers around them.

use std::path::Path;
use std::sync::Arc;

use app::assets::SiteAssets;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{
    generate_route_list, generate_route_list_with_exclusions, handle_server_fns_with_context,
    LeptosRoutes,
};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::state::AppState;
use crate::{
    api, brand, console_export, console_upload, federation, middleware, portal_responses, sites,
};

/// Console sessions end after this much inactivity.
const SESSION_IDLE: time::Duration = time::Duration::hours(8);

/// The router for `state`, serving the front end from its Leptos options' site root.
pub fn build(state: AppState) -> Router {
    build_with(state, Router::new())
}

/// [`build`] plus `extra` routes served behind the same middleware (the benchmark's bare
/// handler, so that both sides of its ratio pay for the same layers).
pub fn build_with(state: AppState, extra: Router<AppState>) -> Router {
    let site_dir = Path::new(state.leptos_options.site_root.as_ref()).to_path_buf();
    let routes: Vec<_> = app_routes()
        .iter()
        .flat_map(|(_, routes)| routes.iter().cloned())
        .collect();
    let context = state.server_context();
    let provide = move || provide_context(context.clone());
    let sessions = SessionManagerLayer::new(backend::store::sessions::SqlSessionStore::new(
        state.core.db.clone(),
    ))
    .with_name("liaison_session")
    .with_http_only(true)
    .with_same_site(SameSite::Strict)
    .with_secure(state.secure_cookies)
    .with_expiry(Expiry::OnInactivity(SESSION_IDLE));
    let assets = state.assets.clone();
    let upload_limit =
        axum::extract::DefaultBodyLimit::max(state.core.settings.max_upload_bytes + 64 * 1024);

    let app = Router::new()
        .merge(extra)
        .merge(api::router(&state))
        .merge(federation::router())
        // A traced picture (≤ 20 MiB) arrives base64 in the form: a third larger.
        .route(
            TRACE_LEAK_PATH,
            post(trace_leak).layer(axum::extract::DefaultBodyLimit::max(
                backend::services::leaks::MAX_PICTURE_BYTES / 3 * 4 + 64 * 1024,
            )),
        )
        .route("/api/{fn_name}", post(server_fn).get(server_fn))
        .route("/api/guest/{fn_name}", post(server_fn).get(server_fn))
        .route(
            "/api/console/live",
            axum::routing::get(crate::live::console_live),
        )
        .route(
            "/console/documents",
            post(console_upload::upload).layer(upload_limit),
        )
        .route(
            "/console/documents/{id}/revisions",
            post(console_upload::upload_revision).layer(upload_limit),
        )
        .route(
            "/console/portals/{id}/logo",
            post(brand::console_logo)
                .layer(axum::extract::DefaultBodyLimit::max(brand::LOGO_FORM_LIMIT)),
        )
        .route("/brand/{portal}/{file}", axum::routing::get(brand::asset))
        .route(brand::TLS_ASK_PATH, axum::routing::get(brand::tls_ask))
        .route(
            "/console/audit/export",
            axum::routing::get(console_export::export),
        )
        .route(
            "/console/portals/{id}/analytics.csv",
            axum::routing::get(console_export::portal_analytics),
        )
        .route(
            "/console/share/{id}/analytics.csv",
            axum::routing::get(console_export::share_analytics),
        )
        .route(
            "/console/share/{id}/attachments/{attachment_id}",
            axum::routing::get(console_export::attachment),
        )
        .route(
            "/console/reviews/{id}/report",
            axum::routing::get(console_export::review_report),
        )
        .route(
            "/console/intelligence/disseminations",
            axum::routing::get(console_export::disseminations),
        )
        .route(
            "/portal/responses",
            post(portal_responses::submit_form).layer(axum::extract::DefaultBodyLimit::max(
                portal_responses::body_limit(&state),
            )),
        )
        .leptos_routes_with_context(&state, routes, provide, move || app::shell(&assets))
        .nest_service(
            "/pkg",
            ServiceBuilder::new()
                .layer(from_fn_with_state(state.assets.clone(), pkg_caching))
                .service(
                    ServeDir::new(site_dir.join("pkg"))
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        .fallback(middleware::not_found)
        // Every route above (and the fallback) refuses cross-site writes; the SAML ACS,
        // merged after this layer, is the one route that must accept them.
        .layer(from_fn_with_state(
            state.clone(),
            middleware::same_origin_writes,
        ))
        .merge(federation::acs_router())
        .layer(sessions)
        .layer(from_fn_with_state(
            state.limits.clone(),
            crate::rate_limit::limit_unauthenticated,
        ))
        .with_state(state.clone());
    // Before any routing (a layer on a Router runs after it has picked the route): the
    // Host decides what this request may reach, and may send it to another path.
    let by_site = tower::Layer::layer(
        &from_fn_with_state(state.clone(), sites::route_by_site),
        app,
    );
    Router::new()
        .fallback_service(by_site)
        .layer(from_fn_with_state(
            middleware::TrustedProxies(std::sync::Arc::new(
                state.core.settings.trusted_proxies.clone(),
            )),
            middleware::resolve_client_ip,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(middleware::make_span)
                        .on_response(middleware::on_response),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                // Security headers, unless the handler set its own. Leptos pages set a
                // nonce-based CSP themselves; the default is the strictest possible. Share
                // links carry secrets in their path, so the referrer never leaves the site
                // (not `no-referrer`: with it browsers send `Origin: null`, defeating the
                // origin check). `/pkg` sets its own `Cache-Control`.
                .layer(if_absent(
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                ))
                .layer(if_absent(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(if_absent(header::X_FRAME_OPTIONS, "DENY"))
                .layer(if_absent(header::REFERRER_POLICY, "same-origin"))
                .layer(if_absent(
                    HeaderName::from_static("permissions-policy"),
                    "camera=(), microphone=(), geolocation=(), payment=()",
                ))
                .layer(if_absent(
                    HeaderName::from_static("cross-origin-opener-policy"),
                    "same-origin",
                ))
                .layer(if_absent(header::CACHE_CONTROL, "no-store")),
        )
}

/// A header every response gets unless its handler set its own.
fn if_absent(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Each app's routes, generated once per process. One list and one shell: Leptos registers
/// every server function with each list it is given, so the apps' routes are served
/// together and `app::shell` picks the app by path. Once: generating a list sets a
/// process-wide "load no resources" flag while it runs, which would leave a page rendering
/// meanwhile (another router of the same process, as in the tests) waiting forever.
pub fn app_routes() -> &'static [(app::Bundle, Vec<leptos_axum::AxumRouteListing>)] {
    static ROUTES: std::sync::OnceLock<[(app::Bundle, Vec<leptos_axum::AxumRouteListing>); 4]> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        [
            // "Trace a leak" is served by this router's own route (`trace_leak`), not the
            // one Leptos would register for the server function at the same path.
            (
                app::Bundle::Console,
                generate_route_list_with_exclusions(
                    app::ConsoleApp,
                    Some(vec![TRACE_LEAK_PATH.to_owned()]),
                ),
            ),
            (app::Bundle::Landing, generate_route_list(app::LandingApp)),
            (app::Bundle::Secret, generate_route_list(app::SecretApp)),
            (app::Bundle::Portal, generate_route_list(app::PortalApp)),
        ]
    })
}

/// How long browsers keep a front-end file: for good when its name carries its content's
/// hash (the manifest's files), five minutes for anything else under `/pkg`. Each may be
/// sent brotli- or gzip-compressed, so caches keep the encodings apart (`Vary`).
async fn pkg_caching(
    State(assets): State<Arc<SiteAssets>>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let immutable = assets.is_immutable(req.uri().path().trim_start_matches('/'));
    let mut resp = next.run(req).await;
    // A 304 carries them too: browsers update the stored copy's headers from it.
    if resp.status().is_success() || resp.status() == axum::http::StatusCode::NOT_MODIFIED {
        let value = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        };
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    resp
}

/// The console's "Trace a leak" server function (`#[server(endpoint = "trace_leak")]`).
const TRACE_LEAK_PATH: &str = "/api/trace_leak";

/// "Trace a leak" reads a picture of up to 27 MB: only for a signed-in staff member,
/// checked from the session before the body is read, never for a stranger (the server
/// function checks the role and the form's CSRF token as any console form).
async fn trace_leak(State(state): State<AppState>, req: Request<Body>) -> axum::response::Response {
    let (mut parts, body) = req.into_parts();
    let session = match tower_sessions::Session::from_request_parts(&mut parts, &state).await {
        Ok(s) => s,
        Err(rejection) => return rejection.into_response(),
    };
    match app::ssr::session_staff(&state.core, &session).await {
        Ok(Some(_)) => server_fn(State(state), Request::from_parts(parts, body))
            .await
            .into_response(),
        Ok(None) => crate::error::ApiError(backend::services::ServiceError::Unauthenticated(
            "Please sign in.",
        ))
        .into_response(),
        Err(e) => crate::error::ApiError(e).into_response(),
    }
}

async fn server_fn(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    let context = state.server_context();
    handle_server_fns_with_context(move || provide_context(context.clone()), req).await
}
