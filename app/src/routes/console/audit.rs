use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::server_fns::audit::list_audit;
use crate::types::short_time;

const EVENT_TYPES: [&str; 21] = [
    "share.created",
    "share.accessed",
    "share.acknowledgement_accepted",
    "share.terms_accepted",
    "share.denied",
    "share.expired",
    "share.revoked",
    "share.link_copied",
    "share.invitation_sent",
    "share.code_sent",
    "share.device_approval_requested",
    "share.device_decided",
    "item.viewed",
    "item.downloaded",
    "item.print_attempted",
    "document.uploaded",
    "policy.changed",
    "audit.exported",
    "auth.signed_in",
    "auth.sign_in_failed",
    "auth.signed_out",
];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || query.read().get("event_type").filter(|v| !v.is_empty());
    let events = Resource::new(kind, list_audit);
    view! {
        <Title text="Audit log · Liaison"/>
        <div class="page-head">
            <h1>"Audit log"</h1>
            <form method="get" action="/console/audit" class="filters">
                <label>"Event "
                    <select name="event_type">
                        <option value="">"All events"</option>
                        {EVENT_TYPES.iter().map(|t| view! { <option value=*t selected=move || kind().as_deref() == Some(*t)>{*t}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="btn">"Filter"</button>
            </form>
            <p class="exports">"Export: "
                <a href=move || export_href("csv", kind()) rel="external" data-testid="export-csv">"CSV"</a>" · "
                <a href=move || export_href("jsonl", kind()) rel="external">"JSON Lines"</a>
            </p>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No events."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="audit" data-testid="audit-table">
                            <thead><tr><th>"Time"</th><th>"Event"</th><th>"Actor"</th><th>"Credential"</th><th>"IP"</th><th>"Details"</th></tr></thead>
                            <tbody>{list.into_iter().map(|e| view! {
                                <tr>
                                    <td class="small">{short_time(&e.occurred_at)}</td>
                                    <td><code>{e.event_type}</code></td>
                                    <td>{e.actor_name}</td>
                                    <td class="small">{e.credential}</td>
                                    <td class="small">{e.ip.unwrap_or_default()}</td>
                                    <td class="details"><code>{e.details}</code></td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The console's streamed export, with the current filter.
fn export_href(format: &str, kind: Option<String>) -> String {
    match kind {
        Some(k) => format!("/console/audit/export?format={format}&event_type={k}"),
        None => format!("/console/audit/export?format={format}"),
    }
}
