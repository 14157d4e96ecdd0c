use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::portal::load_portal;
use crate::types::{human_size, PortalItemView, PortalView};

/// `/portal`: the items of the guest's share, in a view-only viewer.
#[component]
pub fn PortalPage() -> impl IntoView {
    let view_ = Resource::new(|| (), |_| load_portal());
    view! {
        <Title text="Shared content · Liaison"/>
        <main class="portal">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match view_.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(PortalView::Closed { message }) => view! {
                            <div class="guest-card"><h1 data-testid="portal-closed">{message}</h1></div>
                        }.into_any(),
                        Ok(PortalView::Open { recipient_name, items }) => view! {
                            <header class="portal-head">
                                <span class="brand">"Liaison"</span>
                                <span class="muted">{format!("Shared with {recipient_name}")}</span>
                            </header>
                            {items.into_iter().map(|i| view! { <Item item=i/> }).collect_view()}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Item(item: PortalItemView) -> impl IntoView {
    let src = format!("/api/portal/items/{}/content", item.id);
    let viewer = if item.content_type.starts_with("image/") {
        view! { <img class="viewer-img" src=src alt=item.title.clone()/> }.into_any()
    } else {
        view! { <iframe class="viewer-frame" src=src title=item.title.clone()></iframe> }.into_any()
    };
    view! {
        <section class="item" data-testid="portal-item">
            <h1>{item.title.clone()}</h1>
            <p class="muted small">{format!("{} · {}", item.file_name, human_size(item.size_bytes))}</p>
            {viewer}
        </section>
    }
}
