//! `GET /api/v1/portals/{id}/analytics` and `GET /api/v1/shares/{id}/analytics`
//! (`?days=7|30|90`, default 30; `&format=csv` for CSV): per-day opens, unique guests,
//! downloads, responses and denials. The console's CSV downloads share [`respond`].

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::services::analytics::{self, Analytics, Window};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{invalid, ApiResult};
use crate::extract::{ApiQuery, ApiStaff};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(portal))
        .routes(routes!(share))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// The window in days, ending today: `7`, `30` (the default) or `90`.
    days: Option<String>,
    /// `json` (the default) or `csv` (a download).
    #[param(value_type = Option<AnalyticsFormat>, inline)]
    format: Option<String>,
}

/// How analytics are answered.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // A name for the document: `AnalyticsQuery::format` is read as text.
enum AnalyticsFormat {
    Json,
    Csv,
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

/// A portal's activity per day over the window: opens, unique guests, downloads,
/// responses and denials, with totals.
#[utoipa::path(get, path = "/portals/{id}/analytics", tag = "analytics",
    operation_id = "get_portal_analytics",
    params(("id" = String, Path, description = "The portal"), AnalyticsQuery),
    responses((status = 200, description = "The analytics, or with `format=csv` a CSV download (a row a day, then the totals)",
               content((Analytics = "application/json"), ("text/csv")))))]
async fn portal(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    let a = analytics::for_portal(&s.core, &who, &id, q.window()?).await?;
    Ok(respond(&a, q.csv()?, "portal"))
}

/// A share's activity per day over the window: opens, unique guests, downloads,
/// responses and denials, with totals.
#[utoipa::path(get, path = "/shares/{id}/analytics", tag = "analytics",
    operation_id = "get_share_analytics",
    params(("id" = String, Path, description = "The share"), AnalyticsQuery),
    responses((status = 200, description = "The analytics, or with `format=csv` a CSV download (a row a day, then the totals)",
               content((Analytics = "application/json"), ("text/csv")))))]
async fn share(
    State(s): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    let a = analytics::for_share(&s.core, &who, &id, q.window()?).await?;
    Ok(respond(&a, q.csv()?, "share"))
}
