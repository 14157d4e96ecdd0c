use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::audit::LiveAuditEvents;
use crate::components::{
    current_offset, invalid, local_input_value, local_time, offset_at, offset_for,
    zone_label_signal, CsrfField, FieldError, LocalTime, StatusBadge,
};
use crate::components::{LiveComments, Voice};
use crate::live::FeedKind;
use crate::server_fns::audit::list_audit;
use crate::server_fns::comments::load_share_comments;
use crate::server_fns::renewals::DecideRenewal;
use crate::server_fns::shares::{load_share_detail, ChangeShare, DecideDevice};
use crate::types::{
    human_size, CurrentUser, DeviceRowView, ResponseRowView, ShareComments, ShareDetailView,
};

/// One share: its state, the browsers bound to it (approve or reject those waiting), and
/// the recipient's responses.
#[component]
pub fn ShareDetailPage() -> impl IntoView {
    let params = use_params_map();
    let decide = ServerAction::<DecideDevice>::new();
    let change = ServerAction::<ChangeShare>::new();
    let renewal = ServerAction::<DecideRenewal>::new();
    // Bumped when events arrive live that change what the page shows of the share (not
    // mere views, which would reset a change being typed for nothing).
    let happened = RwSignal::new(0u32);
    let detail = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                decide.version().get(),
                change.version().get(),
                renewal.version().get(),
                happened.get(),
            )
        },
        |(id, ..)| load_share_detail(id),
    );
    let audit = use_context::<CurrentUser>().is_some_and(|u| u.pages.audit);
    let error = move || {
        decide
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| {
                // A refusal about one of the change form's fields shows under that field.
                change.value().get().and_then(|r| r.err()).filter(|e| {
                    !e.field
                        .as_deref()
                        .is_some_and(|f| CHANGE_FIELDS.iter().any(|set| set.contains(&f)))
                })
            })
            .map(|e| crate::error_text(&e))
    };
    let changed = move || change.value().get().is_some_and(|r| r.is_ok());
    view! {
        <Title text="Share · Liaison"/>
        <p><a href="/console">"← Active shares"</a></p>
        {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || changed().then(|| view! { <p class="notice" role="status" data-testid="share-changed">"Saved. The recipient's next request sees the change."</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                async move {
                    match detail.await {
                        Ok(d) => view! { <Detail detail=d decide change renewal/> }.into_any(),
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    }
                }
            })}
        </Transition>
        <ShareConversation/>
        <ShareActivity/>
        {audit.then(|| view! { <ShareEvents happened/> })}
    }
}

/// The comments of the share's document that its guest reads, with who is viewing the
/// document now and who is typing, live (document shares).
#[component]
fn ShareConversation() -> impl IntoView {
    let params = use_params_map();
    let loaded = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        load_share_comments,
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(Some(ShareComments { document, first, access })) => {
                        let share = params.read_untracked().get("id");
                        view! { <LiveComments document voice=Voice::Staff access first share/> }.into_any()
                    }
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Events after which the share's detail is read again.
const CHANGES_DETAIL: [&str; 9] = [
    "share.revoked",
    "share.changed",
    "share.expired",
    "share.device_approval_requested",
    "share.device_decided",
    "share.response_submitted",
    "share.renewal_requested",
    "share.renewal_approved",
    "share.renewal_declined",
];

/// The share's audit events, kept up to date while the page is open (staff who read the
/// audit log): a guest opening, viewing, downloading or responding shows here at once.
#[component]
fn ShareEvents(happened: RwSignal<u32>) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let events = Resource::new(id, |id| list_audit(None, None, Some(id)));
    view! {
        <section class="share-events" aria-labelledby="share-events-title">
            <h2 id="share-events-title">"Events"</h2>
            <p class="muted small">"As they happen: new events appear at the top."</p>
            {move || view! {
                <LiveAuditEvents kind=FeedKind::Share id=id() event_type=Signal::derive(|| None) events
                    on_arrival=Callback::new(move |types: Vec<String>| {
                        if types.iter().any(|t| CHANGES_DETAIL.contains(&t.as_str())) {
                            happened.update(|n| *n += 1);
                        }
                    })/>
            }}
        </section>
    }
}

/// The share's activity over time (`?days=7|30|90`), loaded on its own.
#[component]
fn ShareActivity() -> impl IntoView {
    let params = use_params_map();
    let query = leptos_router::hooks::use_query_map();
    let analytics = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("days").unwrap_or_else(|| "30".into()),
            )
        },
        |(id, days)| crate::server_fns::analytics::load_share_analytics(id, days),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                analytics.await.ok().map(|a| view! { <crate::components::ActivityChart analytics=a/> })
            })}
        </Transition>
    }
}

#[component]
fn Detail(
    detail: ShareDetailView,
    decide: ServerAction<DecideDevice>,
    change: ServerAction<ChangeShare>,
    renewal: ServerAction<DecideRenewal>,
) -> impl IntoView {
    let s = detail.share.clone();
    let renewals = detail.renewals.clone();
    let revoked = s.status == "revoked";
    let manage_devices = detail.approved_devices_only;
    let limit = if s.max_access_count == 0 {
        "unlimited".to_owned()
    } else {
        s.max_access_count.to_string()
    };
    let share_id = s.id.clone();
    view! {
        <h1>{s.recipient_name.clone()} " " <StatusBadge status=s.status.clone()/></h1>
        <dl class="facts">
            <dt>"Email"</dt><dd>{s.recipient_email.clone()}</dd>
            <dt>"Document"</dt><dd>{s.document_title.clone()} " · " {s.tlp.clone()}</dd>
            <dt>"Created"</dt><dd>{local_time(&s.created_at)} " by " {s.created_by.clone()}</dd>
            <dt>"Expires"</dt><dd>{s.expires_at.as_deref().map(local_time).unwrap_or_else(|| "never".into())}</dd>
            <dt>"Accesses"</dt><dd>{format!("{} / {limit}", s.access_count)}</dd>
            <dt>"Recipient may"</dt><dd>{permissions_text(&detail)}</dd>
        </dl>
        {(!renewals.is_empty()).then(|| view! { <super::renewals::RenewalPanel renewals renewal/> })}
        {(!revoked).then(|| view! { <ChangeForm detail=detail.clone() change/> })}
        <section class="panel">
            <h2>"Devices"</h2>
            {if detail.devices.is_empty() {
                view! { <p class="empty">"No browser has opened this share yet."</p> }.into_any()
            } else {
                view! {
                    <table class="devices stacked" data-testid="devices">
                        <thead><tr><th>"Browser"</th><th>"First seen"</th><th>"Last seen"</th><th>"Status"</th><th></th></tr></thead>
                        <tbody>{detail.devices.into_iter().map(|d| view! {
                            <Device device=d share_id=share_id.clone() decide manage=manage_devices/>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Responses"</h2>
            {if detail.responses.is_empty() {
                view! { <p class="empty">"No response yet."</p> }.into_any()
            } else {
                detail.responses.into_iter().map(|r| view! { <Response response=r share_id=share_id.clone()/> }).collect_view().into_any()
            }}
        </section>
    }
}

#[component]
fn Device(
    device: DeviceRowView,
    share_id: String,
    decide: ServerAction<DecideDevice>,
    /// "Approved devices only": an approved browser can be rejected (cut off at once).
    manage: bool,
) -> impl IntoView {
    let device_id = device.id.clone();
    let pending = device.status == "pending";
    let approved = device.status == "approved";
    let form = move |decision: &'static str, label: &'static str| {
        let (share_id, device_id) = (share_id.clone(), device_id.clone());
        view! {
            <ActionForm action=decide attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="share_id" value=share_id/>
                <input type="hidden" name="device_id" value=device_id/>
                <input type="hidden" name="decision" value=decision/>
                <button type="submit" class="btn" data-testid=format!("device-{decision}")>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <tr data-testid="device">
            <td data-label="Browser">
                <div class="small">{device.user_agent.clone().unwrap_or_else(|| "unknown browser".into())}</div>
                <div class="muted small">{device.ip.clone().unwrap_or_default()}</div>
            </td>
            <td class="small" data-label="First seen"><LocalTime at=device.first_seen_at.clone()/></td>
            <td class="small" data-label="Last seen"><LocalTime at=device.last_seen_at.clone()/></td>
            <td data-testid="device-status" data-label="Status">{device.status.clone()}</td>
            <td class="actions">
                {pending.then(|| form("approve", "Approve"))}
                {(pending || (approved && manage)).then(|| form("reject", "Reject"))}
            </td>
        </tr>
    }
}

fn permissions_text(d: &ShareDetailView) -> String {
    let mut parts = vec![match d.permission.as_str() {
        "comment" => "view and comment",
        "edit" => "view, comment and respond with files",
        _ => "view",
    }
    .to_owned()];
    parts.push(
        if d.allow_download {
            "download"
        } else {
            "no download"
        }
        .into(),
    );
    parts.push(
        if d.allow_print {
            "print"
        } else {
            "no printing"
        }
        .into(),
    );
    if d.watermark {
        parts.push("watermarked".into());
    }
    parts.join(" · ")
}

const EXPIRY: &[&str] = &["expires_at"];
const LIMIT: &[&str] = &["max_access_count"];
const PERMISSION: &[&str] = &["settings.permission"];
const CHANGE_FIELDS: [&[&str]; 3] = [EXPIRY, LIMIT, PERMISSION];

/// Extend or shorten the share, change its access limit and what the recipient may do.
/// The expiry is a date and time in the viewer's zone; the form also posts what it showed,
/// so an expiry left as it was is not changed (and not re-read through a time zone).
#[component]
fn ChangeForm(detail: ShareDetailView, change: ServerAction<ChangeShare>) -> impl IntoView {
    let s = detail.share;
    let error = Signal::derive(move || change.value().get().and_then(|r| r.err()));
    let shown = s
        .expires_at
        .as_deref()
        .map(local_input_value)
        .unwrap_or_default();
    let shown_offset = s
        .expires_at
        .as_deref()
        .map_or_else(current_offset, offset_for);
    let (tz_offset, set_tz_offset) = signal(shown_offset.to_string());
    let tz_label = zone_label_signal();
    let permission = detail.permission.clone();
    let option = move |value: &'static str, label: &'static str| {
        let selected = permission == value;
        view! { <option value=value selected=selected>{label}</option> }
    };
    view! {
        <section class="panel">
            <h2>"Change"</h2>
            <ActionForm action=change attr:class="change share-change">
                <CsrfField/>
                <input type="hidden" name="id" value=s.id.clone()/>
                <input type="hidden" name="expires_at_shown" value=shown.clone()/>
                <input type="hidden" name="tz_offset_minutes" value=tz_offset/>
                <label>"Expires at"
                    <input type="datetime-local" name="expires_at_local" value=shown required data-testid="change-expiry"
                        aria-invalid=invalid(error, EXPIRY) aria-describedby="change-expiry-hint change-expiry-error"
                        on:input=move |ev| {
                            if let Some(offset) = offset_at(&event_target_value(&ev)) {
                                set_tz_offset.set(offset.to_string());
                            }
                        }/>
                    <span class="hint" id="change-expiry-hint">{move || format!("Your time: {}", tz_label.get())}</span>
                    <FieldError error fields=EXPIRY id="change-expiry-error"/>
                </label>
                <label>"Maximum opens"
                    <input type="number" name="max_access_count" min="0" value=s.max_access_count.to_string() data-testid="change-limit"
                        aria-invalid=invalid(error, LIMIT) aria-describedby="change-limit-hint change-limit-error"/>
                    <span class="hint" id="change-limit-hint">"0 = unlimited"</span>
                    <FieldError error fields=LIMIT id="change-limit-error"/>
                </label>
                <label>"Recipient may"
                    <select name="permission" data-testid="change-permission"
                        aria-invalid=invalid(error, PERMISSION) aria-describedby="change-permission-error">
                        {option("view", "View")}
                        {option("comment", "View and comment")}
                        {option("edit", "View, comment, respond with files")}
                    </select>
                    <FieldError error fields=PERMISSION id="change-permission-error"/>
                </label>
                <div class="choices">
                    <label class="check"><input type="checkbox" name="allow_download" checked=detail.allow_download data-testid="change-download"/>" Download allowed"</label>
                    <label class="check"><input type="checkbox" name="allow_print" checked=detail.allow_print/>" Printing allowed"</label>
                    <label class="check"><input type="checkbox" name="watermark" checked=detail.watermark/>" Watermark"</label>
                </div>
                <button type="submit" class="btn btn-primary" data-testid="save-change">"Save changes"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Response(response: ResponseRowView, share_id: String) -> impl IntoView {
    let decision = match response.decision.as_str() {
        "approve" => "Approved",
        "approve_with_comments" => "Approved with comments",
        "reject" => "Rejected",
        other => other,
    }
    .to_owned();
    view! {
        <article class="response" data-testid="response">
            <h3>{decision} " " <span class="muted small">{local_time(&response.created_at)}</span></h3>
            {(!response.comment.is_empty()).then(|| view! { <p class="comment">{response.comment.clone()}</p> })}
            {(!response.attachments.is_empty()).then(|| view! {
                <ul class="attachments">
                    {response.attachments.into_iter().map(|a| view! {
                        <li>
                            <a href=format!("/console/share/{share_id}/attachments/{}", a.id) download=a.file_name.clone()
                                rel="external" data-testid="attachment-download">{a.file_name.clone()}</a>
                            " " <span class="muted small">{format!("{} · SHA-256 {}", human_size(a.size_bytes), a.sha256)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </article>
    }
}
