//! What a live channel follows: documents, each with the last comment change sent, the
//! viewer's presence entry on it and who they were last shown viewing it.

use axum::extract::ws::{Message, Utf8Bytes};
use backend::revocation::{DocumentRef, HeardDocument, Topic};
use backend::services::comments::{CommentView, CommentsPage};
use backend::services::presence::{self, Viewer};
use backend::services::ServiceError;
use tokio::time::Instant;

use super::session::Session;
use super::Outbox;
use super::{
    close, End, Rate, COMMENTS_MESSAGE_BYTES, MAX_FOLLOWED, MAX_FOLLOWS_PER_MINUTE, TYPING_EVERY,
};

/// One followed document.
struct Followed {
    /// The last comment change sent.
    cursor: i64,
    /// The viewer's presence entry on it.
    presence: String,
    /// Who the page was last told is viewing it.
    shown: Option<Vec<Viewer>>,
    /// When the viewer last announced typing on it.
    typed_at: Option<Instant>,
}

/// The documents a socket follows. `documents` and `state` run in parallel.
pub(super) struct Follows {
    /// What the bus is asked about.
    pub documents: Vec<DocumentRef>,
    state: Vec<Followed>,
    /// Follows and unfollows ([`MAX_FOLLOWS_PER_MINUTE`]).
    changes: Rate,
}

impl Default for Follows {
    fn default() -> Self {
        Self {
            documents: Vec::new(),
            state: Vec::new(),
            changes: Rate::new(MAX_FOLLOWS_PER_MINUTE, std::time::Duration::from_secs(60)),
        }
    }
}

/// A fault reading for the page: the socket ends with 1011.
fn fault(e: ServiceError) -> End {
    tracing::error!(error = %e, "a live channel could not read what it follows");
    Some((close::SERVER_ERROR, "server_error"))
}

impl Follows {
    fn position(&self, document: &str) -> Option<usize> {
        self.documents
            .iter()
            .position(|d| d.document_id == document)
    }

    /// Follows `document` from comment change `after` (again, if it already did): the
    /// viewer enters its presence, and the page is sent what it missed.
    pub async fn follow(
        &mut self,
        out: &mut Outbox,
        session: &Session,
        document: String,
        after: i64,
    ) -> Result<(), End> {
        if !self.changes.allows(Instant::now()) {
            return Err(Some((close::POLICY, "too_many_follows")));
        }
        let since = std::time::Instant::now();
        let i = match self.position(&document) {
            Some(i) => i,
            None if self.documents.len() >= MAX_FOLLOWED => {
                return Err(Some((close::POLICY, "too_many_documents")))
            }
            None => {
                // Read (so checked readable) before the viewer is recorded as present on it.
                let first = session.comment_changes(&document, after, since).await?;
                let core = &session.state.core;
                let entry = presence::enter(core, session.present(), &document)
                    .await
                    .map_err(fault)?;
                self.documents.push(DocumentRef {
                    org_id: session.org_id().to_owned(),
                    document_id: document,
                });
                self.state.push(Followed {
                    cursor: after,
                    presence: entry,
                    shown: None,
                    typed_at: None,
                });
                let i = self.documents.len() - 1;
                if self.send_comments(out, i, &first).await? {
                    self.push_comments(out, session, i, since).await?;
                }
                return self.push_presence(out, session, i).await;
            }
        };
        self.state[i].cursor = after;
        self.push_comments(out, session, i, since).await?;
        self.push_presence(out, session, i).await
    }

    /// Stops following `document`: the viewer leaves its presence.
    pub async fn unfollow(&mut self, session: &Session, document: &str) -> Result<(), End> {
        if !self.changes.allows(Instant::now()) {
            return Err(Some((close::POLICY, "too_many_follows")));
        }
        if let Some(i) = self.position(document) {
            let d = self.documents.remove(i);
            let f = self.state.remove(i);
            leave(session, &d, &f.presence).await;
        }
        Ok(())
    }

    /// The socket ends: the viewer leaves every document's presence.
    pub async fn leave_all(&mut self, session: &Session) {
        for (d, f) in self.documents.drain(..).zip(self.state.drain(..)) {
            leave(session, &d, &f.presence).await;
        }
    }

    /// Acts on a change about a followed document.
    pub async fn heard(
        &mut self,
        out: &mut Outbox,
        session: &Session,
        heard: HeardDocument,
    ) -> Result<(), End> {
        let Some(i) = self.position(&heard.event.document.document_id) else {
            return Ok(());
        };
        match heard.event.topic {
            Topic::Comments => self.push_comments(out, session, i, heard.at).await,
            Topic::Presence { .. } => self.push_presence(out, session, i).await,
            Topic::Typing { presence, thread } => {
                if presence == self.state[i].presence {
                    return Ok(());
                }
                let core = &session.state.core;
                let d = &self.documents[i];
                let who = presence::typist(
                    core,
                    &session.reader(),
                    &d.org_id,
                    &d.document_id,
                    &presence,
                    thread.as_deref(),
                )
                .await
                .map_err(fault)?;
                match who {
                    Some(who) => {
                        let message = serde_json::json!({ "type": "typing",
                            "document": d.document_id, "thread": thread, "who": who });
                        deliver(out, message.to_string()).await
                    }
                    None => Ok(()),
                }
            }
        }
    }

    /// Everything again from each document's cursor (announcements may have been missed).
    pub async fn push_all(&mut self, out: &mut Outbox, session: &Session) -> Result<(), End> {
        let since = std::time::Instant::now();
        for i in 0..self.documents.len() {
            self.push_comments(out, session, i, since).await?;
            self.push_presence(out, session, i).await?;
        }
        Ok(())
    }

    /// The viewer is typing on `document` (in `thread`, or a new one): announced at most
    /// once per [`TYPING_EVERY`]; a thread the viewer may not read ends the socket, however
    /// soon after the last notice.
    pub async fn typing(
        &mut self,
        session: &Session,
        document: &str,
        thread: Option<String>,
    ) -> Result<(), End> {
        let Some(i) = self.position(document) else {
            return Err(Some((close::POLICY, "not_following")));
        };
        let core = &session.state.core;
        let d = &self.documents[i];
        // Checked every time (before the interval is applied), so probing is never silent.
        if let Some(thread) = &thread {
            match presence::may_type_in(core, &session.reader(), &d.org_id, document, thread).await
            {
                Ok(()) => {}
                Err(ServiceError::NotFound(_)) => {
                    return Err(Some((close::POLICY, "unknown_thread")))
                }
                Err(e) => return Err(fault(e)),
            }
        }
        let now = Instant::now();
        if self.state[i]
            .typed_at
            .is_some_and(|at| now.duration_since(at) < TYPING_EVERY)
        {
            return Ok(());
        }
        self.state[i].typed_at = Some(now);
        // A guest who may not comment is not writing one.
        if !session.may_comment().await.map_err(fault)? {
            return Ok(());
        }
        let d = &self.documents[i];
        presence::typing(
            core,
            &d.org_id,
            document,
            &self.state[i].presence,
            thread.as_deref(),
        )
        .await
        .map_err(fault)
    }

    /// Sends the changes to document `i`'s comments since the page's cursor, from reads
    /// started at or after `since`.
    async fn push_comments(
        &mut self,
        out: &mut Outbox,
        session: &Session,
        i: usize,
        since: std::time::Instant,
    ) -> Result<(), End> {
        loop {
            let changes = session
                .comment_changes(&self.documents[i].document_id, self.state[i].cursor, since)
                .await?;
            if !self.send_comments(out, i, &changes).await? {
                return Ok(());
            }
        }
    }

    /// Sends `changes` to document `i`'s comments and moves its cursor past them: true when
    /// more follow.
    async fn send_comments(
        &mut self,
        out: &mut Outbox,
        i: usize,
        changes: &CommentChanges,
    ) -> Result<bool, End> {
        for message in &changes.messages {
            deliver(out, message.clone()).await?;
        }
        self.state[i].cursor = changes.last_rev;
        Ok(changes.more)
    }

    /// Tells the page who is viewing document `i`, when that changed since it was last told.
    async fn push_presence(
        &mut self,
        out: &mut Outbox,
        session: &Session,
        i: usize,
    ) -> Result<(), End> {
        let d = &self.documents[i];
        let viewers = presence::viewers(
            &session.state.core,
            &session.reader(),
            &d.org_id,
            &d.document_id,
        )
        .await
        .map_err(fault)?;
        if self.state[i].shown.as_ref() == Some(&viewers) {
            return Ok(());
        }
        let message = serde_json::json!({ "type": "presence", "document": d.document_id,
                                          "viewers": viewers });
        self.state[i].shown = Some(viewers);
        deliver(out, message.to_string()).await
    }
}

async fn deliver(out: &mut Outbox, message: impl Into<Utf8Bytes>) -> Result<(), End> {
    if out.send(Message::Text(message.into())).await {
        Ok(())
    } else {
        Err(None)
    }
}

async fn leave(session: &Session, d: &DocumentRef, entry: &str) {
    if let Err(e) = presence::leave(
        &session.state.core,
        session.present(),
        &d.document_id,
        entry,
    )
    .await
    {
        // The entry expires without its node's heartbeat.
        tracing::warn!(error = %e, "a presence entry could not be removed");
    }
}

/// One read of a document's comment changes as one reader sees them, as the `comments`
/// messages that carry them (built once, sent to every channel that made the read).
pub(super) struct CommentChanges {
    pub messages: Vec<Utf8Bytes>,
    /// The change number of the last change (the one read after, when there is none).
    pub last_rev: i64,
    /// More changes follow `last_rev`.
    pub more: bool,
}

impl CommentChanges {
    pub fn of(document: &str, page: &CommentsPage) -> Self {
        Self {
            messages: comment_messages(document, &page.items)
                .into_iter()
                .map(Utf8Bytes::from)
                .collect(),
            last_rev: page.last_rev,
            more: page.more,
        }
    }
}

/// `items` as `comments` messages of about [`COMMENTS_MESSAGE_BYTES`] each, in order; each
/// names the change number of its last item. Each item is serialised once.
fn comment_messages(document: &str, items: &[CommentView]) -> Vec<String> {
    let document = serde_json::Value::from(document).to_string();
    let message = |items: &[String], last_rev: i64| {
        format!(
            r#"{{"type":"comments","document":{document},"items":[{}],"last_rev":{last_rev}}}"#,
            items.join(",")
        )
    };
    let mut out = Vec::new();
    let mut batch: Vec<String> = Vec::new();
    let mut size = 0;
    let mut last_rev = 0;
    for item in items {
        let json = serde_json::to_string(item)
            .expect("a comment serialises: it holds no map with non-string keys");
        if size + json.len() > COMMENTS_MESSAGE_BYTES && !batch.is_empty() {
            out.push(message(&batch, last_rev));
            batch.clear();
            size = 0;
        }
        size += json.len();
        batch.push(json);
        last_rev = item.rev;
    }
    if !batch.is_empty() {
        out.push(message(&batch, last_rev));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend::services::comments::{Author, AuthorKind};

    fn comment(rev: i64, body: &str) -> CommentView {
        CommentView {
            id: format!("c{rev}"),
            document_id: "d".into(),
            thread_id: "c1".into(),
            page: None,
            author: Author {
                kind: AuthorKind::Guest,
                name: "Jane".into(),
                organisation: "x.example".into(),
                email: None,
            },
            body: body.into(),
            created_at: "2026-12-06T10:00:00Z".into(),
            edited: false,
            deleted: None,
            rev,
            audience: Vec::new(),
            shared: false,
            mine: false,
            editable_until: None,
            may_delete: false,
        }
    }

    /// Large pages are split near [`COMMENTS_MESSAGE_BYTES`], in order, each naming its
    /// last change; nothing is lost or doubled.
    #[test]
    fn changes_are_split_into_bounded_messages_in_order() {
        let long = "x".repeat(4_000);
        let items: Vec<CommentView> = (1..=30).map(|r| comment(r, &long)).collect();
        let messages = comment_messages("d", &items);
        assert!(messages.len() > 1);
        let mut seen = Vec::new();
        for m in &messages {
            assert!(m.len() <= COMMENTS_MESSAGE_BYTES + 5_000, "{}", m.len());
            let v: serde_json::Value = serde_json::from_str(m).unwrap();
            let revs: Vec<i64> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["rev"].as_i64().unwrap())
                .collect();
            assert_eq!(v["last_rev"].as_i64(), revs.last().copied());
            seen.extend(revs);
        }
        assert_eq!(seen, (1..=30).collect::<Vec<_>>());
        assert!(comment_messages("d", &[]).is_empty());
    }
}
