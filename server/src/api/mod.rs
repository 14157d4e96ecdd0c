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
pub mod packages;
pub mod partners;
pub mod policy;
mod portal_sections;
mod portals;
mod records;
pub mod secrets;
pub mod shares;
mod staff;
mod viewer;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
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
                .merge(comments::staff_router()),
        )
        .nest(
            "/api/portal",
            access::router(state)
                .merge(comments::portal_router())
                .merge(viewer::router()),
        )
        .merge(secrets::outside_router())
        .route("/.well-known/jwks.json", get(jwks))
        .route("/healthz", get(healthz))
}

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
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.core.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error.detail = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
