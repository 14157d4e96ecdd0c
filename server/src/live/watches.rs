//! What a staff page watches of the audit log: the events of a share or a document, each
//! from the newest the page shows, sent as they are appended on any node.

use axum::extract::ws::Message;
use backend::revocation::Watched;
use backend::services::audit_feed::{self, Feed};
use backend::services::audit_log::AuditFilter;
use backend::services::ServiceError;
use tokio::time::Instant;

pub(super) use app::live::FeedKind;

use super::session::{Session, Viewer};
use super::{close, End, Outbox, Rate, MAX_FOLLOWS_PER_MINUTE, MAX_WATCHED};

/// One watched feed and the newest event sent.
struct Watch {
    kind: FeedKind,
    id: String,
    feed: Feed,
    cursor: i64,
}

/// The feeds a socket watches. `watched` and `list` run in parallel.
pub(super) struct Watches {
    /// What the bus is asked about.
    pub watched: Vec<Watched>,
    list: Vec<Watch>,
    /// Watches and unwatches ([`MAX_FOLLOWS_PER_MINUTE`], as follows).
    changes: Rate,
}

impl Default for Watches {
    fn default() -> Self {
        Self {
            watched: Vec::new(),
            list: Vec::new(),
            changes: Rate::new(MAX_FOLLOWS_PER_MINUTE, std::time::Duration::from_secs(60)),
        }
    }
}

/// Why reading a feed ends the socket.
fn ended(e: ServiceError) -> End {
    match e {
        // The role no longer reads the audit log: the page reloads to say so.
        ServiceError::Forbidden(_) => Some((close::NOT_ALLOWED, "not_allowed")),
        ServiceError::NotFound(_) | ServiceError::Invalid { .. } => {
            Some((close::POLICY, "unknown_feed"))
        }
        e => {
            tracing::error!(error = %e, "a live channel could not read its activity feed");
            Some((close::SERVER_ERROR, "server_error"))
        }
    }
}

impl Watches {
    fn position(&self, kind: FeedKind, id: &str) -> Option<usize> {
        self.list.iter().position(|w| w.kind == kind && w.id == id)
    }

    /// Watches `kind` `id` (events of `event_type` only, when given) from chain position
    /// `after`, sending what the page missed first. Staff only.
    pub async fn watch(
        &mut self,
        out: &mut Outbox,
        session: &Session,
        (kind, id): (FeedKind, String),
        event_type: Option<String>,
        after: i64,
    ) -> Result<(), End> {
        let Viewer::Staff(staff, _) = &session.viewer else {
            return Err(Some((close::POLICY, "staff_only")));
        };
        if !self.changes.allows(Instant::now()) {
            return Err(Some((close::POLICY, "too_many_follows")));
        }
        if let Some(i) = self.position(kind, &id) {
            self.list.remove(i);
            self.watched.remove(i);
        } else if self.list.len() >= MAX_WATCHED {
            return Err(Some((close::POLICY, "too_many_feeds")));
        }
        let filter = AuditFilter {
            share_id: (kind == FeedKind::Share).then(|| id.clone()),
            document: (kind == FeedKind::Document).then(|| id.clone()),
            event_type,
            ..Default::default()
        };
        let feed = audit_feed::feed(&session.state.core, staff, filter)
            .await
            .map_err(ended)?;
        self.watched.push(feed.watched.clone());
        self.list.push(Watch {
            kind,
            id,
            feed,
            cursor: after,
        });
        self.push(out, session, self.list.len() - 1).await
    }

    /// Stops watching `kind` `id`.
    pub fn unwatch(&mut self, kind: FeedKind, id: &str) -> Result<(), End> {
        if !self.changes.allows(Instant::now()) {
            return Err(Some((close::POLICY, "too_many_follows")));
        }
        if let Some(i) = self.position(kind, id) {
            self.list.remove(i);
            self.watched.remove(i);
        }
        Ok(())
    }

    /// Acts on audit events appended somewhere: each feed they may concern is read after
    /// its cursor (an announcement already sent is read no more).
    pub async fn heard(
        &mut self,
        out: &mut Outbox,
        session: &Session,
        appended: &backend::store::audit::Appended,
    ) -> Result<(), End> {
        use backend::store::audit::About;
        for i in 0..self.list.len() {
            if !self.watched[i].hears(appended) {
                continue;
            }
            // A new revision of the watched document: its events are shown from now on.
            if let About::Revision { item_id, .. } = &appended.about {
                self.list[i].feed.add_revision(item_id);
                self.watched[i] = self.list[i].feed.watched.clone();
            }
            if appended.seq > self.list[i].cursor {
                self.push(out, session, i).await?;
            }
        }
        Ok(())
    }

    /// Every feed again from its cursor (announcements may have been missed).
    pub async fn push_all(&mut self, out: &mut Outbox, session: &Session) -> Result<(), End> {
        for i in 0..self.list.len() {
            self.push(out, session, i).await?;
        }
        Ok(())
    }

    /// Sends feed `i`'s events after its cursor, if there are any.
    async fn push(&mut self, out: &mut Outbox, session: &Session, i: usize) -> Result<(), End> {
        let Viewer::Staff(staff, _) = &session.viewer else {
            return Err(Some((close::POLICY, "staff_only")));
        };
        let w = &mut self.list[i];
        let page = w
            .feed
            .since(&session.state.core, staff, w.cursor)
            .await
            .map_err(ended)?;
        if page.items.is_empty() {
            return Ok(());
        }
        w.cursor = page.last_seq;
        let items: Vec<app::types::AuditRowView> = page.items.into_iter().map(Into::into).collect();
        let message = serde_json::json!({ "type": "activity", "feed": w.kind, "id": w.id,
            "items": items, "last_seq": page.last_seq, "truncated": page.truncated });
        if out.send(Message::Text(message.to_string().into())).await {
            Ok(())
        } else {
            Err(None)
        }
    }
}
