//! `/console/intelligence`: 28 CFR Part 23. The review queue (every flagged item, the
//! soonest review first, and what is due now) with the administrators' decision — retain
//! five more years or purge, each with its reason — and the dissemination record: who
//! received which item, when, from whom and under which justification, with its CSV
//! export.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{invalid, local_time, CsrfField, FieldError, LocalTime};
use crate::server_fns::intelligence::{list_disseminations, list_intelligence, ReviewItem};
use crate::types::{CurrentUser, DisseminationRowView, FlagRowView};

fn item_href(kind: &str, id: &str) -> String {
    match kind {
        "record" => format!("/console/records/{id}"),
        _ => format!("/console/documents/{id}"),
    }
}

#[component]
pub fn IntelligencePage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let review = ServerAction::<ReviewItem>::new();
    let queue = Resource::new(
        move || (param("due"), review.version().get()),
        |(due, _)| list_intelligence(due),
    );
    let record = Resource::new(
        move || (param("from"), param("to"), review.version().get()),
        |(from, to, _)| list_disseminations(from, to),
    );
    // Reviews are the administrators' (the server checks again).
    let reviewer = use_context::<CurrentUser>().is_some_and(|u| u.role == "admin");
    let export = move || {
        format!(
            "/console/intelligence/disseminations?format=csv&from={}&to={}",
            day_bound(&param("from"), false),
            day_bound(&param("to"), true)
        )
    };
    view! {
        <Title text="Criminal intelligence · Liaison"/>
        <h1>"Criminal intelligence (28 CFR Part 23)"</h1>
        <p class="muted">"Documents and records flagged on their own pages. A flagged item goes only to a partner registered as a law-enforcement agency, under a written justification; each item is reviewed five years after submission."</p>
        {move || review.value().get().map(|r| match r {
            Ok(done) => view! { <p class="notice" role="status" data-testid="review-done">{done}</p> }.into_any(),
            Err(e) if e.field.as_deref() == Some("reason") => ().into_any(),
            Err(e) => view! { <p class="error" role="alert" data-testid="review-error">{crate::error_text(&e)}</p> }.into_any(),
        })}
        <section class="panel" data-testid="intel-queue">
            <div class="page-head">
                <h2>"Review queue"</h2>
                <form method="get" action="/console/intelligence" class="filters">
                    <label>"Show"
                        <select name="due">
                            {[("", "Every flagged item"), ("0", "Due for review now"), ("90", "Due within 90 days")].into_iter().map(|(v, l)| view! {
                                <option value=v selected=move || param("due") == v>{l}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="btn">"Show"</button>
                </form>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match queue.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(q) if q.items.is_empty() => view! { <p class="empty">"No flagged items here."</p> }.into_any(),
                        Ok(q) => view! {
                            <table data-testid="intel-table">
                                <thead><tr><th>"Item"</th><th>"Agency"</th><th>"Reliability"</th><th>"Validity"</th><th>"Review due"</th>
                                    {reviewer.then(|| view! { <th>"Decision"</th> })}</tr></thead>
                                <tbody>{q.items.into_iter().map(|f| queue_row(f, reviewer, review)).collect_view()}</tbody>
                            </table>
                            {q.more.then(|| view! {
                                <p class="muted" data-testid="intel-more">"These are the 1,000 soonest reviews; later ones appear as these are decided."</p>
                            })}
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="panel" data-testid="dissemination-report">
            <div class="page-head">
                <h2>"Dissemination record"</h2>
                <a class="btn" href=export rel="external" download data-testid="dissemination-export">"Export CSV"</a>
            </div>
            <form method="get" action="/console/intelligence" class="filters">
                <label>"From" <input type="date" name="from" value=move || param("from")/></label>
                <label>"To" <input type="date" name="to" value=move || param("to")/></label>
                <button type="submit" class="btn">"Show"</button>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match record.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(lines) if lines.is_empty() => view! { <p class="empty">"No criminal intelligence was shared in this period."</p> }.into_any(),
                        Ok(lines) => view! {
                            <table data-testid="dissemination-table">
                                <thead><tr><th>"When"</th><th>"Item"</th><th>"Recipient"</th><th>"Agency"</th><th>"Justification"</th><th>"Shared by"</th></tr></thead>
                                <tbody>{lines.into_iter().map(dissemination_row).collect_view()}</tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A report bound as the export's query wants it: the day's start (or the next day's, for
/// an inclusive end) in UTC; blank stays blank.
fn day_bound(day: &str, next: bool) -> String {
    if day.len() != 10 {
        return String::new();
    }
    if !next {
        return format!("{day}T00:00:00Z");
    }
    // The day after: the export's end is exclusive, the form's inclusive.
    let parts: Vec<u32> = day.split('-').filter_map(|p| p.parse().ok()).collect();
    let [y, m, d] = parts[..] else {
        return String::new();
    };
    let days_in = match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let (y, m, d) = if d < days_in {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y + 1, 1, 1)
    };
    format!("{y:04}-{m:02}-{d:02}T00:00:00Z")
}

fn queue_row(f: FlagRowView, reviewer: bool, review: ServerAction<ReviewItem>) -> impl IntoView {
    let error = Signal::derive(move || review.value().get().and_then(Result::err));
    view! {
        <tr data-testid="intel-row">
            <td><a href=item_href(&f.item_kind, &f.item_id)>{f.title.clone()}</a>
                <div class="muted small">{f.item_kind.clone()}</div></td>
            <td>{f.submitting_agency.clone()}</td>
            <td>{f.reliability_label.clone()}</td>
            <td>{f.validity_label.clone()}</td>
            <td><LocalTime at=f.review_due.clone()/>
                {f.due.then(|| view! { " " <span class="badge badge-warn" data-testid="due">"due"</span> })}</td>
            {reviewer.then(|| view! {
                <td>
                    <ActionForm action=review attr:class="review-decision">
                        <CsrfField/>
                        <input type="hidden" name="kind" value=f.item_kind.clone()/>
                        <input type="hidden" name="id" value=f.item_id.clone()/>
                        <label>"Reason"
                            <textarea name="reason" rows="2" required data-testid="review-reason"
                                aria-invalid=invalid(error, &["reason"])></textarea>
                        </label>
                        <FieldError error fields=&["reason"] id=format!("reason-error-{}", f.item_id)/>
                        // Named by aria-label: a visually hidden legend is positioned against the
                        // page, and from a scrolled table cell it would widen the page at 375 px.
                        <fieldset class="choices" aria-label="Decision">
                            <label class="check"><input type="radio" name="decision" value="retain" checked data-testid="retain"/><span>"Retain five more years"</span></label>
                            <label class="check"><input type="radio" name="decision" value="purge" data-testid="purge"/><span>"Purge: delete its content, revoke its shares"</span></label>
                        </fieldset>
                        <button type="submit" class="btn btn-small btn-primary" data-testid="decide">"Decide"</button>
                    </ActionForm>
                </td>
            })}
        </tr>
    }
}

fn dissemination_row(d: DisseminationRowView) -> impl IntoView {
    view! {
        <tr data-testid="dissemination-row">
            <td><time datetime=d.shared_at.clone()>{local_time(&d.shared_at)}</time></td>
            <td>{d.item_title}<div class="muted small">{format!("{} · {} · {}{}", d.item_kind, d.submitting_agency, d.reliability, d.validity)}</div></td>
            <td>{d.recipient_name}<div class="muted small">{d.recipient_email}</div></td>
            <td>{d.partner_name}</td>
            <td class="reason">{d.justification}</td>
            <td>{d.shared_by}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::day_bound;

    #[test]
    fn an_inclusive_day_ends_at_the_next_midnight() {
        assert_eq!(day_bound("2026-12-07", false), "2026-12-07T00:00:00Z");
        assert_eq!(day_bound("2026-12-07", true), "2026-12-08T00:00:00Z");
        assert_eq!(day_bound("2026-12-31", true), "2027-01-01T00:00:00Z");
        assert_eq!(day_bound("2028-02-28", true), "2028-02-29T00:00:00Z");
        assert_eq!(day_bound("", true), "");
    }
}
