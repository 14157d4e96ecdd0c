//! The browser's end of the live channel (see the module above).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::{Endpoint, FeedKind, LiveDocument, LiveFeed, TYPING_SHOWN_MS};
use crate::types::{AuditRowView, CommentView, PresentViewer, Typing};

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
    /// The page holds a channel (connected or retrying).
    pub static HELD: Cell<bool> = const { Cell::new(false) };
    static SOCKET: RefCell<Option<web_sys::WebSocket>> = const { RefCell::new(None) };
    /// The socket said `ready` (for the page's share): follows may be sent.
    static READY: Cell<bool> = const { Cell::new(false) };
    /// The documents the page shows live, with what it keeps of each.
    static FOLLOWED: RefCell<Vec<(String, LiveDocument)>> = const { RefCell::new(Vec::new()) };
    /// The activity feeds the page shows live.
    static WATCHED: RefCell<Vec<Watched>> = const { RefCell::new(Vec::new()) };
    /// When this page last said it was typing (ms since the epoch).
    static TYPED_AT: Cell<f64> = const { Cell::new(0.0) };
}

/// One activity feed the page shows live.
#[derive(Clone)]
struct Watched {
    kind: FeedKind,
    id: String,
    event_type: Option<String>,
    live: LiveFeed,
}

/// What the channel sends about a followed document or a watched feed.
#[derive(serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum About {
    /// Changes to its comments, in order.
    Comments {
        document: String,
        items: Vec<CommentView>,
    },
    Presence {
        document: String,
        viewers: Vec<PresentViewer>,
    },
    Typing {
        document: String,
        thread: Option<String>,
        who: PresentViewer,
    },
    /// New audit events of a watched feed, newest first.
    Activity {
        feed: FeedKind,
        id: String,
        items: Vec<AuditRowView>,
        truncated: bool,
    },
}

pub fn follow(document: String, live: LiveDocument) {
    FOLLOWED.with(|f| {
        let mut f = f.borrow_mut();
        f.retain(|(d, _)| *d != document);
        f.push((document.clone(), live));
    });
    if READY.with(Cell::get) {
        send_follow(&document, live);
    }
}

pub fn watch(kind: FeedKind, id: String, event_type: Option<String>, live: LiveFeed) {
    let w = Watched {
        kind,
        id,
        event_type,
        live,
    };
    WATCHED.with(|list| {
        let mut list = list.borrow_mut();
        list.retain(|x| !(x.kind == w.kind && x.id == w.id));
        list.push(w.clone());
    });
    if READY.with(Cell::get) {
        send_watch(&w);
    }
}

pub fn unwatch(kind: FeedKind, id: &str, live: LiveFeed) {
    let removed = WATCHED.with(|list| {
        let mut list = list.borrow_mut();
        let before = list.len();
        list.retain(|x| !(x.kind == kind && x.id == id && x.live.is(&live)));
        list.len() < before
    });
    if removed && READY.with(Cell::get) {
        send(&serde_json::json!({ "type": "unwatch", "feed": kind, "id": id }));
    }
}

fn send_watch(w: &Watched) {
    send(
        &serde_json::json!({ "type": "watch", "feed": w.kind, "id": w.id,
        "event_type": w.event_type, "after": w.live.last_seq() }),
    );
}

pub fn typing(document: &str, thread: Option<&str>) {
    let now = js_sys::Date::now();
    if !READY.with(Cell::get) || now - TYPED_AT.with(Cell::get) < 2_000.0 {
        return;
    }
    TYPED_AT.with(|t| t.set(now));
    send(&serde_json::json!({ "type": "typing", "document": document, "thread": thread }));
}

pub fn unfollow(document: &str) {
    FOLLOWED.with(|f| f.borrow_mut().retain(|(d, _)| d != document));
    if READY.with(Cell::get) {
        send(&serde_json::json!({ "type": "unfollow", "document": document }));
    }
}

fn send(message: &serde_json::Value) {
    SOCKET.with(|s| {
        if let Some(socket) = s.borrow().as_ref() {
            let _ = socket.send_with_str(&message.to_string());
        }
    });
}

fn send_follow(document: &str, live: LiveDocument) {
    let after = live.book.with_untracked(|b| b.last_rev);
    send(&serde_json::json!({ "type": "follow", "document": document, "after": after }));
}

/// The channel is ready: follow every registered document from its book's last change.
fn follow_all() {
    READY.with(|r| r.set(true));
    let followed = FOLLOWED.with(|f| f.borrow().clone());
    for (document, live) in followed {
        send_follow(&document, live);
    }
    let watched = WATCHED.with(|w| w.borrow().clone());
    for w in &watched {
        send_watch(w);
    }
}

fn live_of(document: &str) -> Option<LiveDocument> {
    FOLLOWED.with(|f| {
        f.borrow()
            .iter()
            .find(|(d, _)| d == document)
            .map(|(_, l)| *l)
    })
}

fn apply(text: &str) {
    let Ok(about) = serde_json::from_str::<About>(text) else {
        return;
    };
    match about {
        About::Comments { document, items } => {
            if let Some(live) = live_of(&document) {
                live.book.update(|b| {
                    b.apply(items);
                });
            }
        }
        About::Activity {
            feed,
            id,
            items,
            truncated,
        } => {
            let live = WATCHED.with(|w| {
                w.borrow()
                    .iter()
                    .find(|x| x.kind == feed && x.id == id)
                    .map(|x| x.live)
            });
            if let Some(live) = live {
                live.arrive(items, truncated);
            }
        }
        About::Presence { document, viewers } => {
            if let Some(live) = live_of(&document) {
                live.viewers.set(viewers);
            }
        }
        About::Typing {
            document,
            thread,
            who,
        } => {
            let Some(live) = live_of(&document) else {
                return;
            };
            let now = js_sys::Date::now();
            live.typing.update(|t| {
                t.retain(|x| x.until > now && !(x.who == who && x.thread == thread));
                t.push(Typing {
                    who,
                    thread,
                    until: now + TYPING_SHOWN_MS,
                });
            });
            // Gone once it has run out, unless renewed meanwhile.
            set_timeout(
                move || {
                    live.typing
                        .update(|t| t.retain(|x| x.until > js_sys::Date::now()))
                },
                Duration::from_millis(TYPING_SHOWN_MS as u64 + 50),
            );
        }
    }
}

pub fn release() {
    GENERATION.with(|g| g.set(g.get() + 1));
    HELD.with(|h| h.set(false));
    READY.with(|r| r.set(false));
    FOLLOWED.with(|f| f.borrow_mut().clear());
    WATCHED.with(|w| w.borrow_mut().clear());
    if let Some(socket) = SOCKET.with(|s| s.borrow_mut().take()) {
        socket.set_onclose(None);
        socket.set_onmessage(None);
        socket.set_onopen(None);
        let _ = socket.close_with_code(1000);
    }
}

fn reload() {
    HELD.with(|h| h.set(false));
    let _ = window().location().reload();
}

pub fn connect(endpoint: Rc<Endpoint>, attempt: u32) {
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
    let path = match &*endpoint {
        Endpoint::Portal { .. } => "/api/portal/live",
        Endpoint::Console => "/api/console/live",
    };
    let Ok(socket) = web_sys::WebSocket::new(&format!("{scheme}://{host}{path}")) else {
        return;
    };
    let opened_at = Rc::new(Cell::new(None::<f64>));
    let on_open = {
        let opened_at = opened_at.clone();
        Closure::<dyn FnMut()>::new(move || opened_at.set(Some(js_sys::Date::now())))
    };
    let on_message = {
        let endpoint = endpoint.clone();
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
            match field("type").as_deref() {
                Some("ready") => match &*endpoint {
                    Endpoint::Portal { share_id, .. }
                        if field("share").as_deref() != Some(share_id.as_str()) =>
                    {
                        // Another share's session: this page is not that share's.
                        release();
                        reload();
                    }
                    _ => follow_all(),
                },
                Some("comments" | "presence" | "typing" | "activity") => apply(&text),
                _ => {}
            }
        })
    };
    let on_close =
        Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |ev: web_sys::CloseEvent| {
            SOCKET.with(|s| s.borrow_mut().take());
            READY.with(|r| r.set(false));
            if GENERATION.with(Cell::get) != generation {
                return;
            }
            let healthy = opened_at
                .get()
                .is_some_and(|at| js_sys::Date::now() - at >= HEALTHY_AFTER_MS);
            let attempt = if healthy { 0 } else { attempt + 1 };
            let portal_ended = match &*endpoint {
                Endpoint::Portal { ended, .. } => Some(*ended),
                Endpoint::Console => None,
            };
            match (ev.code(), portal_ended) {
                (REVOKED, Some(ended)) => ended.set(Some("This link has been revoked.")),
                (EXPIRED, Some(ended)) => ended.set(Some("This link has expired.")),
                (NOT_ALLOWED | SIGNED_OUT, _) => reload(),
                (1003 | 1007 | 1008 | 1009, _) => {}
                (code, _) => {
                    let endpoint = endpoint.clone();
                    let delay = if code == SESSION_ENDED {
                        0.0
                    } else {
                        backoff(attempt)
                    };
                    set_timeout(
                        move || retry(endpoint, attempt, generation),
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

/// Reconnects unless the page has moved on meanwhile; a portal page first renews its
/// session (re-checking the share).
fn retry(endpoint: Rc<Endpoint>, attempt: u32, generation: u64) {
    if GENERATION.with(Cell::get) != generation {
        return;
    }
    if matches!(*endpoint, Endpoint::Console) {
        return connect(endpoint, attempt);
    }
    leptos::task::spawn_local(async move {
        match crate::server_fns::portal::renew_portal_session().await {
            _ if GENERATION.with(Cell::get) != generation => {}
            Ok(true) => connect(endpoint, attempt),
            // The share no longer opens: the page says why.
            Ok(false) => reload(),
            // Offline or the server is away: wait and try again.
            Err(_) => set_timeout(
                move || retry(endpoint, attempt + 1, generation),
                Duration::from_millis(backoff(attempt + 1) as u64),
            ),
        }
    });
}
