//! The open portal page's live channel (`/api/portal/live`, see the server's `live`
//! module): the page holds one WebSocket while it shows the share, and empties itself the
//! moment the server closes it as revoked (4001) or expired (4003) — no reload, nothing of
//! the content left on the page. When the guest is no longer admitted from here or signed
//! out (4004, 4005), or the socket speaks for another share than the page shows (another
//! tab opened one since; the portal cookie is one per site), the page reloads and the
//! server says why.
//!
//! Other closes: when the portal session ran out (4002) the page renews it and reconnects;
//! when the connection dropped it waits (exponential backoff with jitter), asks for a
//! renewal (which re-checks the share as it is now) and reconnects, or reloads to show
//! why the share no longer opens. It gives up after eight failures in a row (and
//! reloads), and a socket counts as healthy only after 30 s open. A
//! close for the page's own bad input (1003, 1007–1009) is not retried. Leaving the page
//! closes the socket and stops the retries ([`release`]).

use leptos::prelude::*;

/// What the page shows once the share has stopped opening.
pub type Ended = RwSignal<Option<&'static str>>;

/// Opens the live channel for the page showing `share_id`; `ended` is set when the share
/// is revoked or expires. Browser only.
pub fn hold(share_id: String, ended: Ended) {
    #[cfg(feature = "hydrate")]
    {
        client::GENERATION.with(|g| g.set(g.get() + 1));
        client::connect(std::rc::Rc::from(share_id), ended, 0);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (share_id, ended);
}

/// Closes the page's socket and stops its retries (the page is going away).
pub fn release() {
    #[cfg(feature = "hydrate")]
    client::release();
}

#[cfg(feature = "hydrate")]
mod client {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    use super::Ended;

    /// Close codes the server sends (see the server's `live::close`).
    const REVOKED: u16 = 4001;
    const SESSION_ENDED: u16 = 4002;
    const EXPIRED: u16 = 4003;
    const NOT_ALLOWED: u16 = 4004;
    const SIGNED_OUT: u16 = 4005;
    /// Failed connections in a row before the page stops trying and reloads.
    pub const MAX_ATTEMPTS: u32 = 8;
    /// A socket open this long resets the backoff.
    pub const HEALTHY_AFTER_MS: f64 = 30_000.0;

    thread_local! {
        /// Bumped by every `hold` and `release`: a retry of an older generation stops.
        pub static GENERATION: Cell<u64> = const { Cell::new(0) };
        static SOCKET: RefCell<Option<web_sys::WebSocket>> = const { RefCell::new(None) };
    }

    pub fn release() {
        GENERATION.with(|g| g.set(g.get() + 1));
        if let Some(socket) = SOCKET.with(|s| s.borrow_mut().take()) {
            socket.set_onclose(None);
            socket.set_onmessage(None);
            socket.set_onopen(None);
            let _ = socket.close_with_code(1000);
        }
    }

    fn reload() {
        let _ = window().location().reload();
    }

    pub fn connect(share_id: Rc<str>, ended: Ended, attempt: u32) {
        let generation = GENERATION.with(Cell::get);
        if attempt >= MAX_ATTEMPTS {
            return reload();
        }
        let location = window().location();
        let scheme = match location.protocol().ok().as_deref() {
            Some("https:") => "wss",
            _ => "ws",
        };
        let Ok(host) = location.host() else {
            return;
        };
        let Ok(socket) = web_sys::WebSocket::new(&format!("{scheme}://{host}/api/portal/live"))
        else {
            return;
        };
        let opened_at = Rc::new(Cell::new(None::<f64>));
        let on_open = {
            let opened_at = opened_at.clone();
            Closure::<dyn FnMut()>::new(move || opened_at.set(Some(js_sys::Date::now())))
        };
        let on_message = {
            let share_id = share_id.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let Some(text) = ev.data().as_string() else {
                    return;
                };
                let Ok(message) = js_sys::JSON::parse(&text) else {
                    return;
                };
                let field = |name: &str| {
                    js_sys::Reflect::get(&message, &name.into())
                        .ok()
                        .and_then(|v| v.as_string())
                };
                let ready = field("type").as_deref() == Some("ready");
                if ready && field("share").as_deref() != Some(&*share_id) {
                    // Another share's session: this page is not that share's.
                    release();
                    reload();
                }
            })
        };
        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |ev: web_sys::CloseEvent| {
                SOCKET.with(|s| s.borrow_mut().take());
                if GENERATION.with(Cell::get) != generation {
                    return;
                }
                let healthy = opened_at
                    .get()
                    .is_some_and(|at| js_sys::Date::now() - at >= HEALTHY_AFTER_MS);
                let attempt = if healthy { 0 } else { attempt + 1 };
                match ev.code() {
                    REVOKED => ended.set(Some("This link has been revoked.")),
                    EXPIRED => ended.set(Some("This link has expired.")),
                    NOT_ALLOWED | SIGNED_OUT => reload(),
                    1003 | 1007 | 1008 | 1009 => {}
                    code => {
                        let share_id = share_id.clone();
                        let delay = if code == SESSION_ENDED {
                            0.0
                        } else {
                            backoff(attempt)
                        };
                        set_timeout(
                            move || retry(share_id, ended, attempt, generation),
                            Duration::from_millis(delay as u64),
                        );
                    }
                }
            });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The socket owns its three handlers for its lifetime.
        on_open.forget();
        on_message.forget();
        on_close.forget();
        SOCKET.with(|s| *s.borrow_mut() = Some(socket));
    }

    /// Up to 1 s × 2^attempt (at most 32 s), with full jitter, so pages that lost the same
    /// node do not come back together.
    fn backoff(attempt: u32) -> f64 {
        let ceiling = 1_000.0 * f64::from(2u32.pow(attempt.min(5)));
        500.0 + js_sys::Math::random() * ceiling
    }

    /// Renews the session (re-checking the share) and reconnects, unless the page has
    /// moved on meanwhile.
    fn retry(share_id: Rc<str>, ended: Ended, attempt: u32, generation: u64) {
        if GENERATION.with(Cell::get) != generation {
            return;
        }
        leptos::task::spawn_local(async move {
            match crate::server_fns::portal::renew_portal_session().await {
                _ if GENERATION.with(Cell::get) != generation => {}
                Ok(true) => connect(share_id, ended, attempt),
                // The share no longer opens: the page says why.
                Ok(false) => reload(),
                // Offline or the server is away: wait and try again.
                Err(_) => set_timeout(
                    move || retry(share_id, ended, attempt + 1, generation),
                    Duration::from_millis(backoff(attempt + 1) as u64),
                ),
            }
        });
    }
}
