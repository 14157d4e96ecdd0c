//! Downloads for a signed-in console user, each the same service as its REST twin:
//! `GET /console/audit/export?format=csv|jsonl&…` (`GET /api/v1/audit/export`), the
//! analytics CSVs `GET /console/portals/{id}/analytics.csv?days=` and
//! `GET /console/share/{id}/analytics.csv?days=`, and a response's attachment
//! `GET /console/share/{id}/attachments/{attachment_id}`
//! (`GET /api/v1/shares/{id}/attachments/{attachment_id}`), and an access review's
//! outcome `GET /console/reviews/{id}/report?format=csv|jsonl`, and the 28 CFR Part 23
//! dissemination record `GET /console/intelligence/disseminations?format=csv&from=&to=`
//! (`GET /api/v1/intelligence/disseminations`). Read-only but for their audit
//! events; the session cookie is SameSite=Strict, so another site cannot trigger them with
//! the cookie.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use crate::api::analytics::{respond, AnalyticsQuery};
use crate::api::audit::{export_response, AuditQuery};
use crate::error::{invalid, ApiError};
use crate::extract::{ConsoleStaff, Meta};
use crate::state::AppState;

pub async fn export(
    State(state): State<AppState>,
    ConsoleStaff { staff, .. }: ConsoleStaff,
    Meta(meta): Meta,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let result: Result<Response, ApiError> = async {
        let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
        export_response(&state, &staff, q, &meta).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Which analytics a console CSV is of.
#[derive(Clone, Copy)]
enum Of {
    Portal,
    Share,
}

async fn analytics_csv(
    state: AppState,
    staff: backend::actor::Staff,
    of: Of,
    id: String,
    query: Result<Query<AnalyticsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    use backend::services::analytics;
    let result: Result<Response, ApiError> = async {
        let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
        let window = q.window()?;
        let (a, name) = match of {
            Of::Portal => (
                analytics::for_portal(&state.core, &staff, &id, window).await?,
                "portal",
            ),
            Of::Share => (
                analytics::for_share(&state.core, &staff, &id, window).await?,
                "share",
            ),
        };
        Ok(respond(&a, true, name))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

pub async fn portal_analytics(
    State(state): State<AppState>,
    ConsoleStaff { staff, .. }: ConsoleStaff,
    Path(id): Path<String>,
    query: Result<Query<AnalyticsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    analytics_csv(state, staff, Of::Portal, id, query).await
}

pub async fn share_analytics(
    State(state): State<AppState>,
    ConsoleStaff { staff, .. }: ConsoleStaff,
    Path(id): Path<String>,
    query: Result<Query<AnalyticsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    analytics_csv(state, staff, Of::Share, id, query).await
}

pub async fn attachment(
    State(state): State<AppState>,
    ConsoleStaff { staff, .. }: ConsoleStaff,
    Meta(meta): Meta,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Response {
    match backend::services::responses::attachment(&state.core, &staff, &id, &attachment_id, &meta)
        .await
    {
        Ok((a, bytes)) => crate::downloads::attachment(bytes, &a.content_type, &a.file_name),
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
}

/// An access review's outcome report (administrators and auditors).
pub async fn review_report(
    State(state): State<AppState>,
    ConsoleStaff { staff, .. }: ConsoleStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    use backend::services::reviews::{report, ReportFormat};
    let result: Result<Response, ApiError> = async {
        let format = ReportFormat::parse(q.format.as_deref().unwrap_or("csv"))
            .ok_or_else(|| invalid("format", "csv or jsonl"))?;
        let (bytes, name) = report(&state.core, &staff, &id, format, &meta).await?;
        Ok(crate::downloads::attachment(
            bytes.into(),
            format.content_type(),
            &name,
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

pub async fn disseminations(
    State(state): State<AppState>,
    ConsoleStaff { staff, .. }: ConsoleStaff,
    Meta(meta): Meta,
    query: Result<
        Query<crate::api::intelligence::DisseminationQuery>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Response {
    let result: Result<Response, ApiError> = async {
        let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
        crate::api::intelligence::dissemination_response(&state, &staff, &meta, q).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
