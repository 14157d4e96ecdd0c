//! `/console/audit/trace`: "Trace a leak". Staff choose a screenshot, photo or scan of a
//! page that got out; the marks baked into every watermarked page name the view it came
//! from — share, document, recipient, when. Each trace is audited.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::audit::TraceLeak;
use crate::types::TracedViewRow;

#[component]
pub fn TraceLeakPage() -> impl IntoView {
    let trace = ServerAction::<TraceLeak>::new();
    let reading = RwSignal::new(false);
    let csrf = move || {
        use_context::<crate::types::CurrentUser>()
            .map(|u| u.csrf)
            .unwrap_or_default()
    };
    // A picture the browser could not read (moved or changed since it was chosen).
    let unreadable = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(file) = crate::picked_file::from_event(&ev) {
            use base64::Engine;
            reading.set(true);
            unreadable.set(None);
            let csrf = csrf();
            leptos::task::spawn_local(async move {
                let read = crate::picked_file::bytes(&file).await;
                reading.set(false);
                match read {
                    Ok(bytes) => {
                        trace.dispatch(TraceLeak {
                            csrf,
                            picture: base64::engine::general_purpose::STANDARD.encode(bytes),
                        });
                    }
                    Err(e) => unreadable.set(Some(e)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, csrf, reading);
    };
    view! {
        <Title text="Trace a leak · Liaison"/>
        <h1>"Trace a leak"</h1>
        <p class="muted">"Every page a guest is shown with a watermark carries marks of the view it was served in. Choose a screenshot, photo or scan of a page that got out: Liaison names the share, the recipient and when they opened it. Each trace is recorded in the audit log."</p>
        <section class="panel form-grid">
            <label>"Picture of the page (PNG, JPEG, GIF or WebP, at most 20 MB)"
                <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" on:change=on_file data-testid="leak-picture"/>
            </label>
        </section>
        {move || (reading.get() || trace.pending().get()).then(|| view! {
            <p class="loading" role="status">"Looking for marks…"</p>
        })}
        {move || unreadable.get().map(|e| view! { <p class="error" role="alert" data-testid="trace-error">{e}</p> })}
        {move || trace.value().get().map(|r| match r {
            Err(e) => view! { <p class="error" role="alert" data-testid="trace-error">{crate::error_text(&e)}</p> }.into_any(),
            Ok(views) if views.is_empty() => view! {
                <p class="notice-warn" role="status" data-testid="trace-none">"No mark of this organisation was found. Try a sharper or larger picture of the page, with more of it in view."</p>
            }.into_any(),
            Ok(views) => view! {
                <section class="panel" data-testid="trace-result">
                    <h2>"This page came from"</h2>
                    <table>
                        <thead><tr><th>"Recipient"</th><th>"Document"</th><th>"Opened"</th><th>"Share"</th></tr></thead>
                        <tbody>{views.into_iter().map(traced_row).collect_view()}</tbody>
                    </table>
                </section>
            }.into_any(),
        })}
    }
}

fn traced_row(v: TracedViewRow) -> impl IntoView {
    view! {
        <tr data-testid="traced-view">
            <td>{v.recipient_name}<br/><span class="muted small">{v.recipient_email}</span></td>
            <td><a href=format!("/console/documents/{}", v.document_id)>{v.document_title}</a></td>
            <td>{crate::components::local_time(&v.viewed_at)}<br/><span class="muted small">"view "{v.view}</span></td>
            <td><a href=format!("/console/share/{}", v.share_id)>"Open the share"</a></td>
        </tr>
    }
}
