//! The live channels: `GET /api/portal/live`, a WebSocket (RFC 6455) that the guest's page
//! holds while it shows the share, and `GET /api/console/live`, the console pages' (staff
//! follow the comments of documents they see; the rest of this note is about guests,
//! whose channel also ends with their share). The server closes it, with a code
//! and reason the page acts on, once the session no longer admits the guest: at once when
//! the share is revoked on any node or what admits its guests changes (a browser
//! rejected: the revocation bus, as the event streams use), and otherwise at the next
//! re-check — every message from the page and every ping ([`PING_EVERY`]) re-runs the
//! request checks (`access::session_standing`: the token, the share's state and expiry,
//! network, device, membership, sign-out).
//!
//! Authentication is the portal session (cookie, or `Authorization: Bearer` for other
//! clients), never a token in the URL, checked against the share at the upgrade. The
//! upgrade must come from the site's own origin: a page of another site cannot open a
//! socket on the guest's cookie (cross-site WebSocket hijacking).
//!
//! Comments: the page follows a document of the share (`{"type":"follow","document":…,
//! "after":N}`), and the server sends every change to the comments that share's guest may
//! read after change N — first what the page missed, then each change as it is made on
//! any node (`{"type":"comments","document":…,"items":[…],"last_rev":M}`, in order, each
//! change once). A page that reconnects follows again from the last change it saw;
//! `{"type":"unfollow","document":…}` stops following one.
//!
//! Presence: following a document makes the viewer present on it until the socket stops
//! following it or ends (`services::presence`); the page is told who is viewing
//! (`{"type":"presence","document":…,"viewers":[…]}`) whenever that changes, as its viewer
//! may see it. `{"type":"typing","document":…,"thread":…}` tells the others (at most once
//! per [`TYPING_EVERY`]), who hear `{"type":"typing","document":…,"thread":…,"who":…}`.
//!
//! Activity (staff who read the audit log): `{"type":"watch","feed":"share"|"document",
//! "id":…,"event_type":…,"after":N}` sends the audit events of that share or document (of
//! that type or group, when given) appended after chain position N, newest first, then
//! each new batch as it is appended on any node (`{"type":"activity","feed":…,"id":…,
//! "items":[…],"last_seq":M,"truncated":…}`; `truncated`: more were appended than one
//! message holds, the oldest are left to the audit log). `{"type":"unwatch",…}` stops.
//!
//! What the server accepts from the page is bounded: text frames of at most
//! [`MAX_MESSAGE_BYTES`] (larger: 1009), valid UTF-8 (else 1007), JSON the protocol knows
//! (else 1008), at most [`MAX_MESSAGES`] per [`RATE_WINDOW`] (else 1008); binary frames
//! are refused (1003). A socket that answers no ping for [`IDLE_AFTER`] is closed.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::time::Instant;

use crate::error::envelope;
use crate::extract::{Meta, StreamingGuest};
use crate::state::AppState;

mod flights;
mod follows;
mod session;
mod watches;

pub use flights::SharedReads;

use follows::Follows;
use session::{Session, Viewer};
use watches::{FeedKind, Watches};

/// The close codes of this channel (4000–4999 are the application's; the rest RFC 6455's).
pub mod close {
    /// The share was revoked.
    pub const REVOKED: u16 = 4001;
    /// The portal session's token ran out: renew it and reconnect.
    pub const SESSION_ENDED: u16 = 4002;
    /// The share expired (by date or opens).
    pub const EXPIRED: u16 = 4003;
    /// The share no longer admits this guest from here (network, browser, membership,
    /// policy) or no longer exists: the page reloads to say why.
    pub const NOT_ALLOWED: u16 = 4004;
    /// The guest signed out.
    pub const SIGNED_OUT: u16 = 4005;
    /// RFC 6455: the server could not check the session (it fails closed).
    pub const SERVER_ERROR: u16 = 1011;
    /// RFC 6455: a data type the channel does not take (binary frames).
    pub const UNSUPPORTED: u16 = 1003;
    /// RFC 6455: a text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// RFC 6455: a message the protocol does not know, or too many of them.
    pub const POLICY: u16 = 1008;
    /// RFC 6455: a message over [`super::MAX_MESSAGE_BYTES`].
    pub const TOO_BIG: u16 = 1009;
    /// RFC 6455: the peer went quiet.
    pub const GOING_AWAY: u16 = 1001;
}

/// The largest message the page may send.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// At most this many messages per [`RATE_WINDOW`] from one socket.
pub const MAX_MESSAGES: u32 = 60;
pub const RATE_WINDOW: Duration = Duration::from_secs(10);
/// How often the server pings an open socket and re-checks its session.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// A send that has not gone out within this is the page's fault: the socket ends.
const SEND_WITHIN: Duration = Duration::from_secs(5);
/// A socket silent this long (no pong, no message) is closed.
pub const IDLE_AFTER: Duration = Duration::from_secs(50);

/// Documents one socket may follow (a package share covers several).
pub const MAX_FOLLOWED: usize = 32;
/// A `comments` message carries changes up to about this many bytes (one change may make
/// it larger, up to what `comments::MAX_BODY` allows).
const COMMENTS_MESSAGE_BYTES: usize = 32 * 1024;
/// A viewer's typing is announced at most this often per document.
pub const TYPING_EVERY: Duration = Duration::from_secs(2);
/// Follows and unfollows one socket may send per minute (each enters or leaves presence,
/// which every follower of the document hears); watches and unwatches count apart.
pub const MAX_FOLLOWS_PER_MINUTE: u32 = 30;
/// Activity feeds one staff socket may watch.
pub const MAX_WATCHED: usize = 8;

/// What the page may send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum FromPage {
    /// An application-level ping (browsers cannot send WebSocket pings): answered `pong`.
    Ping {},
    /// Send the changes to this document's comments after change `after`, then each new one.
    Follow { document: String, after: i64 },
    /// Stop following this document's comments.
    Unfollow { document: String },
    /// The viewer is typing on this document, in `thread` (or a new thread).
    Typing {
        document: String,
        thread: Option<String>,
    },
    /// Staff: send the audit events of this share or document (of `event_type` only, when
    /// given) after chain position `after`, then each new one.
    Watch {
        feed: FeedKind,
        id: String,
        #[serde(default)]
        event_type: Option<String>,
        after: i64,
    },
    /// Stop watching this feed.
    Unwatch { feed: FeedKind, id: String },
}

/// The upgrade came from the site's own origin. Extracted before the portal session, so a
/// page of another site costs no session check (a cross-site page cannot ride the
/// guest's cookie: cross-site WebSocket hijacking).
pub struct SameOrigin;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SameOrigin
where
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRef;
        let state = AppState::from_ref(state);
        let Meta(meta) = Meta::from_request_parts(parts, &())
            .await
            .map_err(IntoResponse::into_response)?;
        let allowed = state.core.settings.origin_of(&meta.site);
        let origin = parts
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        if origin == Some(allowed.as_str()) {
            return Ok(Self);
        }
        tracing::warn!(
            origin = origin.unwrap_or("-"),
            "a live channel from another origin was refused"
        );
        Err(envelope(
            StatusCode::FORBIDDEN,
            "cross_origin_request",
            "This request came from another site and was refused.",
        ))
    }
}

/// Upgrades a console page's request to its live channel: comments of the documents it
/// follows, as staff read them. At most `MAX_STREAMS_PER_SHARE` sockets per staff member on
/// each node. The console session is re-read from its store at every message and ping,
/// before content is pushed (at most a second stale), and at once when the staff member
/// signs out, is disabled, changes role or has their password reset (`StaffRef` on the
/// bus).
pub async fn console_live(
    _: SameOrigin,
    State(state): State<AppState>,
    crate::extract::ConsoleStaff { staff, .. }: crate::extract::ConsoleStaff,
    console_session: tower_sessions::Session,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(session_id) = console_session.id() else {
        return envelope(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Please sign in.",
        );
    };
    let mut bus = state.core.revocations.subscribe();
    if !bus.hold(&format!("staff:{}", staff.user_id)) {
        return envelope(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many open console pages: close some and try again.",
        );
    }
    let ready = serde_json::json!({ "type": "ready" }).to_string();
    let session = Session {
        state,
        viewer: Viewer::Staff(staff, session_id),
        checked_at: std::time::Instant::now(),
    };
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(256 * 1024)
        .on_upgrade(move |socket| run(socket, ready, bus, session))
        .into_response()
}

/// Upgrades an open portal page's request to its live channel: a WebSocket of JSON
/// messages (presence, comments, follow-along), closed the moment the share is revoked.
#[utoipa::path(get, path = "/live", tag = "portal",
    responses((status = 101, description = "Switched to the WebSocket protocol"),
              (status = 400, description = "Not a WebSocket upgrade request", content_type = "text/plain"),
              (status = 403, description = "The request came from another site"),
              (status = 426, description = "The connection cannot be upgraded", content_type = "text/plain"),
              (status = 410, description = "The share has ended")))]
pub async fn portal_live(
    _: SameOrigin,
    State(state): State<AppState>,
    ws: WebSocketUpgrade,
    StreamingGuest(stream): StreamingGuest,
) -> Response {
    let backend::services::access::GuestStream {
        guest,
        jwt,
        meta,
        subscription: revocations,
    } = stream;
    // The page checks that its socket speaks for the share it shows (another tab may have
    // opened another share since, and the portal cookie is one per site).
    let ready = serde_json::json!({ "type": "ready", "share": guest.share_id }).to_string();
    let session = Session {
        state,
        viewer: Viewer::Guest(Box::new(session::GuestViewer { jwt, meta, guest })),
        checked_at: std::time::Instant::now(),
    };
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        // Room for one `comments` message (its largest change included) on top of the
        // write buffer; a page that does not read beyond that is cut (`SEND_WITHIN`).
        .max_write_buffer_size(256 * 1024)
        .on_upgrade(move |socket| run(socket, ready, revocations, session))
        .into_response()
}

/// The page's end of a socket. A page that stops reading cannot hold the socket (and its
/// share's stream slot) past a revocation: every send is bounded in time.
pub(super) struct Outbox(futures::stream::SplitSink<WebSocket, Message>);

impl Outbox {
    /// Sends `message`; false once the page is gone or has not read it within
    /// [`SEND_WITHIN`].
    pub async fn send(&mut self, message: Message) -> bool {
        use futures::SinkExt;
        matches!(
            tokio::time::timeout(SEND_WITHIN, self.0.send(message)).await,
            Ok(Ok(()))
        )
    }
}

/// Why the server ends a socket: a close code and its reason, or `None` when the page
/// closed it (or the connection broke).
type End = Option<(u16, &'static str)>;

/// Serves one socket until the share stops opening, the session ends or the page leaves.
async fn run(
    socket: WebSocket,
    ready: String,
    mut bus: backend::revocation::Subscription,
    mut session: Session,
) {
    use backend::revocation::Heard;
    use futures::{SinkExt, StreamExt};
    let (tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    let mut rate = Rate::new(MAX_MESSAGES, RATE_WINDOW);
    let mut out = Outbox(tx);
    let mut follows = Follows::default();
    let mut watches = Watches::default();
    let end: End = if !out.send(Message::Text(ready.into())).await {
        None
    } else {
        loop {
            tokio::select! {
                heard = bus.next_live(session.interest(&follows.documents, &watches.watched)) => match heard {
                    Heard::Revoked => break Some((close::REVOKED, "revoked")),
                    // What admits the guest changed (a browser rejected, a sign-out): the
                    // session is checked again now.
                    Heard::Changed => {
                        if let Some(end) = session.recheck().await {
                            break Some(end);
                        }
                    }
                    // Announcements may have been missed: the session is checked, and
                    // every followed document's comments read again from its cursor.
                    Heard::Unsure => {
                        if let Some(end) = session.recheck().await {
                            break Some(end);
                        }
                        if let Err(end) = follows.push_all(&mut out, &session).await {
                            break end;
                        }
                        if let Err(end) = watches.push_all(&mut out, &session).await {
                            break end;
                        }
                    }
                    Heard::Document(event) => {
                        if let Some(end) = session.recheck_if_stale().await {
                            break Some(end);
                        }
                        if let Err(end) = follows.heard(&mut out, &session, event).await {
                            break end;
                        }
                    }
                    Heard::Activity(appended) => {
                        if let Some(end) = session.recheck_if_stale().await {
                            break Some(end);
                        }
                        if let Err(end) = watches.heard(&mut out, &session, &appended).await {
                            break end;
                        }
                    }
                },
                _ = ping.tick() => {
                    if last_heard.elapsed() > IDLE_AFTER {
                        break Some((close::GOING_AWAY, "idle"));
                    }
                    if let Some(end) = session.recheck().await {
                        break Some(end);
                    }
                    if !out.send(Message::Ping(Default::default())).await {
                        break None;
                    }
                }
                message = rx.next() => {
                    let message = match message {
                        None => break None,
                        Some(Err(e)) => break read_error(e),
                        Some(Ok(m)) => m,
                    };
                    last_heard = Instant::now();
                    if !rate.allows(last_heard) {
                        break Some((close::POLICY, "too_many_messages"));
                    }
                    if matches!(message, Message::Text(_)) {
                        if let Some(end) = session.recheck().await {
                            break Some(end);
                        }
                    }
                    match answer(message) {
                        Ok(Reply::Send(reply)) => {
                            if !out.send(reply).await {
                                break None;
                            }
                        }
                        Ok(Reply::Follow { document, after }) => {
                            if let Err(end) =
                                follows.follow(&mut out, &session, document, after).await
                            {
                                break end;
                            }
                        }
                        Ok(Reply::Unfollow { document }) => {
                            if let Err(end) = follows.unfollow(&session, &document).await {
                                break end;
                            }
                        }
                        Ok(Reply::Typing { document, thread }) => {
                            if let Err(end) = follows.typing(&session, &document, thread).await {
                                break end;
                            }
                        }
                        Ok(Reply::Watch { feed, event_type, after }) => {
                            // Before the feed is read, so nothing appended meanwhile is
                            // missed.
                            if watches.watched.is_empty() {
                                bus.activity_from_now();
                            }
                            if let Err(end) =
                                watches.watch(&mut out, &session, feed, event_type, after).await
                            {
                                break end;
                            }
                        }
                        Ok(Reply::Unwatch { feed: (kind, id) }) => {
                            if let Err(end) = watches.unwatch(kind, &id) {
                                break end;
                            }
                        }
                        Ok(Reply::Nothing) => {}
                        Err(end) => break end,
                    }
                }
            }
        }
    };
    if let Some((code, reason)) = end {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        out.send(Message::Close(Some(frame))).await;
    }
    // Gone from every document it was viewing (after the close went out: a revocation's
    // close is not held up by this).
    follows.leave_all(&session).await;
    // The closing handshake, bounded: wait for the page's close reply (reading what it
    // still sends), so the connection ends cleanly instead of being reset.
    let _ = tokio::time::timeout(SEND_WITHIN, async {
        let _ = out.0.close().await;
        while let Some(Ok(_)) = rx.next().await {}
    })
    .await;
}

/// What one message from the page asks for.
#[derive(Debug)]
enum Reply {
    Send(Message),
    Follow {
        document: String,
        after: i64,
    },
    Unfollow {
        document: String,
    },
    Typing {
        document: String,
        thread: Option<String>,
    },
    Watch {
        feed: (FeedKind, String),
        event_type: Option<String>,
        after: i64,
    },
    Unwatch {
        feed: (FeedKind, String),
    },
    Nothing,
}

/// What one message from the page asks for; `Err` ends the socket.
fn answer(message: Message) -> Result<Reply, End> {
    match message {
        Message::Text(text) => match serde_json::from_str::<FromPage>(text.as_str()) {
            Ok(FromPage::Ping {}) => Ok(Reply::Send(Message::Text(Utf8Bytes::from_static(
                r#"{"type":"pong"}"#,
            )))),
            Ok(FromPage::Follow { document, after }) if after >= 0 => {
                Ok(Reply::Follow { document, after })
            }
            Ok(FromPage::Unfollow { document }) => Ok(Reply::Unfollow { document }),
            Ok(FromPage::Typing { document, thread }) => Ok(Reply::Typing { document, thread }),
            Ok(FromPage::Watch {
                feed,
                id,
                event_type,
                after,
            }) if after >= 0 => Ok(Reply::Watch {
                feed: (feed, id),
                event_type: event_type.filter(|t| !t.is_empty()),
                after,
            }),
            Ok(FromPage::Unwatch { feed, id }) => Ok(Reply::Unwatch { feed: (feed, id) }),
            Ok(FromPage::Follow { .. } | FromPage::Watch { .. }) | Err(_) => {
                Err(Some((close::POLICY, "unknown_message")))
            }
        },
        Message::Binary(_) => Err(Some((close::UNSUPPORTED, "binary_not_accepted"))),
        // Pings are answered by the WebSocket layer itself; pongs only show life.
        Message::Ping(_) | Message::Pong(_) => Ok(Reply::Nothing),
        Message::Close(_) => Err(None),
    }
}

/// The close that answers a frame the WebSocket layer could not read.
fn read_error(e: axum::Error) -> End {
    use tokio_tungstenite::tungstenite::error::{CapacityError, Error};
    match e.into_inner().downcast::<Error>().map(|e| *e) {
        Ok(Error::Capacity(CapacityError::MessageTooLong { .. })) => {
            Some((close::TOO_BIG, "message_too_big"))
        }
        Ok(Error::Utf8(_)) => Some((close::INVALID_DATA, "invalid_utf8")),
        Ok(Error::Protocol(_)) => Some((1002, "protocol_error")),
        _ => None,
    }
}

/// At most `max` events per `window` (a fixed window).
pub(super) struct Rate {
    max: u32,
    window: Duration,
    window_start: Option<Instant>,
    count: u32,
}

impl Rate {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            window_start: None,
            count: 0,
        }
    }

    /// Counts one event at `now`: false when it is over the limit.
    pub fn allows(&mut self, now: Instant) -> bool {
        match self.window_start {
            Some(start) if now.duration_since(start) < self.window => self.count += 1,
            _ => {
                self.window_start = Some(now);
                self.count = 1;
            }
        }
        self.count <= self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_the_rate_is_refused_and_the_next_window_starts_afresh() {
        let mut rate = Rate::new(MAX_MESSAGES, RATE_WINDOW);
        let t0 = Instant::now();
        assert!((0..MAX_MESSAGES).all(|_| rate.allows(t0)));
        assert!(!rate.allows(t0));
        assert!(rate.allows(t0 + RATE_WINDOW));
    }

    #[test]
    fn the_page_may_only_ping_and_follow() {
        let reply = answer(Message::Text(r#"{"type":"ping"}"#.into()));
        assert!(
            matches!(reply, Ok(Reply::Send(Message::Text(t))) if t.as_str() == r#"{"type":"pong"}"#)
        );
        let follow = answer(Message::Text(
            r#"{"type":"follow","document":"d1","after":7}"#.into(),
        ));
        assert!(matches!(follow, Ok(Reply::Follow { document, after: 7 }) if document == "d1"));
        let unfollow = answer(Message::Text(
            r#"{"type":"unfollow","document":"d1"}"#.into(),
        ));
        assert!(matches!(unfollow, Ok(Reply::Unfollow { document }) if document == "d1"));
        let watch = answer(Message::Text(
            r#"{"type":"watch","feed":"share","id":"s1","event_type":"","after":3}"#.into(),
        ));
        assert!(
            matches!(watch, Ok(Reply::Watch { feed: (FeedKind::Share, id), event_type: None, after: 3 }) if id == "s1")
        );
        let unwatch = answer(Message::Text(
            r#"{"type":"unwatch","feed":"document","id":"d1"}"#.into(),
        ));
        assert!(
            matches!(unwatch, Ok(Reply::Unwatch { feed: (FeedKind::Document, id) }) if id == "d1")
        );
        for bad in [
            r#"{"type":"shout"}"#,
            "not json",
            r#"{"type":"ping","x":1}"#,
            r#"{"type":"follow","document":"d1","after":-1}"#,
            r#"{"type":"follow","document":"d1"}"#,
            r#"{"type":"watch","feed":"share","id":"s1","after":-1}"#,
            r#"{"type":"watch","feed":"portal","id":"p1","after":0}"#,
        ] {
            assert_eq!(
                answer(Message::Text(bad.into())).err(),
                Some(Some((close::POLICY, "unknown_message")))
            );
        }
        assert_eq!(
            answer(Message::Binary(vec![1, 2].into())).err(),
            Some(Some((close::UNSUPPORTED, "binary_not_accepted")))
        );
    }
}
