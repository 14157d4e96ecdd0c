use crate::components::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::live::{FeedKind, LiveFeed};
use crate::server_fns::audit::{event_filter_options, list_audit};
use crate::types::AuditRowView;

/// The organisation's audit log: the newest events, filtered by type or group, with the
/// streamed exports of the same filter.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || query.read().get("event_type").filter(|v| !v.is_empty());
    let events = Resource::new(kind, |k| list_audit(k, None, None));
    view! {
        <Title text="Audit log · Liaison"/>
        <div class="page-head">
            <h1>"Audit log"</h1>
            <form method="get" action="/console/audit" class="filters">
                <EventTypeSelect selected=Signal::derive(kind)/>
                <button type="submit" class="btn">"Filter"</button>
            </form>
            <p class="exports">"Export: "
                <a href=move || export_href("csv", kind()) rel="external" data-testid="export-csv">"CSV"</a>" · "
                <a href=move || export_href("jsonl", kind()) rel="external">"JSON Lines"</a>
                " · "<a href="/console/audit/trace" data-testid="trace-leak">"Trace a leak"</a>
            </p>
        </div>
        <AuditEvents events/>
    }
}

/// The events a resource loads, as a table (the previous ones stay while a new filter
/// loads).
#[component]
fn AuditEvents(
    events: Resource<Result<Vec<AuditRowView>, crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(list) => view! { <AuditTable events=list/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The "Event" select of a filter form (`event_type`): every group, then every type.
#[component]
pub fn EventTypeSelect(selected: Signal<Option<String>>) -> impl IntoView {
    let options = Resource::new(|| (), |_| event_filter_options());
    let is = move |v: &str| selected.read().as_deref() == Some(v);
    view! {
        <label>"Event "
            <select name="event_type" data-testid="event-type">
                <option value="">"All events"</option>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let o = options.await.unwrap_or_default();
                        view! {
                            <optgroup label="Groups">
                                {o.groups.into_iter().map(|(v, label)| {
                                    let v2 = v.clone();
                                    view! { <option value=v selected=move || is(&v2)>{label}</option> }
                                }).collect_view()}
                            </optgroup>
                            <optgroup label="Event types">
                                {o.types.into_iter().map(|t| {
                                    let (value, label) = (t.clone(), t.clone());
                                    view! { <option value=value selected=move || is(&t)>{label}</option> }
                                }).collect_view()}
                            </optgroup>
                        }
                    })}
                </Suspense>
            </select>
        </label>
    }
}

/// Audit events as a table, newest first.
#[component]
fn AuditTable(events: Vec<AuditRowView>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="empty">"No events."</p> }.into_any();
    }
    view! {
        <table class="audit stacked" data-testid="audit-table">
            <AuditHead/>
            <tbody>{events.into_iter().map(|e| view! { <AuditRow e arrived=false/> }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn AuditHead() -> impl IntoView {
    view! {
        <thead><tr><th>"Time"</th><th>"Event"</th><th>"Actor"</th><th>"Credential"</th><th>"IP"</th><th>"Details"</th></tr></thead>
    }
}

/// One event; `arrived`: it came in while the page was open (marked as new).
#[component]
fn AuditRow(e: AuditRowView, arrived: bool) -> AnyView {
    let said = activity_text(&e.event_type);
    let event = e.event_type.clone();
    view! {
        <tr class:arrived=arrived data-testid="audit-row" data-event=event>
            <td class="small" data-label="Time"><LocalTime at=e.occurred_at.clone()/></td>
            <td data-label="Event">
                {said.map(|s| view! { <span class="event-said">{s}</span><br/> })}
                <code>{e.event_type}</code>
            </td>
            <td data-label="Actor">{e.actor_name}</td>
            <td class="small" data-label="Credential">{e.credential}</td>
            <td class="small" data-label="IP">{e.ip.unwrap_or_default()}</td>
            <td class="details" data-label="Details"><code>{e.details}</code></td>
        </tr>
    }
    .into_any()
}

/// What the guest activity staff watch most says in words.
fn activity_text(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "share.accessed" => "Opened the share",
        "item.viewed" => "Viewed",
        "item.downloaded" => "Downloaded",
        "item.print_attempted" => "Tried to print",
        "share.response_submitted" => "Responded",
        "comment.posted" => "Commented",
        "comment.edited" => "Edited a comment",
        "comment.deleted" => "Deleted a comment",
        "share.revoked" => "Revoked the share",
        "share.expired" => "The share expired",
        "share.denied" => "Was refused",
        "share.renewal_requested" => "Asked for more time",
        _ => return None,
    })
}

/// The audit events of one share or document that stay up to date while the page is open:
/// those `events` loaded, then each new one as it is appended on any node (new ones
/// marked, and announced to screen readers).
#[component]
pub fn LiveAuditEvents(
    kind: FeedKind,
    id: String,
    event_type: Signal<Option<String>>,
    events: Resource<Result<Vec<AuditRowView>, crate::error::AppError>>,
    /// Runs with the types of the events that arrived, whenever some arrive live.
    #[prop(optional)]
    on_arrival: Option<Callback<Vec<String>>>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    match events.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(list) => {
                            let event_type = event_type.get_untracked();
                            view! { <LiveAuditTable kind id event_type list on_arrival/> }.into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn LiveAuditTable(
    kind: FeedKind,
    id: String,
    event_type: Option<String>,
    list: Vec<AuditRowView>,
    on_arrival: Option<Callback<Vec<String>>>,
) -> AnyView {
    let live = LiveFeed::new(list);
    if let Some(then) = on_arrival {
        Effect::new(move |seen: Option<usize>| {
            let arrived = live.arrived.get();
            let seen = seen.unwrap_or(arrived.len());
            if arrived.len() > seen {
                let fresh = &arrived[seen..];
                let types = live.events.with_untracked(|events| {
                    events
                        .iter()
                        .filter(|e| fresh.contains(&e.id))
                        .map(|e| e.event_type.clone())
                        .collect()
                });
                then.run(types);
            }
            arrived.len()
        });
    }
    let watched = id.clone();
    Effect::new(move |_| {
        crate::live::hold_console();
        crate::live::watch(kind, watched.clone(), event_type.clone(), live);
    });
    on_cleanup(move || crate::live::unwatch(kind, &id, live));
    let arrived = move || live.arrived.with(Vec::len);
    view! {
        <p class="sr-only" role="status" aria-live="polite">
            {move || match arrived() {
                0 => String::new(),
                1 => "1 new event".to_owned(),
                n => format!("{n} new events"),
            }}
        </p>
        {move || live.truncated.get().then(|| view! {
            <p class="notice small" data-testid="activity-truncated">
                "More happened at once than is shown here: the audit log has every event."
            </p>
        })}
        <Show when=move || live.events.with(|e| !e.is_empty())
            fallback=|| view! { <p class="empty" data-testid="activity-empty">"No events yet. New ones appear here as they happen."</p> }>
            <table class="audit stacked" data-testid="audit-table">
                <AuditHead/>
                <tbody>
                    <For each=move || live.events.get() key=|e| e.id.clone()
                        children=move |e| {
                            let arrived = live.arrived.with_untracked(|a| a.contains(&e.id));
                            view! { <AuditRow e arrived/> }.into_any()
                        }/>
                </tbody>
            </table>
        </Show>
    }
    .into_any()
}

/// The console's streamed export, with the current filter.
fn export_href(format: &str, kind: Option<String>) -> String {
    match kind {
        Some(k) => format!("/console/audit/export?format={format}&event_type={k}"),
        None => format!("/console/audit/export?format={format}"),
    }
}
