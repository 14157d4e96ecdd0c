//! JSON APIs: admin REST (`/api/v1`, one module per resource, authenticated with admin API
//! keys: Bearer `lsn_…`), portal (`/api/portal`), JWKS and health.

pub mod access;
pub mod analytics;
pub mod audit;
mod comments;
pub mod documents;
pub mod intelligence;
pub mod keys;
mod leaks;
pub mod multipart;
pub mod openapi;
pub mod packages;
pub mod partners;
pub mod policy;
mod portal_sections;
mod portals;
mod records;
mod reference;
pub mod secrets;
pub mod shares;
mod staff;
mod viewer;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};

use utoipa::Modify as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The API routes, each registered with its description: the router, and the document
/// (also served at `/api/v1/openapi.json`).
pub fn router(state: &AppState) -> Router<AppState> {
    let (router, document) = documented(state);
    let published = Published::of(&document, &state.assets.css_href());
    router.layer(axum::Extension(std::sync::Arc::new(published)))
}

/// The document as served: its JSON, and the reference page rendered from it, both made
/// once when the router is built.
struct Published {
    json: bytes::Bytes,
    html: bytes::Bytes,
}

impl Published {
    fn of(document: &utoipa::openapi::OpenApi, css_href: &str) -> Self {
        let value = openapi::to_json(document);
        Published {
            json: bytes::Bytes::from(value.to_string()),
            html: bytes::Bytes::from(reference::page(&value, css_href)),
        }
    }
}

/// The routes and the OpenAPI document describing them, built together.
fn documented(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi as _;
    let (router, mut document) = OpenApiRouter::with_openapi(Document::openapi())
        .nest(
            "/api/v1",
            documents::router(state)
                .merge(shares::router())
                .merge(policy::router())
                .merge(audit::router())
                .merge(partners::router())
                .merge(portals::router())
                .merge(portal_sections::router())
                .merge(analytics::router())
                .merge(packages::router())
                .merge(records::router())
                .merge(intelligence::router())
                .merge(leaks::router())
                .merge(secrets::router())
                .merge(keys::router())
                .merge(staff::router())
                .merge(comments::staff_router())
                .routes(routes!(openapi_json))
                .routes(routes!(reference_page)),
        )
        .nest(
            "/api/portal",
            access::router(state)
                .merge(comments::portal_router())
                .merge(viewer::router()),
        )
        .routes(routes!(jwks))
        .routes(routes!(healthz))
        .split_for_parts();
    openapi::Conventions.modify(&mut document);
    let router = router.merge(secrets::outside_router());
    (router, document)
}

/// The document's fixed parts; the paths come from the routes.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Liaison API",
        description = "The admin API (`/api/v1`, with an API key) and the portal API \
                       (`/api/portal`, with a guest's portal session). Every refusal is the \
                       error envelope `{\"error\": {\"code\", \"message\", \"field\"}}`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    components(schemas(openapi::ErrorEnvelope)),
    tags(
        (name = "shares", description = "Shares: who may see what, until when and how; revoked at once."),
        (name = "documents", description = "Documents and their revisions, streamed into storage."),
        (name = "packages", description = "Named sets of documents, shared together."),
        (name = "records", description = "Data records with their history, links and documents; fields withheld by rule."),
        (name = "portals", description = "Branded portals: members, domains, branding."),
        (name = "portal_sections", description = "How a portal's home groups its items."),
        (name = "partners", description = "Partner organisations and the identity providers their staff sign in with."),
        (name = "comments", description = "Comment threads on documents, staff side."),
        (name = "policy", description = "The organisation's sharing policy, projects' overrides and legal terms."),
        (name = "audit", description = "The hash-chained audit log, its exports and its check; the mail outbox."),
        (name = "analytics", description = "Opens, guests, downloads and responses per day."),
        (name = "intelligence", description = "Criminal intelligence under 28 CFR Part 23: flags, reviews, disseminations."),
        (name = "leaks", description = "Finding whose view a leaked picture of a page came from."),
        (name = "secrets", description = "End-to-end encrypted secrets: the server never sees the key."),
        (name = "staff", description = "Staff accounts and their roles."),
        (name = "keys", description = "API keys, and the keys that sign portal sessions."),
        (name = "portal", description = "The portal API: a guest's session and what their share lets them see and do."),
        (name = "meta", description = "This document, the signing keys' JWKS and health."),
    )
)]
struct Document;

/// This document: the OpenAPI 3.1 description of every `/api/v1` and `/api/portal` route.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json(
    axum::Extension(published): axum::Extension<std::sync::Arc<Published>>,
) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        published.json.clone(),
    )
}

/// The API reference: this document as one HTML page (no script, nothing from elsewhere).
#[utoipa::path(get, path = "/reference", tag = "meta", security(()),
    responses((status = 200, description = "The reference page", content_type = "text/html")))]
async fn reference_page(
    axum::Extension(published): axum::Extension<std::sync::Arc<Published>>,
) -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
                 form-action 'none'",
            ),
        ],
        published.html.clone(),
    )
}

/// The public keys that sign portal sessions and record exports (JWKS, RFC 7517).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "meta", security(()),
    responses((status = 200, description = "The signing keys in use and about to be",
               content_type = "application/json")))]
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CACHE_CONTROL,
            format!(
                "public, max-age={}",
                backend::services::signing_keys::JWKS_MAX_AGE_SECS
            ),
        )],
        Json(state.core.keys.jwks()),
    )
}

/// 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "meta", security(()),
    responses((status = 200, description = "`ok`", content_type = "text/plain"),
              (status = 503, description = "`database unavailable`", content_type = "text/plain")))]
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.core.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error.detail = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
