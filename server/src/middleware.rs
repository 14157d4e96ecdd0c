//! Cross-cutting HTTP layers: request ids and tracing spans (with secrets redacted from
//! paths), security headers, and the cross-origin check for state-changing requests.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Span;

use crate::state::AppState;

/// The path as it may appear in logs: the secret in `/s/{token}`, `/secret/{token}` and
/// `/password/{token}` is replaced, and query strings (which may carry cursors or tokens)
/// are never logged.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/s/", app::SECRET_LINK_PREFIX, app::PASSWORD_LINK_PREFIX] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return match rest.split_once('/') {
                Some((_, tail)) => format!("{prefix}[token]/{tail}"),
                None => format!("{prefix}[token]"),
            };
        }
    }
    path.to_owned()
}

/// Span for one request; every log line inside carries `request.id`.
pub fn make_span(req: &Request<Body>) -> Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    tracing::info_span!(
        "request",
        request.id = %id,
        http.method = %req.method(),
        http.path = %loggable_path(req.uri().path()),
        http.status = tracing::field::Empty,
    )
}

pub fn on_response(resp: &Response, latency: std::time::Duration, span: &Span) {
    span.record("http.status", resp.status().as_u16());
    tracing::info!(
        latency_ms = latency.as_millis() as u64,
        status = resp.status().as_u16(),
        "response"
    );
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
}

/// CSRF defence in depth (the console forms also carry a session-bound token): a
/// state-changing request that could ride on cookies must come from the origin of the
/// site it is addressed to, as the browser states in `Origin` (or `Sec-Fetch-Site`): the
/// public URL's on the installation's host, `https://<domain>` on a portal's domain — so
/// one portal's domain cannot post into another's, nor into the console.
/// Bearer-authenticated API calls carry no ambient credential and are exempt.
pub async fn same_origin_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if is_unsafe(req.method()) && !has_bearer(req.headers()) {
        let h = req.headers();
        // No site: the request did not pass host routing, and no write is taken from it.
        let Some(site) = req.extensions().get::<backend::actor::Site>() else {
            return crate::error::envelope(
                StatusCode::MISDIRECTED_REQUEST,
                "unknown_host",
                "This address is not served here.",
            );
        };
        let allowed = state.core.settings.origin_of(site);
        let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let fetch_site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let ok = match origin {
            Some(o) => o == allowed,
            // No Origin: accept only what the browser itself marks same-origin; non-browser
            // clients without cookies are unaffected because they have nothing to forge.
            None => {
                fetch_site.is_none_or(|s| s == "same-origin" || s == "none")
                    && !h.contains_key(header::COOKIE)
            }
        };
        if !ok || fetch_site == Some("cross-site") {
            tracing::warn!(
                origin = origin.unwrap_or("-"),
                "cross-origin state-changing request refused"
            );
            return crate::error::envelope(
                StatusCode::FORBIDDEN,
                "cross_origin_request",
                "This request came from another site and was refused.",
            );
        }
    }
    next.run(req).await
}

/// `Strict-Transport-Security` for deployments whose public URL is https: two years,
/// subdomains included (the header is sent from the portal's own host only).
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// 404 for unknown routes, as a JSON envelope under /api and plain text elsewhere.
pub async fn not_found(req: Request) -> impl IntoResponse {
    if req.uri().path().starts_with("/api/") {
        crate::error::envelope(StatusCode::NOT_FOUND, "not_found", "No such endpoint.")
    } else {
        (StatusCode::NOT_FOUND, "Not found").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_tokens_never_reach_logs() {
        let token = "A".repeat(65);
        assert_eq!(loggable_path(&format!("/s/{token}")), "/s/[token]");
        assert_eq!(
            loggable_path(&format!("/password/{token}")),
            "/password/[token]"
        );
        assert_eq!(
            loggable_path(&format!("/s/{token}/open")),
            "/s/[token]/open"
        );
        assert_eq!(loggable_path("/api/v1/shares"), "/api/v1/shares");
    }
}

/// The proxies whose `X-Forwarded-For` is believed (see [`resolve_client_ip`]).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub std::sync::Arc<Vec<ipnet::IpNet>>);

/// Resolves the client address once per request ([`backend::actor::client_ip`]) and
/// stores it as a [`backend::actor::ClientIp`] extension for audit and network rules.
pub async fn resolve_client_ip(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let ip = backend::actor::client_ip(peer, forwarded, &trusted.0);
        req.extensions_mut().insert(backend::actor::ClientIp(ip));
    }
    next.run(req).await
}
