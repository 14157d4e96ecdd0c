use crate::components::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::server_fns::audit::{event_filter_options, list_audit};
use crate::types::AuditRowView;

/// The organisation's audit log: the newest events, filtered by type or group, with the
/// streamed exports of the same filter.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || query.read().get("event_type").filter(|v| !v.is_empty());
    let events = Resource::new(kind, |k| list_audit(k, None));
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
            </p>
        </div>
        <AuditEvents events/>
    }
}

/// The events a resource loads, as a table (the previous ones stay while a new filter
/// loads).
#[component]
pub fn AuditEvents(
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
        <table class="audit" data-testid="audit-table">
            <thead><tr><th>"Time"</th><th>"Event"</th><th>"Actor"</th><th>"Credential"</th><th>"IP"</th><th>"Details"</th></tr></thead>
            <tbody>{events.into_iter().map(|e| view! {
                <tr>
                    <td class="small"><LocalTime at=e.occurred_at.clone()/></td>
                    <td><code>{e.event_type}</code></td>
                    <td>{e.actor_name}</td>
                    <td class="small">{e.credential}</td>
                    <td class="small">{e.ip.unwrap_or_default()}</td>
                    <td class="details"><code>{e.details}</code></td>
                </tr>
            }).collect_view()}</tbody>
        </table>
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
