use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{CsrfField, LocalTime, RevokeButton, StatusBadge};
use crate::server_fns::shares::{
    list_shares, load_dashboard, CopyShareLink, ResendInvitation, RevokeShare, RevokeShares,
    ShareQuery,
};
use crate::types::ShareRowView;

/// The Active shares page: filter by status, search by recipient, and the table.
#[component]
pub fn SharesPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    view! {
        <Title text="Active shares · Liaison"/>
        <Dashboard/>
        <div class="page-head">
            <h1>"Active shares"</h1>
            <form method="get" action="/console" class="filters">
                <label>"Status "
                    <select name="status">
                        <option value="" selected=move || param("status").is_none()>"All"</option>
                        <option value="active" selected=move || param("status").as_deref() == Some("active")>"Active"</option>
                        <option value="expired" selected=move || param("status").as_deref() == Some("expired")>"Expired"</option>
                        <option value="revoked" selected=move || param("status").as_deref() == Some("revoked")>"Revoked"</option>
                    </select>
                </label>
                <label>"Recipient "
                    <input type="search" name="q" placeholder="name or email starts with…" value=move || param("q").unwrap_or_default() data-testid="recipient-search"/>
                </label>
                <label>"Response "
                    <select name="response" data-testid="response-filter">
                        <option value="" selected=move || param("response").is_none()>"Any"</option>
                        <option value="responded" selected=move || param("response").as_deref() == Some("responded")>"Responded"</option>
                        <option value="awaiting" selected=move || param("response").as_deref() == Some("awaiting")>"Awaiting"</option>
                    </select>
                </label>
                <label>"no response after "
                    <input type="number" name="days" min="0" max="3650" class="days" placeholder="days"
                        value=move || param("days").unwrap_or_default() data-testid="response-days"/>
                    " days"
                </label>
                <button type="submit" class="btn">"Filter"</button>
            </form>
        </div>
        <SharesTable path="/console".into() document=None/>
    }
}

/// The shares table: sort by expiry or access count, keyset pages, select and revoke, copy
/// the link, re-send. Its filters (`status`, `q`, `sort`, `order`, `cursor`) come from the
/// page's query string; `path` is the page (for the sort and page links); `document` keeps
/// it to the shares of one document (any of its revisions) or record; `share_href`, the
/// item's own "share it" page, is offered when it has no shares yet.
#[component]
pub fn SharesTable(
    path: String,
    document: Option<String>,
    #[prop(optional)] share_href: Option<String>,
) -> impl IntoView {
    let (share_href, share_label) = match share_href {
        Some(href) => (href, "Share it with a guest"),
        None => ("/console/shares/new".to_owned(), "Share a document"),
    };
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let revoke = ServerAction::<RevokeShare>::new();
    let bulk = ServerAction::<RevokeShares>::new();
    let shares = Resource::new(
        move || {
            (
                ShareQuery {
                    status: param("status"),
                    sort: param("sort"),
                    order: param("order"),
                    cursor: param("cursor"),
                    recipient: param("q"),
                    document: document.clone(),
                    response: param("response"),
                    days: param("days"),
                    expiring: param("expiring"),
                },
                revoke.version().get(),
                bulk.version().get(),
            )
        },
        |(query, _, _)| list_shares(query),
    );
    let href = move |sort: &str, order: &str| {
        let mut extra = String::new();
        for key in ["status", "q", "response", "days", "expiring", "tab"] {
            if let Some(v) = param(key) {
                let v: String = url_encode(&v);
                extra.push_str(&format!("&{key}={v}"));
            }
        }
        format!("{path}?sort={sort}&order={order}{extra}")
    };
    let revoke_error = move || {
        revoke
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| bulk.value().get().and_then(|r| r.err()))
            .map(|e| crate::error_text(&e))
    };
    let bulk_done = move || bulk.value().get().and_then(|r| r.ok());
    view! {
        {move || revoke_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || bulk_done().map(|n| view! { <p class="notice" role="status" data-testid="bulk-revoked">{format!("{n} shares revoked.")}</p> })}
        <BulkRevoke action=bulk/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                let href = href.clone();
                let share_href = share_href.clone();
                async move {
                let page = match shares.await {
                    Ok(p) => p,
                    Err(e) => return view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                };
                if page.items.is_empty() {
                    let filtered = ["status", "q", "response", "days", "expiring", "cursor"].iter().any(|k| param(k).is_some());
                    return if filtered {
                        view! { <p class="empty" data-testid="no-match">"No shares match these filters."</p> }.into_any()
                    } else {
                        view! { <p class="empty">"No shares yet. " <a href=share_href>{share_label}</a></p> }.into_any()
                    };
                }
                let next = page.next_cursor.clone().map(|c| {
                    let sort = param("sort").unwrap_or_else(|| "created_at".into());
                    let order = param("order").unwrap_or_else(|| "desc".into());
                    format!("{}&cursor={c}", href(&sort, &order))
                });
                let rows = page.items.into_iter().enumerate().map(|(i, s)| view! { <Row index=i share=s revoke/> }).collect_view();
                view! {
                    <table class="shares" data-testid="shares-table">
                        <thead><tr>
                            <th><span class="visually-hidden">"Select"</span></th>
                            <th>"Recipient"</th><th>"Document"</th><th>"Created by"</th>
                            <th><a href=href("expires_at", "asc")>"Expires ↑"</a>" "<a href=href("expires_at", "desc")>"↓"</a></th>
                            <th><a href=href("access_count", "desc")>"Accesses ↓"</a>" "<a href=href("access_count", "asc")>"↑"</a></th>
                            <th>"Status"</th><th>"Response"</th><th>"Last activity"</th><th></th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    {next.map(|n| view! { <p class="pager"><a href=n>"Next page →"</a></p> })}
                }.into_any()
            }})}
        </Transition>
    }
}

/// The console home's figures, each a link to the table (or log) filtered to them.
#[component]
fn Dashboard() -> impl IntoView {
    let figures = Resource::new(|| (), |_| load_dashboard());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                figures.await.ok().map(|d| {
                    let tile = |n: i64, label: String, href: String, testid: &'static str| view! {
                        <a class="tile" href=href data-testid=testid>
                            <span class="tile-n">{n}</span>
                            <span class="tile-label">{label}</span>
                        </a>
                    };
                    view! {
                        <nav class="tiles" aria-label="What needs attention">
                            {tile(d.active, "active shares".into(), "/console?status=active".into(), "tile-active")}
                            {tile(d.expiring, format!("expiring in the next {} days", d.expiring_days),
                                format!("/console?expiring={}&sort=expires_at&order=asc", d.expiring_days), "tile-expiring")}
                            {tile(d.awaiting_response, "awaiting a response".into(), "/console?response=awaiting".into(), "tile-awaiting")}
                            {d.denials_24h.map(|n| tile(n, "denied opens in the last 24 hours".into(),
                                "/console/audit?event_type=share.denied".into(), "tile-denials"))}
                            {d.open_renewals.map(|n| tile(n, "asking for more time".into(),
                                "/console/renewals".into(), "tile-renewals"))}
                            {d.reviews_due.map(|n| tile(n, "shares to review".into(),
                                "/console/reviews".into(), "tile-reviews"))}
                        </nav>
                    }
                })
            })}
        </Suspense>
    }
}

/// "Revoke selected": the rows' checkboxes belong to this form (`form="bulk-revoke"`, the
/// table's own per-row forms cannot nest). Asks for confirmation, like a single revoke.
#[component]
fn BulkRevoke(action: ServerAction<RevokeShares>) -> impl IntoView {
    let (confirming, set_confirming) = signal(false);
    // Back to the plain button once the revocation has answered.
    Effect::new(move |_| {
        action.version().get();
        set_confirming.set(false);
    });
    view! {
        <ActionForm action=action attr:id="bulk-revoke" attr:class="bulk">
            <CsrfField/>
            {move || if confirming.get() {
                view! {
                    <span role="alertdialog" aria-label="Confirm bulk revocation">
                        "Revoke every ticked share now? "
                        <button type="submit" class="btn btn-danger" data-testid="confirm-bulk-revoke">"Confirm revoke"</button>
                        " "
                        <button type="button" class="btn" on:click=move |_| set_confirming.set(false)>"Cancel"</button>
                    </span>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="btn btn-danger-outline" data-testid="bulk-revoke"
                        on:click=move |_| set_confirming.set(true)>"Revoke selected"</button>
                }.into_any()
            }}
        </ActionForm>
    }
}

#[component]
fn Row(index: usize, share: ShareRowView, revoke: ServerAction<RevokeShare>) -> impl IntoView {
    let limit = if share.max_access_count == 0 {
        "unlimited".to_owned()
    } else {
        share.max_access_count.to_string()
    };
    let expires = match share.expires_at.clone() {
        Some(at) => view! { <LocalTime at/> }.into_any(),
        None => "never".into_any(),
    };
    let active = share.status == "active";
    view! {
        <tr data-share-id=share.id.clone()>
            <td>{active.then(|| view! {
                <input type="checkbox" form="bulk-revoke" name=format!("ids[{index}]") value=share.id.clone()
                    aria-label=format!("Select {}", share.recipient_name) data-testid="select-share"/>
            })}</td>
            <td><div><a href=format!("/console/share/{}", share.id) data-testid="share-detail">{share.recipient_name.clone()}</a></div><div class="muted small">{share.recipient_email.clone()}</div></td>
            <td>{share.document_title.clone()}
                {share.revised.then(|| view! {
                    " " <span class="badge badge-warn" data-testid="revised-flag"
                        title="A newer revision exists: the guest sees the revision this share was made of and is told to ask for a new share">"Newer revision"</span>
                })}
                <div class="muted small">{share.tlp.clone()}</div></td>
            <td>{share.created_by.clone()}</td>
            <td>{expires}<div class="muted small">{format!("max {limit} accesses")}</div></td>
            <td class="num" data-testid="access-count">{format!("{} / {limit}", share.access_count)}</td>
            <td data-testid="status"><StatusBadge status=share.status.clone()/></td>
            <td data-testid="response">{if share.responses > 0 {
                view! { <a href=format!("/console/share/{}", share.id)>{format!("Responded ({})", share.responses)}</a> }.into_any()
            } else if share.awaiting_response {
                view! { <span class="muted">"Awaiting"</span> }.into_any()
            } else {
                view! { <span class="muted" title="View only: the guest cannot respond">"—"</span> }.into_any()
            }}</td>
            <td class="small">{match share.last_activity_at.clone() {
                Some(at) => view! { <LocalTime at/> }.into_any(),
                None => "—".into_any(),
            }}</td>
            <td class="actions">
                {(active && share.link_available).then(|| view! { <LinkActions id=share.id.clone()/> })}
                {active.then(|| view! { <RevokeButton action=revoke id=share.id.clone() recipient=share.recipient_name.clone()/> })}
            </td>
        </tr>
    }
}

/// Copy the link again, or re-send the invitation (both audited; the link never changes).
#[component]
fn LinkActions(id: String) -> AnyView {
    let copy = ServerAction::<CopyShareLink>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let link = move || copy.value().get().and_then(|r| r.ok());
    // The link goes to the clipboard as it arrives (still within the click's activation);
    // where the browser refuses, it stays selectable beside the button.
    let (copied, set_copied) = signal(None::<bool>);
    Effect::new(move |_| {
        if let Some(url) = link() {
            crate::components::write_clipboard(&url, move |ok| set_copied.set(Some(ok)));
        }
    });
    let error = move || {
        copy.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| resend.value().get().and_then(|r| r.err()))
            .map(|e| crate::error_text(&e))
    };
    let sent = move || resend.value().get().is_some_and(|r| r.is_ok());
    let id2 = id.clone();
    view! {
        <ActionForm action=copy attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="id" value=id2/>
            <button type="submit" class="btn btn-link" data-testid="copy-link">"Copy link"</button>
        </ActionForm>
        <ActionForm action=resend attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="btn btn-link" data-testid="resend">"Re-send"</button>
        </ActionForm>
        {move || link().map(|url| view! {
            <input class="link" readonly value=url data-testid="copied-link" aria-label="The share's link"/>
            <span class="muted small" role="status" data-testid="link-copied">
                {move || copied.get().map(|ok| if ok { "Copied to the clipboard." } else { "Select the link and copy it." })}
            </span>
        })}
        {move || sent().then(|| view! { <span class="muted small">"Invitation sent again."</span> })}
        {move || error().map(|e| view! { <span class="error small">{e}</span> })}
    }
    .into_any()
}

/// What a query value keeps as it is: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value.
fn url_encode(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, QUERY_VALUE).to_string()
}
