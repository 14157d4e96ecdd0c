use crate::components::{GuestFrame, LiveComments, Voice};
use leptos::prelude::*;

use super::page_viewer::PageViewer;
use crate::server_fns::portal::{load_portal, renew_portal_session, report_print_attempt};
use crate::types::{human_size, CommentsAccess, PortalItemView, PortalView};

/// `/portal`: the items of the guest's share, in a view-only viewer.
#[component]
pub fn PortalPage() -> impl IntoView {
    let view_ = Resource::new(|| (), |_| load_portal());
    // After "Sign out" (here or everywhere) the page says so above the closed portal.
    let query = leptos_router::hooks::use_query_map();
    let signed_out = move || {
        query.read_untracked().get("signed_out").map(|w| {
            if w == "everywhere" {
                "You have signed out in every browser."
            } else {
                "You have signed out."
            }
        })
    };
    // Silent renewal: sessions last at most 15 minutes; renew every 10 while the page is
    // open. When renewal is refused (revoked, expired, policy), reload to show why.
    Effect::new(move |_| {
        let _ = set_interval_with_handle(
            || {
                leptos::task::spawn_local(async {
                    if let Ok(false) = renew_portal_session().await {
                        let _ = window().location().reload();
                    }
                });
            },
            std::time::Duration::from_secs(600),
        );
    });
    // The live channel, while the share is open: revocation empties the page at once.
    let ended: crate::live::Ended = RwSignal::new(None);
    let live = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(Ok(PortalView::Open { share_id, .. })) = view_.get() {
            if !live.get_value() {
                live.set_value(true);
                crate::live::hold(crate::live::Endpoint::Portal { share_id, ended });
            }
        }
    });
    on_cleanup(crate::live::release);
    // Print attempts are audited (the print stylesheet blanks the content where printing
    // is not allowed).
    Effect::new(move |_| {
        let handle = window_event_listener_untyped("beforeprint", |_| {
            leptos::task::spawn_local(async {
                let _ = report_print_attempt().await;
            });
        });
        on_cleanup(move || handle.remove());
    });
    view! {
            <Suspense fallback=|| view! { <main class="portal"><p class="loading">"Loading…"</p></main> }>
                {move || Suspend::new(async move {
                    match view_.await {
                        Err(e) => view! { <main class="portal"><p class="error">{crate::error_text(&e)}</p></main> }.into_any(),
                        Ok(portal) => {
                            let portal = StoredValue::new(portal);
                            // Revoked while open: the closed card replaces the content.
                            (move || match ended.get() {
                                Some(message) => {
                                    let brand = portal.with_value(PortalView::brand);
                                    portal_view(PortalView::Closed { brand, message: message.into() }, None)
                                }
                                None => portal_view(portal.get_value(), signed_out()),
                            }).into_any()
                        }
                    }
                })}
            </Suspense>
    }
}

/// The page for `portal`: its items, or why it is closed (with `signed_out`'s note).
fn portal_view(portal: PortalView, signed_out: Option<&'static str>) -> AnyView {
    match portal {
        PortalView::Closed { brand, message } => view! {
            <GuestFrame brand title="Shared content"><main class="guest-card">
                {signed_out.map(|s| view! { <p class="notice" role="status" data-testid="signed-out">{s}</p> })}
                <h1 data-testid="portal-closed">{message}</h1>
            </main></GuestFrame>
        }.into_any(),
        PortalView::Open { share_id: _, brand, recipient_name, tlp, instructions, allow_download, allow_print, can_respond, can_attach, responses, record, items } => view! {
            <GuestFrame brand title="Shared content"><main class="portal">
            <header class="portal-head">
                <span class="tlp" data-testid="tlp">{tlp}</span>
                <nav class="portal-nav" aria-label="Your shares">
                    <span class="muted">{format!("Shared with {recipient_name}")}</span>
                    <a href="/portal/home" data-testid="home-link">"Shared with you"</a>
                </nav>
            </header>
            {(!instructions.is_empty()).then(|| view! {
                <section class="instructions" data-testid="instructions"><h2>"Instructions"</h2><p>{instructions}</p></section>
            })}
            <div class=if allow_print { "portal-body" } else { "portal-body no-print" }>
                {(!allow_print).then(|| view! { <p class="print-blocked">"Printing is not allowed for this content."</p> })}
                {record.map(|record| view! { <super::record_view::SharedRecord record=*record allow_download/> })}
                {items.into_iter().map(|i| view! { <Item item=i allow_download allow_print can_comment=can_respond/> }).collect_view()}
            </div>
            {can_respond.then(|| view! { <Respond can_attach responses/> })}
            </main></GuestFrame>
        }.into_any(),
    }
}

/// The response form (a plain multipart form: it works without wasm) and what was sent.
#[component]
fn Respond(can_attach: bool, responses: Vec<(String, String, String)>) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let responded = move || query.read().get("responded").is_some();
    view! {
        <section class="respond" data-testid="respond">
            <h2>"Your response"</h2>
            {move || responded().then(|| view! { <p class="notice" role="status" data-testid="responded">"Thank you: your response was sent."</p> })}
            <crate::components::FlashError testid="response-error"/>
            {(!responses.is_empty()).then(|| view! {
                <ul class="responses">
                    {responses.into_iter().map(|(decision, comment, at)| view! {
                        <li><strong>{decision}</strong>" · "{crate::components::local_time(&at)}<div>{comment}</div></li>
                    }).collect_view()}
                </ul>
            })}
            <form method="post" action="/portal/responses" enctype="multipart/form-data" class="form-grid">
                <fieldset>
                    <legend>"Decision"</legend>
                    <label class="check"><input type="radio" name="decision" value="approve" required/>" Approve"</label>
                    <label class="check"><input type="radio" name="decision" value="approve_with_comments"/>" Approve with comments"</label>
                    <label class="check"><input type="radio" name="decision" value="reject"/>" Reject"</label>
                </fieldset>
                <label>"Comment" <textarea name="comment" rows="4" maxlength="10000" data-testid="response-comment"></textarea></label>
                {can_attach.then(|| view! {
                    <label>"Attachments (up to 5: PDF, images, text)" <input type="file" name="attachment" multiple/></label>
                })}
                <button type="submit" class="btn btn-primary" data-testid="send-response">"Send response"</button>
            </form>
        </section>
    }
}

#[component]
fn Item(
    item: PortalItemView,
    allow_download: bool,
    allow_print: bool,
    can_comment: bool,
) -> impl IntoView {
    // The item's comments, kept live; shown where the guest may write or has something
    // to read.
    let comments = item.comments.clone().and_then(|first| {
        let readable = first.items.iter().any(|c| c.deleted.is_none());
        (can_comment || readable).then(|| {
            let access = CommentsAccess {
                may_write: can_comment,
                may_moderate: false,
                shares: Vec::new(),
            };
            view! { <LiveComments document=item.id.clone() voice=Voice::Guest access first/> }
        })
    });
    view! {
        <section class="item" data-testid="portal-item">
            <h1>{item.title.clone()}</h1>
            <p class="muted small">{format!("{} · {}", item.file_name, human_size(item.size_bytes))}</p>
            <p class="muted small hash" data-testid="sha256">"SHA-256 "<code>{item.sha256.clone()}</code></p>
            {item.revised.then(|| view! {
                <p class="notice-warn" role="note" data-testid="revised">"This document has been revised since it was shared with you — ask the sender for a new share."</p>
            })}
            <div class="viewer">
                <PageViewer item_id=item.id.clone() title=item.title.clone() allow_print/>
            </div>
            {allow_download.then(|| view! {
                <p><a class="btn" href=format!("/api/portal/items/{}/content?download=1", item.id) rel="external" data-testid="download">"Download"</a></p>
            })}
            {comments}
        </section>
    }
}
