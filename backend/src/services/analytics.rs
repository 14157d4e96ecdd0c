//! Portal and share analytics: opens, unique guests, downloads, responses and denials per
//! day over the last 7, 30 or 90 days, read from the per-day counts that are kept as audit
//! events are written (`audit::activity`) — at most one row per day, never a scan of the
//! log. A day with no activity is a day of zeros. "Unique guests" are distinct recipients
//! who opened: per day, and over the whole window (not the sum of the days).
//!
//! Who may look: a portal's analytics, staff who see every share (administrators and
//! auditors); a share's, whoever may see that share.

use serde::Serialize;

use super::{rfc3339, shares, Result, ServiceError};
use crate::actor::Staff;
use crate::audit::activity::day_of;
use crate::store;
use crate::Liaison;

/// How far back the analytics look, always ending today (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Window {
    Week,
    Month,
    Quarter,
}

impl Window {
    pub fn days(self) -> i64 {
        match self {
            Window::Week => 7,
            Window::Month => 30,
            Window::Quarter => 90,
        }
    }

    /// 7, 30 or 90 (days); anything else is refused on the `days` field.
    pub fn parse(days: &str) -> Result<Self> {
        match days.trim() {
            "7" => Ok(Window::Week),
            "30" => Ok(Window::Month),
            "90" => Ok(Window::Quarter),
            other => Err(ServiceError::invalid(
                "days",
                format!("choose 7, 30 or 90 days, not {other:?}"),
            )),
        }
    }
}

/// One day's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayCounts {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub opens: i64,
    pub unique_guests: i64,
    pub downloads: i64,
    pub responses: i64,
    pub denials: i64,
}

/// What the window adds up to; `unique_guests` counts each guest once over the window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AnalyticsTotals)]
pub struct Totals {
    pub opens: i64,
    pub unique_guests: i64,
    pub downloads: i64,
    pub responses: i64,
    pub denials: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Analytics {
    /// The portal's name, or the share's recipient and item.
    pub subject: String,
    pub window_days: i64,
    /// Every day of the window, oldest first.
    pub days: Vec<DayCounts>,
    pub totals: Totals,
    pub generated_at: String,
}

/// A portal's analytics.
#[tracing::instrument(skip_all)]
pub async fn for_portal(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    window: Window,
) -> Result<Analytics> {
    super::authorize(who, crate::domain::Action::ViewPortals)?;
    let portal = store::portals::get(core.db.pool(), &who.org_id, portal_id)
        .await?
        .ok_or(ServiceError::NotFound("portal"))?;
    read(core, &who.org_id, &portal.id, portal.name, window).await
}

/// A share's analytics (for whoever may see the share).
#[tracing::instrument(skip_all)]
pub async fn for_share(
    core: &Liaison,
    who: &Staff,
    share_id: &str,
    window: Window,
) -> Result<Analytics> {
    let share = shares::get(core, who, share_id).await?;
    let subject = format!("{} · {}", share.recipient.name, share.item.title);
    read(core, &who.org_id, &share.id, subject, window).await
}

async fn read(
    core: &Liaison,
    org_id: &str,
    scope_id: &str,
    subject: String,
    window: Window,
) -> Result<Analytics> {
    let now = core.now();
    let today = day_of(store::to_millis(now));
    let first = today - (window.days() - 1);
    let pool = core.db.pool();
    let rows = store::activity::days(pool, org_id, scope_id, first).await?;
    let unique = store::activity::guests_since(pool, scope_id, first).await?;
    let mut days = Vec::with_capacity(window.days() as usize);
    let mut totals = Totals {
        unique_guests: unique,
        ..Totals::default()
    };
    let mut rows = rows.into_iter().peekable();
    for day in first..=today {
        let mut counts = DayCounts {
            date: date_of(day),
            ..DayCounts::default()
        };
        // Rows are in day order; a day after today (a clock that moved back) is ignored.
        if let Some(r) = rows.next_if(|r| r.day == day) {
            counts.opens = r.opens;
            counts.unique_guests = r.unique_guests;
            counts.downloads = r.downloads;
            counts.responses = r.responses;
            counts.denials = r.denials;
        }
        totals.opens += counts.opens;
        totals.downloads += counts.downloads;
        totals.responses += counts.responses;
        totals.denials += counts.denials;
        days.push(counts);
    }
    Ok(Analytics {
        subject,
        window_days: window.days(),
        days,
        totals,
        generated_at: rfc3339(now),
    })
}

/// `YYYY-MM-DD` of a day since 1970-01-01.
fn date_of(day: i64) -> String {
    let date = time::Date::from_julian_day(2_440_588 + day as i32).unwrap_or(time::Date::MIN);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Forgets which guests opened on which day once nothing can read it any more: the
/// addresses behind a finished day's unique count (kept for the day before too, for events
/// written just past midnight), and guests not seen within the longest window. Run daily by
/// the housekeeping task.
pub async fn prune(core: &Liaison) -> Result<u64> {
    let today = day_of(core.now_ms());
    Ok(store::activity::prune(core.db.pool(), today - 1, today - Window::Quarter.days()).await?)
}

/// The analytics as CSV: a header, one line per day, and a totals line (whose unique
/// guests count each guest once over the window).
pub fn csv(a: &Analytics) -> String {
    let mut out = String::from("date,opens,unique_guests,downloads,responses,denials\r\n");
    for d in &a.days {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            d.date, d.opens, d.unique_guests, d.downloads, d.responses, d.denials
        ));
    }
    let t = &a.totals;
    out.push_str(&format!(
        "total,{},{},{},{},{}\r\n",
        t.opens, t.unique_guests, t.downloads, t.responses, t.denials
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_named_by_their_utc_date() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(20_793), "2026-12-06");
        assert!(Window::parse("31").is_err());
        assert_eq!(Window::parse("90").unwrap().days(), 90);
    }
}
