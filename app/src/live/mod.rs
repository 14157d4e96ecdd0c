//! A page's live channel (see the server's `live` module): the page holds one WebSocket
//! while it is open — the portal page on `/api/portal/live`, console pages on
//! `/api/console/live`.
//!
//! The portal page empties itself the moment the server closes its socket as revoked
//! (4001) or expired (4003) — no reload, nothing of the content left on the page. When the
//! guest is no longer admitted from here or signed out (4004, 4005), or the socket speaks
//! for another share than the page shows (another tab opened one since; the portal cookie
//! is one per site), the page reloads and the server says why. When the portal session ran
//! out (4002) the page renews it and reconnects. A console page whose session ended (4005)
//! reloads (to the sign-in page).
//!
//! When the connection dropped the page waits (exponential backoff with jitter) and
//! reconnects — a portal page first asks for a renewal (which re-checks the share as it is
//! now), or reloads to show why the share no longer opens. It gives up after eight
//! failures in a row (and reloads), and a socket counts as healthy only after 30 s open. A
//! close for the page's own bad input (1003, 1007–1009) is not retried. Leaving the page
//! closes the socket and stops the retries ([`release`]).
//!
//! Comments: each document's panel registers its [`LiveDocument`] ([`follow`]); on every
//! (re)connection the page follows each from the last change its book holds, so a dropped
//! connection misses nothing, and the book's idempotent apply doubles nothing. The same
//! handle receives who else is viewing the document and who is typing; [`typing`] tells
//! the others that this viewer is.
//!
//! Activity (console pages of staff who read the audit log): each feed on the page
//! registers its [`LiveFeed`] ([`watch`]); on every (re)connection the page watches it
//! from the newest event it shows, and new events are put in front, each once.

use leptos::prelude::*;

use crate::types::{AuditRowView, CommentBook, PresentViewer, Typing};

/// What the channel keeps up to date about one followed document.
#[derive(Clone, Copy, Debug)]
pub struct LiveDocument {
    pub book: RwSignal<CommentBook>,
    /// Who else is viewing it now.
    pub viewers: RwSignal<Vec<PresentViewer>>,
    /// Who is typing in its comments (each for a few seconds after they last typed).
    pub typing: RwSignal<Vec<Typing>>,
}

impl LiveDocument {
    pub fn new(book: CommentBook) -> Self {
        Self {
            book: RwSignal::new(book),
            viewers: RwSignal::new(Vec::new()),
            typing: RwSignal::new(Vec::new()),
        }
    }
}

/// A console page's live view of the audit events of one share or document.
#[derive(Clone, Copy, Debug)]
pub struct LiveFeed {
    /// Newest first.
    pub events: RwSignal<Vec<AuditRowView>>,
    /// The ids of events that arrived live (shown as new).
    pub arrived: RwSignal<Vec<String>>,
    /// More events arrived at once than the channel sent: the audit log has the rest.
    pub truncated: RwSignal<bool>,
    /// Tells this feed from the one that replaces it (a new filter): going away, it stops
    /// only itself.
    serial: u64,
}

impl LiveFeed {
    pub fn new(events: Vec<AuditRowView>) -> Self {
        Self {
            events: RwSignal::new(events),
            arrived: RwSignal::new(Vec::new()),
            truncated: RwSignal::new(false),
            serial: {
                use std::sync::atomic::{AtomicU64, Ordering};
                static NEXT: AtomicU64 = AtomicU64::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed)
            },
        }
    }

    /// Whether `other` is this very feed (not one that replaced it).
    pub fn is(&self, other: &LiveFeed) -> bool {
        self.serial == other.serial
    }

    /// The newest chain position the feed shows.
    pub fn last_seq(&self) -> i64 {
        self.events
            .with_untracked(|e| e.iter().filter_map(|e| e.seq).max().unwrap_or(0))
    }

    /// Puts `items` (newest first) in front of what the feed shows, each event once, and
    /// keeps at most [`FEED_SHOWN`].
    pub fn arrive(&self, items: Vec<AuditRowView>, truncated: bool) {
        let mut fresh = Vec::new();
        self.events.update(|shown| {
            let mut items: Vec<AuditRowView> = items
                .into_iter()
                .filter(|i| !shown.iter().any(|e| e.id == i.id))
                .collect();
            items.sort_by_key(|i| std::cmp::Reverse(i.seq));
            fresh = items.iter().map(|i| i.id.clone()).collect();
            items.append(shown);
            items.truncate(FEED_SHOWN);
            *shown = items;
        });
        if !fresh.is_empty() {
            self.arrived.update(|a| a.extend(fresh));
        }
        if truncated {
            self.truncated.set(true);
        }
    }
}

/// Events a live feed shows at most (the audit log has the rest).
pub const FEED_SHOWN: usize = 500;

/// What a feed follows: a share's events or a document's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    Share,
    Document,
}

/// How long "… is typing" shows after the last notice (the sender repeats it every 2 s
/// while typing).
pub const TYPING_SHOWN_MS: f64 = 5_000.0;

/// What the portal page shows once the share has stopped opening.
pub type Ended = RwSignal<Option<&'static str>>;

/// Which channel a page holds.
#[derive(Clone, Debug)]
pub enum Endpoint {
    /// The portal page showing `share_id`; `ended` is set when the share is revoked or
    /// expires.
    Portal { share_id: String, ended: Ended },
    /// A console page.
    Console,
}

/// Opens the page's live channel. Browser only.
pub fn hold(endpoint: Endpoint) {
    #[cfg(feature = "hydrate")]
    {
        client::GENERATION.with(|g| g.set(g.get() + 1));
        client::HELD.with(|h| h.set(true));
        client::connect(std::rc::Rc::new(endpoint), 0);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = endpoint;
}

/// Keeps `live` up to date with `document` while the channel is open (its comments from
/// their last change after every reconnection). Browser only.
pub fn follow(document: String, live: LiveDocument) {
    #[cfg(feature = "hydrate")]
    client::follow(document, live);
    #[cfg(not(feature = "hydrate"))]
    let _ = (document, live);
}

/// Tells the others following `document` that this viewer is typing, in `thread` or a new
/// thread (at most once per 2 s; the server also bounds it). Browser only.
pub fn typing(document: &str, thread: Option<&str>) {
    #[cfg(feature = "hydrate")]
    client::typing(document, thread);
    #[cfg(not(feature = "hydrate"))]
    let _ = (document, thread);
}

/// Keeps `live` up to date with the audit events of `kind` `id` (of `event_type`, when
/// given) while the channel is open. Browser only.
pub fn watch(kind: FeedKind, id: String, event_type: Option<String>, live: LiveFeed) {
    #[cfg(feature = "hydrate")]
    client::watch(kind, id, event_type, live);
    #[cfg(not(feature = "hydrate"))]
    let _ = (kind, id, event_type, live);
}

/// Stops keeping `live`, the feed of `kind` `id`, up to date (its view is going away; a
/// feed that replaced it stays). Browser only.
pub fn unwatch(kind: FeedKind, id: &str, live: LiveFeed) {
    #[cfg(feature = "hydrate")]
    client::unwatch(kind, id, live);
    #[cfg(not(feature = "hydrate"))]
    let _ = (kind, id, live);
}

/// Opens the console's live channel unless the page already holds one. Browser only.
pub fn hold_console() {
    #[cfg(feature = "hydrate")]
    if !client::HELD.with(std::cell::Cell::get) {
        hold(Endpoint::Console);
    }
}

/// Stops following `document`'s comments (its panel is going away). Browser only.
pub fn unfollow(document: &str) {
    #[cfg(feature = "hydrate")]
    client::unfollow(document);
    #[cfg(not(feature = "hydrate"))]
    let _ = document;
}

/// Closes the page's socket and stops its retries (the page is going away).
pub fn release() {
    #[cfg(feature = "hydrate")]
    client::release();
}

#[cfg(feature = "hydrate")]
mod client;
