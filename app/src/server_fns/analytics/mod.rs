//! The console's analytics: a portal's (its own page) and a share's (on the share page).

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::AnalyticsView;

#[cfg(feature = "ssr")]
fn view_of(a: backend::services::analytics::Analytics, csv_url: String) -> AnalyticsView {
    use crate::types::ActivityDayView;
    let t = a.totals;
    AnalyticsView {
        subject: a.subject,
        window_days: a.window_days,
        days: a
            .days
            .into_iter()
            .map(|d| ActivityDayView {
                date: d.date,
                opens: d.opens,
                unique_guests: d.unique_guests,
                downloads: d.downloads,
                responses: d.responses,
                denials: d.denials,
            })
            .collect(),
        totals: ActivityDayView {
            date: "Total".into(),
            opens: t.opens,
            unique_guests: t.unique_guests,
            downloads: t.downloads,
            responses: t.responses,
            denials: t.denials,
        },
        csv_url,
    }
}

/// A portal's analytics over `days` (7, 30 or 90).
#[server]
pub async fn load_portal_analytics(
    portal_id: String,
    days: String,
) -> Result<AnalyticsView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::services::analytics::{self, Window};
    let ctx = context()?;
    let staff = require_staff().await?;
    let window = Window::parse(&days).map_err(fail)?;
    let a = analytics::for_portal(&ctx.core, &staff, &portal_id, window)
        .await
        .map_err(fail)?;
    let url = format!(
        "/console/portals/{portal_id}/analytics.csv?days={}",
        window.days()
    );
    Ok(view_of(a, url))
}

/// A share's analytics over `days` (7, 30 or 90).
#[server]
pub async fn load_share_analytics(
    share_id: String,
    days: String,
) -> Result<AnalyticsView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::services::analytics::{self, Window};
    let ctx = context()?;
    let staff = require_staff().await?;
    let window = Window::parse(&days).map_err(fail)?;
    let a = analytics::for_share(&ctx.core, &staff, &share_id, window)
        .await
        .map_err(fail)?;
    let url = format!(
        "/console/share/{share_id}/analytics.csv?days={}",
        window.days()
    );
    Ok(view_of(a, url))
}
