//! Activity over time: the window's totals, an SVG line chart of the five daily series
//! (drawn by this component, on the server and in the browser alike, with presentation
//! attributes only — the CSP allows no inline style), the same numbers as a table for
//! screen readers and anyone who wants them, and the CSV download. Series differ by
//! colour *and* dash pattern, so no one needs colour to tell them apart.

use leptos::prelude::*;

use crate::types::{ActivityDayView, AnalyticsView};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// (label, colour ≥ 3:1 on white, dash pattern, value).
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&ActivityDayView) -> i64,
);

const SERIES: [Series; 5] = [
    ("Opens", "#1d4ed8", "", |d| d.opens),
    ("Unique guests", "#067647", "6 3", |d| d.unique_guests),
    ("Downloads", "#7a2e9c", "2 3", |d| d.downloads),
    ("Responses", "#b54708", "10 3 2 3", |d| d.responses),
    ("Denials", "#b42318", "1 2", |d| d.denials),
];

/// The smallest of 1, 2, 4 × 10ⁿ at or above `max` and at least 4, so that the grid line
/// halfway up is a whole number too.
fn scale_top(max: i64) -> i64 {
    let max = max.max(4);
    let mut step = 1;
    loop {
        for m in [1, 2, 4] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn x_of(i: usize, n: usize) -> f64 {
    let span = WIDTH - LEFT - RIGHT;
    if n <= 1 {
        LEFT + span / 2.0
    } else {
        LEFT + span * i as f64 / (n - 1) as f64
    }
}

fn y_of(v: i64, top: i64) -> f64 {
    let span = HEIGHT - TOP - BOTTOM;
    TOP + span - span * v as f64 / top as f64
}

/// `days=7|30|90` links, the current one marked.
#[component]
fn WindowLinks(window_days: i64) -> impl IntoView {
    view! {
        <nav class="window-links" aria-label="Period">
            {[7_i64, 30, 90].into_iter().map(|d| {
                let current = (d == window_days).then_some("page");
                view! { <a href=format!("?days={d}") aria-current=current data-testid=format!("window-{d}")>{format!("{d} days")}</a> }
            }).collect_view()}
        </nav>
    }
}

#[component]
pub fn ActivityChart(analytics: AnalyticsView) -> impl IntoView {
    let AnalyticsView {
        subject,
        window_days,
        days,
        totals,
        csv_url,
    } = analytics;
    let n = days.len();
    let top = scale_top(
        days.iter()
            .flat_map(|d| SERIES.iter().map(move |s| (s.3)(d)))
            .max()
            .unwrap_or(0),
    );
    let title_id = "activity-title";
    let desc_id = "activity-desc";
    let summary = format!(
        "{} opens by {} unique guests, {} downloads, {} responses and {} denials in the last {window_days} days.",
        totals.opens, totals.unique_guests, totals.downloads, totals.responses, totals.denials
    );
    let grid = [0, top / 2, top]
        .into_iter()
        .map(|v| {
            let y = y_of(v, top);
            view! {
                <g>
                    <line x1=LEFT x2=WIDTH - RIGHT y1=y y2=y stroke="#dde3ea" stroke-width="1"/>
                    <text x=LEFT - 6.0 y=y + 4.0 text-anchor="end" font-size="11" fill="#5d6b7e">{v.to_string()}</text>
                </g>
            }
        })
        .collect_view()
        .into_any();
    let labels = [0, n / 2, n.saturating_sub(1)]
        .into_iter()
        .filter(|&i| i < n)
        .map(|i| {
            let anchor = if i == 0 { "start" } else if i + 1 == n { "end" } else { "middle" };
            view! { <text x=x_of(i, n) y=HEIGHT - 8.0 text-anchor=anchor font-size="11" fill="#5d6b7e">{days[i].date.clone()}</text> }
        })
        .collect_view()
        .into_any();
    let lines = SERIES
        .iter()
        .map(|&(label, colour, dash, value)| {
            let points = days
                .iter()
                .enumerate()
                .map(|(i, d)| format!("{:.1},{:.1}", x_of(i, n), y_of(value(d), top)))
                .collect::<Vec<_>>()
                .join(" ");
            view! {
                <polyline points=points fill="none" stroke=colour stroke-width="2" stroke-dasharray=dash stroke-linejoin="round" data-series=label/>
            }
        })
        .collect_view()
        .into_any();
    let legend = SERIES
        .iter()
        .map(|&(label, colour, dash, value)| {
            view! {
                <li>
                    <svg width="28" height="10" aria-hidden="true" focusable="false">
                        <line x1="0" x2="28" y1="5" y2="5" stroke=colour stroke-width="2" stroke-dasharray=dash/>
                    </svg>
                    {label}": "<strong>{value(&totals)}</strong>
                </li>
            }
        })
        .collect_view()
        .into_any();
    let rows = days
        .iter()
        .rev()
        .map(|d| {
            view! {
                <tr>
                    <th scope="row">{d.date.clone()}</th>
                    <td class="num">{d.opens}</td>
                    <td class="num">{d.unique_guests}</td>
                    <td class="num">{d.downloads}</td>
                    <td class="num">{d.responses}</td>
                    <td class="num">{d.denials}</td>
                </tr>
            }
        })
        .collect_view()
        .into_any();
    let chart = view! {
        <figure class="chart" tabindex="0" aria-label="Chart; scrolls sideways on narrow screens">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby=format!("{title_id} {desc_id}") data-testid="activity-chart">
                <title id=title_id>{format!("Activity of {subject}, last {window_days} days")}</title>
                <desc id=desc_id>{summary}</desc>
                {grid}
                {labels}
                {lines}
            </svg>
        </figure>
    }
    .into_any();
    let table = view! {
        <details>
            <summary>"The numbers, day by day"</summary>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Activity per day">
                <table class="activity-table" data-testid="activity-table">
                    <caption class="sr-only">{format!("Activity of {subject} per day, newest first")}</caption>
                    <thead><tr>
                        <th scope="col">"Day"</th><th scope="col" class="num">"Opens"</th><th scope="col" class="num">"Unique guests"</th>
                        <th scope="col" class="num">"Downloads"</th><th scope="col" class="num">"Responses"</th><th scope="col" class="num">"Denials"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                    <tfoot><tr>
                        <th scope="row">"Total"</th>
                        <td class="num">{totals.opens}</td>
                        <td class="num">{totals.unique_guests}</td>
                        <td class="num">{totals.downloads}</td>
                        <td class="num">{totals.responses}</td>
                        <td class="num">{totals.denials}</td>
                    </tr></tfoot>
                </table>
            </div>
        </details>
    }
    .into_any();
    view! {
        <section class="panel activity" data-testid="activity">
            <header class="section-head">
                <h2>{format!("Activity, last {window_days} days")}</h2>
                <WindowLinks window_days/>
            </header>
            <ul class="legend" data-testid="activity-totals">{legend}</ul>
            {chart}
            {table}
            <p><a class="btn" href=csv_url download="" data-testid="activity-csv">"Download CSV"</a></p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_a_round_number_at_or_above_the_top() {
        assert_eq!(scale_top(0), 4);
        assert_eq!(scale_top(4), 4);
        assert_eq!(scale_top(7), 10);
        assert_eq!(scale_top(11), 20);
        assert_eq!(scale_top(199), 200);
        assert_eq!(scale_top(201), 400);
        assert_eq!(scale_top(401), 1000);
        assert_eq!(y_of(0, 10), HEIGHT - BOTTOM);
        assert_eq!(y_of(10, 10), TOP);
    }
}
