//! The protected viewer: a shared document as page images drawn on the server, each with
//! the share's watermark baked in. The document is opened as a view once the page runs in
//! the browser (the view fixes the watermark's time and is audited); its pages load as the
//! guest scrolls (`loading="lazy"`, laid out ahead from their sizes), at the width the
//! screen needs (its pixel ratio and the zoom), never more than the server's 2,000 pixels.
//! Below the pages, the line baked into them. Where the share allows printing, "Print" loads
//! every page first (a lazy one not yet loaded would print blank), a few at a time and a
//! page the server was too busy for again, then opens the browser's print dialog; the print
//! stylesheet puts one page image on each sheet.

use leptos::prelude::*;

use crate::server_fns::portal::OpenPageView;

/// The zoom steps, in percent of the column's width.
const ZOOMS: [u32; 5] = [75, 100, 125, 150, 200];
/// Pages asked for at once while loading for print, beyond those loaded.
const PRINT_AHEAD: usize = 6;

#[component]
pub fn PageViewer(item_id: String, title: String, allow_print: bool) -> impl IntoView {
    let open = ServerAction::<OpenPageView>::new();
    let zoom = RwSignal::new(1usize);
    let pages_el = NodeRef::<leptos::html::Div>::new();
    // Printing: set while the pages load for it; `ready` counts the loaded ones, re-read
    // whenever a page image finishes (`loads` ticks).
    let printing = RwSignal::new(false);
    // Once printed from, a printout (this one, or the browser's own later) is this
    // viewer's pages alone: the print stylesheet leaves out everything else.
    let print_target = RwSignal::new(false);
    let loads = RwSignal::new(0u32);
    let ready = RwSignal::new(0usize);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        loads.track();
        if !printing.get() {
            return;
        }
        let (done, total) = pages_el.get().map(|el| loaded_pages(&el)).unwrap_or((0, 1));
        ready.set(done);
        if done == total {
            printing.set(false);
            let _ = window().print();
        }
    });
    // The column's width in device pixels, read in the browser (the server never runs it).
    let base_px = RwSignal::new(1200u32);
    let id = item_id.clone();
    Effect::new(move |_| {
        let w = window();
        let css = w
            .inner_width()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(1000.0)
            .min(960.0);
        base_px.set(((css - 32.0).max(320.0) * w.device_pixel_ratio()) as u32);
        open.dispatch(OpenPageView {
            item_id: id.clone(),
        });
    });
    let step = move |by: isize| {
        zoom.update(|z| *z = (*z as isize + by).clamp(0, ZOOMS.len() as isize - 1) as usize)
    };
    let id = item_id.clone();
    view! {
        <div class=move || format!("page-viewer zoom-{}", ZOOMS[zoom.get()]) data-testid="page-viewer"
            data-print-target=move || print_target.get().then_some("")>
            <div class="page-tools" role="toolbar" aria-label=format!("Pages of {title}")>
                <button type="button" class="btn" aria-label="Zoom out" disabled=move || zoom.get() == 0 on:click=move |_| step(-1)>"−"</button>
                <span class="muted small" aria-live="polite" data-testid="zoom">{move || format!("{} %", ZOOMS[zoom.get()])}</span>
                <button type="button" class="btn" aria-label="Zoom in" disabled=move || zoom.get() + 1 == ZOOMS.len() on:click=move |_| step(1)>"+"</button>
                <button type="button" class="btn" on:click=move |_| zoom.set(1)>"Fit width"</button>
                {allow_print.then(|| view! {
                    <button type="button" class="btn" data-testid="print" disabled=move || printing.get() || !matches!(open.value().get(), Some(Ok(_)))
                        on:click=move |_| {
                            print_target.set(true);
                            printing.set(true);
                        }>"Print"</button>
                    <span class="muted small" aria-live="polite" data-testid="print-progress">{move || printing.get().then(|| {
                        let total = open.value().with(|v| v.as_ref().and_then(|v| v.as_ref().ok()).map_or(0, |v| v.pages.len()));
                        format!("Preparing pages for printing: {} of {total}", ready.get())
                    })}</span>
                })}
            </div>
            {move || match open.value().get() {
                None => view! { <p class="loading">"Preparing the pages…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert" data-testid="viewer-error">{crate::error_text(&e)}</p> }.into_any(),
                Some(Ok(v)) => {
                    let total = v.pages.len();
                    let id = id.clone();
                    view! {
                        <div class="pages" node_ref=pages_el data-watermarked=v.watermark.is_some().to_string()>
                            {v.pages.iter().enumerate().map(|(i, &(w, h))| {
                                let n = i + 1;
                                let (id, view_id) = (id.clone(), v.view.clone());
                                let src = move || format!(
                                    "/api/portal/items/{id}/pages/{n}?view={view_id}&w={}",
                                    base_px.get() * ZOOMS[zoom.get()] / 100
                                );
                                view! {
                                    <img class="page" src=src decoding="async"
                                        loading=move || if printing.get() && i < ready.get() + PRINT_AHEAD { "eager" } else { "lazy" }
                                        on:load=move |_| loads.update(|n| *n += 1)
                                        on:error=move |ev| {
                                            loads.update(|n| *n += 1);
                                            #[cfg(feature = "hydrate")]
                                            if printing.get_untracked() {
                                                ask_again(&ev);
                                            }
                                            #[cfg(not(feature = "hydrate"))]
                                            let _ = ev;
                                        }
                                        width=w.round() as u32 height=h.round() as u32
                                        alt=format!("Page {n} of {total}") data-testid="page"/>
                                }
                            }).collect_view()}
                        </div>
                        {v.watermark.clone().map(|w| view! {
                            <p class="muted small" data-testid="watermark">"Every page is marked for you: "{w}</p>
                        })}
                    }.into_any()
                }
            }}
        </div>
    }
}

/// How many of the page images in `pages` are loaded and drawable, of how many (a page
/// that failed to load holds the print back: better no printout than one with a blank).
#[cfg(feature = "hydrate")]
fn loaded_pages(pages: &web_sys::HtmlDivElement) -> (usize, usize) {
    use wasm_bindgen::JsCast;
    let images = pages.children();
    let total = images.length() as usize;
    let done = (0..images.length())
        .filter_map(|i| images.item(i))
        .filter_map(|e| e.dyn_into::<web_sys::HtmlImageElement>().ok())
        .filter(|img| img.complete() && img.natural_width() > 0)
        .count();
    (done, total)
}

/// Asks for the page image an `error` event came from again, two seconds on (the server
/// answers "busy" rather than queue without bound; printing waits for every page).
#[cfg(feature = "hydrate")]
fn ask_again(ev: &web_sys::Event) {
    use wasm_bindgen::JsCast;
    let Some(img) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlImageElement>().ok())
    else {
        return;
    };
    let src = img.src();
    set_timeout(move || img.set_src(&src), std::time::Duration::from_secs(2));
}
