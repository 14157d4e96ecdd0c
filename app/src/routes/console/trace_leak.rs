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
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use base64::Engine;
            use wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                reading.set(true);
                let csrf = csrf();
                leptos::task::spawn_local(async move {
                    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
                    reading.set(false);
                    if let Ok(buffer) = buffer {
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        trace.dispatch(TraceLeak {
                            csrf,
                            picture: base64::engine::general_purpose::STANDARD.encode(bytes),
                        });
                    }
                });
            }
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
