//! Liaison's UI in Leptos: the admin console, the guest portal, and the server functions
//! behind them. Compiled twice: with `ssr` into the server, with `hydrate` into wasm. Only
//! the `ssr` build reaches `backend` (and through it sqlx, crypto and the stores).
// Leptos view types of the console forms nest deeply (as in `frontend`).
#![recursion_limit = "256"]
#![forbid(unsafe_code)]

#[cfg(feature = "ssr")]
pub mod assets;
pub mod components;
pub mod error;
#[cfg(feature = "ssr")]
pub mod flash;
pub mod live;
#[cfg(feature = "hydrate")]
pub mod picked_file;
pub mod routes;
pub mod secret_client;
pub mod server_fns;
pub mod types;

#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use routes::auth::{LoginPage, SetPasswordPage};
use routes::console::{
    ApiKeysPage, AuditPage, ConsoleLayout, DocumentPage, DocumentsPage, ImportRecordsPage,
    IntelligencePage, NewRecordPage, NewSharePage, OutboxPage, PartnersPage, PortalAnalyticsPage,
    PortalSectionsPage, PortalsPage, ProjectsPage, RecordPage, RecordsPage, RenewalsPage,
    ReviewPage, ReviewsPage, SecretsPage, SettingsPage, ShareDetailPage, SharesPage, TermsPage,
    TraceLeakPage, UsersPage,
};
use routes::portal::{HomePage, LandingPage, PortalPage, SecretPage};

#[cfg(feature = "ssr")]
use assets::SiteAssets;

/// The page a portal's domain answers every path that is not the guest's with (a static,
/// branded 404). The route below spells it out too (`path!` takes a literal).
pub const NOT_FOUND_PATH: &str = "/not-found";

/// Where a staff member's one-time set-password link leads: `/password/{token}` (the
/// token is redacted from logs and the path is rate-limited as a sign-in).
pub const PASSWORD_LINK_PREFIX: &str = "/password/";

/// Where a secret's link leads: `/secret/{token}`, its key (if any) in the fragment. The
/// token is redacted from logs and the path is rate-limited as a guest's.
pub const SECRET_LINK_PREFIX: &str = "/secret/";

/// Where a secret's page posts its reveal (unauthenticated, rate-limited; the body holds
/// the token and the proof, never the key).
pub const SECRET_OPEN_PATH: &str = "/api/secret/open";

/// Where the console's secret form posts its ciphertext (JSON with the CSRF token).
pub const CONSOLE_SECRETS_PATH: &str = "/console/secrets";

/// The four apps, each hydrated by a wasm bundle of its own, so that a browser downloads
/// only the code of the pages it is shown: a guest opening a link gets the landing page's
/// (the smallest), a secret's recipient the secret page's (with its cryptography), and
/// neither ever the console's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// [`ConsoleApp`]: sign-in and `/console/…`.
    Console,
    /// [`LandingApp`]: a link's landing page, `/s/{token}`.
    Landing,
    /// [`SecretApp`]: a secret's page, `/secret/{token}`, which decrypts in the browser.
    Secret,
    /// [`PortalApp`]: the shared content and the guest's home.
    Portal,
}

impl Bundle {
    /// The app (and bundle) of the page at `path`. Invariant, tested against the three
    /// route lists: it agrees with the routes each app declares. Moving between apps is a
    /// full page load (the guest bundles' server-function redirects are, see `frontend`).
    pub fn for_path(path: &str) -> Self {
        if path.starts_with("/s/") {
            Self::Landing
        } else if path.starts_with(SECRET_LINK_PREFIX) {
            Self::Secret
        } else if matches!(
            path.trim_end_matches('/'),
            "/portal" | "/portal/home" | NOT_FOUND_PATH
        ) {
            Self::Portal
        } else {
            Self::Console
        }
    }
}

/// The HTML document around the page at the request's path, naming its app's bundle.
/// "Page not found" is static: a portal's domain answers every path that is not the
/// guest's with it, and hydrating it would let the browser's own path (say /console) draw
/// another page.
#[cfg(feature = "ssr")]
pub fn shell(assets: &SiteAssets) -> AnyView {
    let parts = use_context::<axum::http::request::Parts>();
    let path = parts
        .as_ref()
        .map(|p| p.uri.path().to_owned())
        .unwrap_or_default();
    if let Some(parts) = &parts {
        provide_context(components::ViewerZone::from_headers(&parts.headers));
    }
    let bundle = Bundle::for_path(&path);
    let head = document_head(assets, (path != NOT_FOUND_PATH).then_some(bundle));
    let body = match bundle {
        Bundle::Console => view! { <ConsoleApp/> }.into_any(),
        Bundle::Landing => view! { <LandingApp/> }.into_any(),
        Bundle::Secret => view! { <SecretApp/> }.into_any(),
        Bundle::Portal => view! { <PortalApp/> }.into_any(),
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            {head}
            <body>{body}</body>
        </html>
    }
    .into_any()
}

/// The `<head>` both shells share: the stylesheet, and, when the page hydrates, the
/// scripts of its bundle. It also sets the page's Content Security Policy, allowing only
/// scripts carrying this response's nonce.
#[cfg(feature = "ssr")]
fn document_head(assets: &SiteAssets, bundle: Option<Bundle>) -> impl IntoView {
    use leptos_meta::MetaTags;
    set_content_security_policy();
    let scripts = bundle.map(|b| hydration_scripts(assets.bundle(b)));
    view! {
        <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <meta name="referrer" content="same-origin"/>
            <link rel="icon" type="image/svg+xml" href="/pkg/favicon.svg"/>
            <link rel="stylesheet" id="leptos" href=assets.css_href()/>
            {scripts}
            <MetaTags/>
        </head>
    }
}

/// Preloads a bundle's glue and module and hydrates the page once both are in. The script
/// carries the response's nonce (the CSP allows no other) and holds no `<` or `&`.
#[cfg(feature = "ssr")]
fn hydration_scripts(files: &assets::BundleFiles) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let js = format!("/pkg/{}", files.js);
    let wasm = format!("/pkg/{}", files.wasm);
    let script = format!(
        "import('{js}').then(function (m) {{ m.default({{ module_or_path: '{wasm}' }}).then(function () {{ m.hydrate(); }}); }});"
    );
    view! {
        <link rel="modulepreload" href=js/>
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
        <script type="module" nonce=nonce>{script}</script>
    }
}

#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use axum::http::{header, HeaderValue};
    leptos::nonce::provide_nonce();
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let csp = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self'; frame-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let (Some(resp), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&csp),
    ) {
        resp.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The staff's side: sign-in and the console. Hydrated by the console's bundle.
#[component]
pub fn ConsoleApp() -> impl IntoView {
    provide_meta_context();
    Effect::new(|_| components::remember_time_zone());
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=|| view! { <components::RedirectTo path="/console"/> } ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/password/:token") view=SetPasswordPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/console") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=SharesPage ssr=SsrMode::Async/>
                    <Route path=path!("shares/new") view=NewSharePage ssr=SsrMode::Async/>
                    <Route path=path!("documents") view=DocumentsPage ssr=SsrMode::Async/>
                    <Route path=path!("documents/:id") view=DocumentPage ssr=SsrMode::Async/>
                    <Route path=path!("records") view=RecordsPage ssr=SsrMode::Async/>
                    <Route path=path!("records/new") view=NewRecordPage ssr=SsrMode::Async/>
                    <Route path=path!("records/import") view=ImportRecordsPage ssr=SsrMode::Async/>
                    <Route path=path!("intelligence") view=IntelligencePage ssr=SsrMode::Async/>
                    <Route path=path!("secrets") view=SecretsPage ssr=SsrMode::Async/>
                    <Route path=path!("records/:id") view=RecordPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("audit/trace") view=TraceLeakPage ssr=SsrMode::Async/>
                    <Route path=path!("outbox") view=OutboxPage ssr=SsrMode::Async/>
                    <Route path=path!("partners") view=PartnersPage ssr=SsrMode::Async/>
                    <Route path=path!("portals") view=PortalsPage ssr=SsrMode::Async/>
                    <Route path=path!("portals/:id/sections") view=PortalSectionsPage ssr=SsrMode::Async/>
                    <Route path=path!("portals/:id/analytics") view=PortalAnalyticsPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("projects") view=ProjectsPage ssr=SsrMode::Async/>
                    <Route path=path!("renewals") view=RenewalsPage ssr=SsrMode::Async/>
                    <Route path=path!("reviews") view=ReviewsPage ssr=SsrMode::Async/>
                    <Route path=path!("reviews/:id") view=ReviewPage ssr=SsrMode::Async/>
                    <Route path=path!("terms") view=TermsPage ssr=SsrMode::Async/>
                    <Route path=path!("users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("keys") view=ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("share/:id") view=ShareDetailPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// A link's landing page. Hydrated by the landing bundle: all a guest's browser loads
/// before they have proved anything.
#[component]
pub fn LandingApp() -> impl IntoView {
    provide_meta_context();
    Effect::new(|_| components::remember_time_zone());
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/s/:token") view=LandingPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// A secret's page: what was sent, and the reveal that decrypts it in the browser.
/// Hydrated by a bundle of its own, which holds the WebCrypto calls and nothing else.
#[component]
pub fn SecretApp() -> impl IntoView {
    provide_meta_context();
    Effect::new(|_| components::remember_time_zone());
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/secret/:token") view=SecretPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// The guest's side past the landing page: the shared content and the guest's home.
/// Hydrated by the portal bundle, which holds none of the console.
#[component]
pub fn PortalApp() -> impl IntoView {
    provide_meta_context();
    Effect::new(|_| components::remember_time_zone());
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/portal") view=PortalPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/home") view=HomePage ssr=SsrMode::Async/>
                // What a portal's domain shows for every path that is not the guest's.
                <Route path=path!("/not-found") view=NotFound ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// Any path no route has, in the brand of the site it was asked on (a portal's domain
/// answers everything that is not the guest's side with this page).
#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let brand = Resource::new(|| (), |()| server_fns::portal::site_brand());
    let page = || view! { <main class="guest-card"><h1 data-testid="not-found">"Page not found"</h1></main> };
    view! {
        <Suspense fallback=page>
            {move || Suspend::new(async move {
                match brand.await {
                    Ok(brand) => view! {
                        <components::GuestFrame brand title="Page not found">{page()}</components::GuestFrame>
                    }.into_any(),
                    Err(_) => page().into_any(),
                }
            })}
        </Suspense>
    }
}

/// The message of a server function's refusal.
pub fn error_text(e: &error::AppError) -> String {
    e.message.clone()
}
