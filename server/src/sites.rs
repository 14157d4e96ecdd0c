//! Host routing: the one place where a request's Host decides what it may reach.
//!
//! `route_by_site` resolves the Host (`X-Forwarded-Host` only from a trusted proxy) with
//! `services::sites::resolve` and then:
//! - the installation's host (`LIAISON_PUBLIC_URL`) serves everything;
//! - a portal's verified custom domain serves only the guest's side — links, the portal
//!   page and API, guest server functions, that portal's brand assets, the front end's
//!   files — and a branded 404 for the rest, so it never serves the console, the admin
//!   API, staff sign-in or another portal's brand;
//! - any other host gets the default site: a redirect to the public URL (421 for writes),
//!   never a tenant's brand.
//!
//! The resolved [`Site`] travels as a request extension into every `RequestMeta`, where
//! the services bind sessions, links and shares to it.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use backend::actor::{PortalSite, Site};
use backend::services::sites;

use crate::error::{envelope, ApiError};
use crate::state::AppState;

/// Paths every host answers, whatever it is: the load balancer's health check and the TLS
/// proxy's `ask` (Caddy calls it on its own address, not a site's).
const ANY_HOST: [&str; 2] = ["/healthz", crate::brand::TLS_ASK_PATH];

/// The app's page a portal's domain answers with for every path that is not the guest's:
/// "Page not found" in the site's brand, with status 404.
const NOT_FOUND_PAGE: &str = app::NOT_FOUND_PATH;

pub async fn route_by_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if ANY_HOST.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let host = request_host(&req, &state.core.settings.trusted_proxies);
    let (site, mut resp) = match sites::resolve(&state.core, host.as_deref()).await {
        Ok(Some(site)) if host.as_deref().is_some_and(is_noncanonical) => {
            // `Name.Example.` is the same site, but the browser would take it for another
            // origin (its writes refused, its cookies apart): send it to the canonical one.
            let to = state.core.settings.origin_of(&site);
            (Some(site), redirect_to(&to, &req))
        }
        Ok(Some(site)) => (Some(site.clone()), serve(site, req, next).await),
        Ok(None) => (None, redirect_to(&state.core.settings.issuer(), &req)),
        Err(e) => (None, ApiError(e).into_response()),
    };
    // HSTS for the sites we serve, each as it may be pinned: the installation's host with
    // its subdomains (when its URL is https), a portal's domain alone (always https; its
    // subdomains are the customer's). A host that is no site of ours gets none.
    let hsts = match site {
        Some(Site::Installation) if state.secure_cookies => Some(crate::middleware::HSTS),
        Some(Site::Portal(_)) => Some("max-age=63072000"),
        _ => None,
    };
    if let Some(value) = hsts {
        resp.headers_mut()
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(value));
    }
    resp
}

/// Serves `req` as addressed to `site`: a portal's domain only what is the guest's.
async fn serve(site: Site, mut req: Request, next: Next) -> Response {
    if let Site::Portal(portal) = &site {
        match portal_route(portal, req.uri().path()) {
            PortalRoute::Serve => {}
            PortalRoute::Home => return Redirect::to("/portal").into_response(),
            PortalRoute::NotFoundApi => {
                return envelope(StatusCode::NOT_FOUND, "not_found", "No such endpoint.")
            }
            PortalRoute::NotFoundPage => {
                // Rendered by the app's "Page not found" in this site's brand (a static
                // page: it is not hydrated, so the browser's path cannot pull in another).
                *req.uri_mut() = Uri::from_static(NOT_FOUND_PAGE);
                *req.method_mut() = Method::GET;
            }
        }
    }
    req.extensions_mut().insert(site);
    next.run(req).await
}

/// A Host whose name is not in canonical form (upper case, a trailing dot).
fn is_noncanonical(host: &str) -> bool {
    let name = sites::split_host(host).map(|(n, _)| n);
    let written = host
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()));
    let written = written.map_or(host, |(n, _)| n);
    name.is_some_and(|n| n != written)
}

/// The Host the client asked for: `X-Forwarded-Host` (its last value, the one our proxy
/// wrote) when the peer is a trusted proxy; otherwise the `Host` header, or the request
/// target's authority (HTTP/2). A forwarded host from anyone else is ignored.
fn request_host(req: &Request, trusted: &[ipnet::IpNet]) -> Option<String> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| backend::domain::controls::canonical_ip(c.0.ip()));
    let headers = req.headers();
    if peer.is_some_and(|ip| trusted.iter().any(|n| n.contains(&ip))) {
        if let Some(forwarded) = last_value(headers, "x-forwarded-host") {
            return Some(forwarded);
        }
    }
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
}

fn last_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The same path under `base` (an origin or the public URL) for a browser's GET, 421
/// Misdirected Request for anything else.
fn redirect_to(base: &str, req: &Request) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        // Only an origin-form target is appended: anything else could turn `base` into
        // another authority (`https://liaison.example@evil.example`).
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| p.starts_with('/'))
            .unwrap_or("/");
        if let Ok(location) = HeaderValue::from_str(&format!("{base}{path}")) {
            let mut resp = StatusCode::PERMANENT_REDIRECT.into_response();
            resp.headers_mut().insert(header::LOCATION, location);
            return resp;
        }
    }
    envelope(
        StatusCode::MISDIRECTED_REQUEST,
        "unknown_host",
        "This address is not served here.",
    )
}

#[derive(Debug, PartialEq, Eq)]
enum PortalRoute {
    Serve,
    /// The domain's front page: the guest's portal.
    Home,
    NotFoundApi,
    NotFoundPage,
}

/// What a portal's domain does with `path`: it serves the guest's side only.
fn portal_route(portal: &PortalSite, path: &str) -> PortalRoute {
    const EXACT: [&str; 4] = [
        "/portal",
        "/portal/home",
        "/portal/responses",
        "/.well-known/jwks.json",
    ];
    const PREFIXES: [&str; 4] = ["/s/", "/api/portal/", "/api/guest/", "/pkg/"];
    if path == "/" {
        return PortalRoute::Home;
    }
    if EXACT.contains(&path) || PREFIXES.iter().any(|p| path.starts_with(p)) {
        return PortalRoute::Serve;
    }
    // Only this portal's own brand assets.
    if let Some(rest) = path.strip_prefix("/brand/") {
        if rest
            .split_once('/')
            .is_some_and(|(id, _)| id == portal.portal_id)
        {
            return PortalRoute::Serve;
        }
    }
    if path.starts_with("/api/") {
        PortalRoute::NotFoundApi
    } else {
        PortalRoute::NotFoundPage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().uri("/s/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(axum::body::Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo::<std::net::SocketAddr>(peer.parse().unwrap()));
        req
    }

    #[test]
    fn the_forwarded_host_is_believed_from_trusted_proxies_only() {
        let trusted: Vec<ipnet::IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let forged = [
            ("host", "liaison.example"),
            ("x-forwarded-host", "share.agency.example"),
        ];
        assert_eq!(
            request_host(&request("203.0.113.9:5000", &forged), &trusted).as_deref(),
            Some("liaison.example")
        );
        assert_eq!(
            request_host(&request("127.0.0.1:5000", &forged), &trusted).as_deref(),
            Some("share.agency.example")
        );
        // The value our proxy wrote is the last one; what the client sent before it is not.
        let appended = [
            ("host", "liaison.example"),
            ("x-forwarded-host", "evil.example, share.agency.example"),
        ];
        assert_eq!(
            request_host(&request("127.0.0.1:5000", &appended), &trusted).as_deref(),
            Some("share.agency.example")
        );
        assert_eq!(
            request_host(
                &request("127.0.0.1:5000", &[("host", "liaison.example")]),
                &trusted
            )
            .as_deref(),
            Some("liaison.example")
        );
    }

    #[test]
    fn a_portal_domain_serves_the_guest_side_only() {
        let p = PortalSite {
            org_id: "o".into(),
            portal_id: "p1".into(),
            domain: "share.agency.example".into(),
        };
        for path in [
            "/s/abc",
            "/portal",
            "/portal/responses",
            "/portal/home",
            "/api/portal/items",
            "/api/guest/open_share123",
            "/pkg/liaison.js",
            "/brand/p1/theme-1.css",
            "/.well-known/jwks.json",
        ] {
            assert_eq!(portal_route(&p, path), PortalRoute::Serve, "{path}");
        }
        assert_eq!(portal_route(&p, "/"), PortalRoute::Home);
        for path in [
            "/console",
            "/console/shares/new",
            "/login",
            "/auth/staff/x",
            "/auth/federation/share",
            "/brand/p2/theme-1.css",
            "/brand/p1x/theme-1.css",
            "/portalx",
            "/console/audit/export",
            // Spellings that a normalising router might read as a guest path.
            "/S/abc",
            "/Portal",
            "//console",
            "/%2Fs/abc",
            "/pkg",
            "/brand/p1",
            "/brand/p2/../p1/theme-1.css",
            "/portal/../console",
        ] {
            assert_eq!(portal_route(&p, path), PortalRoute::NotFoundPage, "{path}");
        }
        for path in [
            "/api/v1/shares",
            "/api/sign_in123",
            "/api/graphql",
            "/api/guestx/open_share1",
            "/api/portalx",
        ] {
            assert_eq!(portal_route(&p, path), PortalRoute::NotFoundApi, "{path}");
        }
    }
}
