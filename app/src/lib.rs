//! Liaison's UI in Leptos: the admin console, the guest portal, and the server functions
//! behind them. Compiled twice: with `ssr` into the server, with `hydrate` into wasm. Only
//! the `ssr` build reaches `backend` (and through it sqlx, crypto and the stores).
#![forbid(unsafe_code)]

pub mod components;
pub mod error;
pub mod routes;
pub mod server_fns;
pub mod types;

#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use routes::auth::LoginPage;
use routes::console::{
    AuditPage, ConsoleLayout, DocumentsPage, NewSharePage, OutboxPage, PartnersPage,
    PortalAnalyticsPage, PortalSectionsPage, PortalsPage, SettingsPage, ShareDetailPage,
    SharesPage,
};
use routes::portal::{HomePage, LandingPage, PortalPage};

/// The HTML document around the app. On the server it also sets the page's Content
/// Security Policy, allowing only scripts carrying this response's nonce.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    // "Page not found" is static: a portal's domain answers every path that is not the
    // guest's with it, and hydrating it would let the browser's own path (say /console)
    // draw another page.
    #[cfg(feature = "ssr")]
    let hydrate =
        use_context::<axum::http::request::Parts>().is_none_or(|p| p.uri.path() != "/not-found");
    #[cfg(not(feature = "ssr"))]
    let hydrate = true;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="referrer" content="same-origin"/>
                <link rel="icon" type="image/svg+xml" href="/pkg/favicon.svg"/>
                {hydrate.then(|| view! { <HydrationScripts options/> })}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/liaison.css"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=|| view! { <components::RedirectTo path="/console"/> } ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/console") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=SharesPage ssr=SsrMode::Async/>
                    <Route path=path!("shares/new") view=NewSharePage ssr=SsrMode::Async/>
                    <Route path=path!("documents") view=DocumentsPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("outbox") view=OutboxPage ssr=SsrMode::Async/>
                    <Route path=path!("partners") view=PartnersPage ssr=SsrMode::Async/>
                    <Route path=path!("portals") view=PortalsPage ssr=SsrMode::Async/>
                    <Route path=path!("portals/:id/sections") view=PortalSectionsPage ssr=SsrMode::Async/>
                    <Route path=path!("portals/:id/analytics") view=PortalAnalyticsPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("share/:id") view=ShareDetailPage ssr=SsrMode::Async/>
                </ParentRoute>
                <Route path=path!("/s/:token") view=LandingPage ssr=SsrMode::Async/>
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
