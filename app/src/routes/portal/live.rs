//! The open portal page's live channel (`/api/portal/live`, see the server's `live`
//! module): the page holds one WebSocket while it shows the share, and empties itself the
//! moment the server closes it as revoked — no reload, nothing of the content left on the
//! page.
//!
//! Other closes: when the portal session ran out (4002) the page renews it and reconnects;
//! when the connection dropped it asks for a renewal (which re-checks the share as it is
//! now) and reconnects with backoff, or reloads to show why the share no longer opens. A
//! close for the page's own bad input (1003, 1007–1009) is not retried.

use leptos::prelude::*;

/// What the page shows once the share has stopped opening.
pub type Ended = RwSignal<Option<&'static str>>;

/// Close codes the server sends (see the server's `live::close`).
#[cfg(feature = "hydrate")]
const REVOKED: u16 = 4001;
#[cfg(feature = "hydrate")]
const SESSION_ENDED: u16 = 4002;

/// Opens the live channel; `ended` is set when the share is revoked. Browser only.
pub fn hold(ended: Ended) {
    #[cfg(feature = "hydrate")]
    connect(ended, 0);
    #[cfg(not(feature = "hydrate"))]
    let _ = ended;
}

#[cfg(feature = "hydrate")]
fn connect(ended: Ended, attempt: u32) {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let location = window().location();
    let scheme = match location.protocol().ok().as_deref() {
        Some("https:") => "wss",
        _ => "ws",
    };
    let Ok(host) = location.host() else {
        return;
    };
    let Ok(socket) = web_sys::WebSocket::new(&format!("{scheme}://{host}/api/portal/live")) else {
        return;
    };
    let opened = Rc::new(Cell::new(false));
    let on_open = {
        let opened = opened.clone();
        Closure::<dyn FnMut()>::new(move || opened.set(true))
    };
    let on_close =
        Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |ev: web_sys::CloseEvent| {
            // A socket that was open starts its backoff over.
            let attempt = if opened.get() { 0 } else { attempt + 1 };
            match ev.code() {
                REVOKED => ended.set(Some("This link has been revoked.")),
                1003 | 1007 | 1008 | 1009 => {}
                code => leptos::task::spawn_local(async move {
                    let delay = if code == SESSION_ENDED {
                        0
                    } else {
                        1_000 * 2u64.pow(attempt.min(5))
                    };
                    match crate::server_fns::portal::renew_portal_session().await {
                        Ok(true) => set_timeout(
                            move || connect(ended, attempt),
                            std::time::Duration::from_millis(delay),
                        ),
                        // The share no longer opens: the page says why.
                        Ok(false) => {
                            let _ = window().location().reload();
                        }
                        // Offline: try again later.
                        Err(_) => set_timeout(
                            move || connect(ended, attempt + 1),
                            std::time::Duration::from_millis(delay.max(1_000)),
                        ),
                    }
                }),
            }
        });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    // The socket owns its handlers for its lifetime (one pair per connection).
    on_open.forget();
    on_close.forget();
}
