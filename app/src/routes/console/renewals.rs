use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{invalid as invalid_when, local_time, CsrfField, FieldError, LocalTime};
use crate::server_fns::renewals::{list_renewals, DecideRenewal};
use crate::types::RenewalRowView;

fn status_label(status: &str) -> &'static str {
    match status {
        "open" => "Waiting",
        "approved" => "Approved",
        "declined" => "Declined",
        _ => "Closed",
    }
}

/// `/console/renewals`: guests asking for more time (oldest first, so none waits for ever),
/// then the latest decisions. Each request is decided on its share's page, beside the
/// share's state.
#[component]
pub fn RenewalsPage() -> impl IntoView {
    let rows = Resource::new(|| (), |_| list_renewals());
    view! {
        <Title text="Renewal requests · Liaison"/>
        <h1>"Renewal requests"</h1>
        <p class="muted">"Guests whose share expired or used up its opens can ask for more time from the link's page. Approving extends the same share: the guest's link works again and they are mailed."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No guest has asked for more time."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="stacked" data-testid="renewals-table">
                            <thead><tr>
                                <th>"Recipient"</th><th>"Document"</th><th>"Shared by"</th><th>"Asked"</th>
                                <th>"Reason"</th><th>"Status"</th><th><span class="visually-hidden">"Action"</span></th>
                            </tr></thead>
                            <tbody>{rows.into_iter().map(|r| view! { <Row r/> }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Row(r: RenewalRowView) -> impl IntoView {
    let href = format!("/console/share/{}#renewal", r.share_id);
    let open = r.status == "open";
    view! {
        <tr data-testid="renewal-row" data-status=r.status.clone()>
            <td data-label="Recipient">{r.recipient_name.clone()}<div class="muted small">{r.recipient_email.clone()}</div></td>
            <td data-label="Document">{r.document_title.clone()}</td>
            <td data-label="Shared by">{r.owner_name.clone()}</td>
            <td data-label="Asked" class="small"><LocalTime at=r.requested_at.clone()/></td>
            <td data-label="Reason" class="reason">{r.reason.clone()}</td>
            <td data-label="Status">{status_label(&r.status)}
                {r.decided_by.clone().map(|by| view! { <div class="muted small">{format!("by {by}")}</div> })}
            </td>
            <td class="actions">
                <a class="btn" href=href data-testid="renewal-open">{if open && r.may_decide { "Decide" } else { "View share" }}</a>
            </td>
        </tr>
    }
}

/// The share page's "Renewal requests" panel: the open request with its decision form (for
/// whoever may manage the share), and the earlier ones.
#[component]
pub fn RenewalPanel(
    renewals: Vec<RenewalRowView>,
    renewal: ServerAction<DecideRenewal>,
) -> impl IntoView {
    view! {
        <section class="panel" id="renewal" data-testid="renewal-panel">
            <h2>"Renewal requests"</h2>
            {renewals.into_iter().map(|r| view! { <Request r renewal/> }).collect_view()}
        </section>
    }
}

#[component]
fn Request(r: RenewalRowView, renewal: ServerAction<DecideRenewal>) -> impl IntoView {
    let decided = r.decided_at.as_deref().map(|at| {
        let by = r
            .decided_by
            .clone()
            .map(|b| format!(" by {b}"))
            .unwrap_or_default();
        format!("{}{by} on {}", status_label(&r.status), local_time(at))
    });
    let note = (!r.decision_note.is_empty()).then(|| r.decision_note.clone());
    let form = (r.status == "open" && r.may_decide).then(|| {
        let id = r.id.clone();
        view! { <DecisionForm id renewal/> }
    });
    view! {
        <article class="renewal" data-testid="renewal" data-status=r.status.clone()>
            <h3>{format!("{} asked for more time", r.recipient_name)} " "
                <span class="muted small">{local_time(&r.requested_at)}</span></h3>
            <blockquote class="comment" data-testid="renewal-reason-shown">{r.reason.clone()}</blockquote>
            {decided.map(|d| view! { <p class="muted small" data-testid="renewal-decided">{d}</p> })}
            {note.map(|n| view! { <p class="small">"Note: " {n}</p> })}
            {(r.status == "open" && !r.may_decide).then(|| view! {
                <p class="muted small">"Waiting for the person who shared it, or an administrator."</p>
            })}
            {form}
        </article>
    }
}

const EXPIRY: &[&str] = &["expiry", "expires_at"];
const OPENS: &[&str] = &["max_access_count"];
const NOTE: &[&str] = &["note"];
const FIELDS: &[&str] = &["expiry", "expires_at", "max_access_count", "note"];

/// Approve with more time or more opens, or decline; the note goes to the guest either way.
/// Two forms, so each button posts only its own fields.
#[component]
fn DecisionForm(id: String, renewal: ServerAction<DecideRenewal>) -> impl IntoView {
    let decline_id = id.clone();
    let error = Signal::derive(move || renewal.value().get().and_then(|r| r.err()));
    // What no field names (the request was decided meanwhile, say), above the forms.
    let other = move || {
        error
            .get()
            .filter(|e| !e.field.as_deref().is_some_and(|f| FIELDS.contains(&f)))
            .map(|e| crate::error_text(&e))
    };
    view! {
        {move || other().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <ActionForm action=renewal attr:class="renewal-decision">
            <CsrfField/>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="decision" value="approve"/>
            <label>"More time"
                <select name="expiry" data-testid="renewal-expiry"
                    aria-invalid=invalid_when(error, EXPIRY) aria-describedby="renewal-expiry-error">
                    <option value="keep">"Keep the expiry date"</option>
                    <option value="1h">"1 hour from now"</option>
                    <option value="24h">"24 hours from now"</option>
                    <option value="7d" selected>"7 days from now"</option>
                    <option value="14d">"14 days from now"</option>
                    <option value="30d">"30 days from now"</option>
                    <option value="default">"The policy's default"</option>
                </select>
                <FieldError error fields=EXPIRY id="renewal-expiry-error"/>
            </label>
            <label>"Maximum opens (blank: unchanged, 0 = unlimited)"
                <input type="number" name="max_access_count" min="0" inputmode="numeric" data-testid="renewal-limit"
                    aria-invalid=invalid_when(error, OPENS) aria-describedby="renewal-limit-error"/>
                <FieldError error fields=OPENS id="renewal-limit-error"/>
            </label>
            <label>"Note to the guest (optional)"
                <textarea name="note" rows="2" maxlength="1000" data-testid="renewal-note"
                    aria-invalid=invalid_when(error, NOTE) aria-describedby="renewal-note-error"></textarea>
                <FieldError error fields=NOTE id="renewal-note-error"/>
            </label>
            <button type="submit" class="btn btn-primary" data-testid="renewal-approve">"Approve"</button>
        </ActionForm>
        <details class="renewal-decline">
            <summary>"Decline instead"</summary>
            <ActionForm action=renewal>
                <CsrfField/>
                <input type="hidden" name="id" value=decline_id/>
                <input type="hidden" name="decision" value="decline"/>
                <label>"Note to the guest (optional)"
                    <textarea name="note" rows="2" maxlength="1000" data-testid="renewal-decline-note"></textarea>
                </label>
                <button type="submit" class="btn btn-danger" data-testid="renewal-decline">"Decline"</button>
            </ActionForm>
        </details>
    }
}
