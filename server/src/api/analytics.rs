//! `GET /api/v1/portals/{id}/analytics` and `GET /api/v1/shares/{id}/analytics`
//! (`?days=7|30|90`, default 30; `&format=csv` for CSV): per-day opens, unique guests,
//! downloads, responses and denials. The console's CSV downloads share [`respond`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use backend::services::analytics::{self, Analytics, Window};
use serde::Deserialize;

use crate::error::{invalid, ApiResult};
use crate::extract::ApiStaff;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portals/{id}/analytics", get(portal))
        .route("/shares/{id}/analytics", get(share))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsQuery {
    days: Option<String>,
    format: Option<String>,
}

impl AnalyticsQuery {
    pub fn window(&self) -> ApiResult<Window> {
        Ok(Window::parse(self.days.as_deref().unwrap_or("30"))?)
    }

    fn csv(&self) -> ApiResult<bool> {
        match self.format.as_deref() {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(_) => Err(invalid("format", "format must be json or csv")),
        }
    }
}

/// JSON, or CSV as a download named after `name` and the window.
pub fn respond(a: &Analytics, csv: bool, name: &str) -> Response {
    if !csv {
        return Json(a).into_response();
    }
    let file = format!("{name}-analytics-{}d.csv", a.window_days);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        analytics::csv(a),
    )
        .into_response()
}

async fn portal(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    query: Result<Query<AnalyticsQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    let a = analytics::for_portal(&s.core, &who, &id, q.window()?).await?;
    Ok(respond(&a, q.csv()?, "portal"))
}

async fn share(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    query: Result<Query<AnalyticsQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(|e| invalid("query", e.body_text()))?;
    let a = analytics::for_share(&s.core, &who, &id, q.window()?).await?;
    Ok(respond(&a, q.csv()?, "share"))
}
