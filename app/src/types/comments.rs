//! Comments as pages show them, and the page's copy of a document's comments, kept up to
//! date from the live channel. The field names are the backend's (`services::comments`),
//! so the channel's JSON reads straight into these.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Staff,
    Guest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deletion {
    Author,
    Moderator,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentAuthor {
    pub kind: AuthorKind,
    pub name: String,
    pub organisation: String,
    /// Staff readers only.
    pub email: Option<String>,
}

/// A share whose guests read a thread (staff readers only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadReader {
    pub share_id: String,
    pub recipient: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentView {
    pub id: String,
    pub document_id: String,
    pub thread_id: String,
    pub page: Option<i64>,
    pub author: CommentAuthor,
    pub body: String,
    pub created_at: String,
    pub edited: bool,
    pub deleted: Option<Deletion>,
    /// The document's change number of this comment's last change.
    pub rev: i64,
    pub audience: Vec<ThreadReader>,
    /// The thread is read by more than one share's guests.
    #[serde(default)]
    pub shared: bool,
    pub mine: bool,
    pub editable_until: Option<String>,
    pub may_delete: bool,
}

impl CommentView {
    pub fn is_root(&self) -> bool {
        self.id == self.thread_id
    }

    /// Whether `share`'s guest reads this (root's) thread.
    pub fn read_by(&self, share: &str) -> bool {
        self.audience.iter().any(|r| r.share_id == share)
    }
}

/// Someone viewing a document now (the live channel's `presence` message).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentViewer {
    pub kind: AuthorKind,
    pub name: String,
    pub organisation: String,
}

impl PresentViewer {
    /// "Jane Doe · counsel.example", or the name alone where it already says it.
    pub fn label(&self) -> String {
        if self.organisation.is_empty() || self.name.contains(&self.organisation) {
            self.name.clone()
        } else {
            format!("{} · {}", self.name, self.organisation)
        }
    }
}

/// Someone typing in a document's comments, until `until` (ms since the epoch).
#[derive(Clone, Debug, PartialEq)]
pub struct Typing {
    pub who: PresentViewer,
    /// The thread they are replying in; `None`: starting one.
    pub thread: Option<String>,
    pub until: f64,
}

/// Changes after a change number, as the server sends them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentsView {
    pub items: Vec<CommentView>,
    pub last_rev: i64,
    pub more: bool,
}

/// Who may do what in a document's comments panel, and for staff whom a new thread may
/// address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentsAccess {
    pub may_write: bool,
    /// Staff who may open an item-wide thread to several shares.
    pub may_moderate: bool,
    /// Staff: the document's active shares a thread may address (share id, recipient).
    pub shares: Vec<(String, String)>,
}

/// A share's page: the comments of its document that its guest reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareComments {
    pub document: String,
    pub first: CommentsView,
    pub access: CommentsAccess,
}

/// A thread: its root and replies, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    pub root: CommentView,
    pub replies: Vec<CommentView>,
}

/// The page's copy of one document's comments. Changes apply idempotently: a change no
/// newer than the copy's version of that comment is ignored, so a catch-up that overlaps
/// what the page already has doubles nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommentBook {
    by_id: BTreeMap<String, CommentView>,
    /// The last change applied: the channel follows from here.
    pub last_rev: i64,
}

impl CommentBook {
    /// Applies changes the channel (or the first load) sent, in order: the book has every
    /// change up to the last one, which the channel follows from. Returns whether anything
    /// changed.
    pub fn apply(&mut self, items: impl IntoIterator<Item = CommentView>) -> bool {
        let mut changed = false;
        for item in items {
            self.last_rev = self.last_rev.max(item.rev);
            changed |= self.keep(item);
        }
        changed
    }

    /// Applies the answer to the page's own write. It does not move [`last_rev`](Self::last_rev):
    /// changes made by others just before it may not have arrived yet, and the channel
    /// must still send them.
    pub fn apply_own(&mut self, item: CommentView) -> bool {
        self.keep(item)
    }

    /// Keeps `item` unless the book has it at the same or a newer change.
    fn keep(&mut self, item: CommentView) -> bool {
        match self.by_id.get(&item.id) {
            Some(have) if have.rev >= item.rev => false,
            _ => {
                self.by_id.insert(item.id.clone(), item);
                true
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&CommentView> {
        self.by_id.get(id)
    }

    /// The roots of [`threads`](Self::threads), in order.
    pub fn thread_ids(&self) -> Vec<String> {
        self.thread_ids_for(None)
    }

    /// The threads `share`'s guest reads (`None`: every thread), oldest first.
    pub fn thread_ids_for(&self, share: Option<&str>) -> Vec<String> {
        self.threads()
            .into_iter()
            .filter(|t| share.is_none_or(|s| t.root.read_by(s)))
            .map(|t| t.root.id)
            .collect()
    }

    /// The replies of the thread `root`, oldest first (deleted ones left out).
    pub fn reply_ids(&self, root: &str) -> Vec<String> {
        let mut replies: Vec<&CommentView> = self
            .by_id
            .values()
            .filter(|c| !c.is_root() && c.thread_id == root && c.deleted.is_none())
            .collect();
        replies.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        replies.into_iter().map(|c| c.id.clone()).collect()
    }

    /// How many comments are not deleted.
    pub fn live_count(&self) -> usize {
        self.live_count_for(None)
    }

    /// [`live_count`](Self::live_count) in the threads `share`'s guest reads.
    pub fn live_count_for(&self, share: Option<&str>) -> usize {
        self.by_id
            .values()
            .filter(|c| c.deleted.is_none())
            .filter(|c| {
                share.is_none_or(|s| self.by_id.get(&c.thread_id).is_some_and(|r| r.read_by(s)))
            })
            .count()
    }

    /// The threads, oldest first (a reply whose root has not arrived yet waits for it).
    /// A deleted thread without replies is left out.
    pub fn threads(&self) -> Vec<Thread> {
        let mut roots: Vec<&CommentView> = self.by_id.values().filter(|c| c.is_root()).collect();
        roots.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        roots
            .into_iter()
            .map(|root| Thread {
                replies: self
                    .reply_ids(&root.id)
                    .iter()
                    .filter_map(|id| self.by_id.get(id).cloned())
                    .collect(),
                root: root.clone(),
            })
            .filter(|t| t.root.deleted.is_none() || !t.replies.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: &str, thread: &str, rev: i64, body: &str) -> CommentView {
        CommentView {
            id: id.into(),
            document_id: "d".into(),
            thread_id: thread.into(),
            page: None,
            author: CommentAuthor {
                kind: AuthorKind::Guest,
                name: "Jane".into(),
                organisation: "counsel.example".into(),
                email: None,
            },
            body: body.into(),
            created_at: format!("2026-12-06T10:00:0{rev}Z"),
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

    #[test]
    fn overlapping_catch_up_doubles_nothing_and_an_older_copy_never_wins() {
        let mut book = CommentBook::default();
        assert!(book.apply([comment("a", "a", 1, "one"), comment("b", "a", 2, "reply")]));
        // The same changes again (a reconnect that overlaps): nothing changes.
        assert!(!book.apply([comment("a", "a", 1, "one"), comment("b", "a", 2, "reply")]));
        // An edit, then a stale copy of the original arriving late.
        assert!(book.apply([comment("a", "a", 3, "one, edited")]));
        assert!(!book.apply([comment("a", "a", 1, "one")]));
        let threads = book.threads();
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].root.body, "one, edited");
        assert_eq!(threads[0].replies.len(), 1);
        assert_eq!(book.last_rev, 3);
        // The page's own write (rev 9) shows at once but leaves the cursor for the channel,
        // which may still owe changes 4–8.
        assert!(book.apply_own(comment("c", "a", 9, "mine")));
        assert_eq!(book.last_rev, 3);
        assert_eq!(book.threads()[0].replies.len(), 2);
    }

    #[test]
    fn deleted_threads_without_replies_leave_and_deleted_replies_hide() {
        let mut book = CommentBook::default();
        book.apply([
            comment("a", "a", 1, "x"),
            comment("b", "b", 2, "y"),
            comment("c", "b", 3, "z"),
        ]);
        let mut gone = comment("a", "a", 4, "");
        gone.deleted = Some(Deletion::Author);
        let mut gone_root = comment("b", "b", 5, "");
        gone_root.deleted = Some(Deletion::Moderator);
        book.apply([gone, gone_root]);
        let threads = book.threads();
        assert_eq!(
            threads.len(),
            1,
            "a deleted root keeps its replies' context"
        );
        assert_eq!(threads[0].root.deleted, Some(Deletion::Moderator));
        assert_eq!(book.live_count(), 1);
    }

    /// The channel's JSON (the backend's serialisation) reads into these types.
    #[test]
    fn the_wire_form_reads() {
        let json = r#"{"id":"a","document_id":"d","thread_id":"a","page":2,
            "author":{"kind":"staff","name":"Staff of Acme","organisation":"Acme","email":null},
            "body":"hi","created_at":"2026-12-06T10:00:00Z","edited":false,"deleted":"moderator",
            "rev":4,"audience":[{"share_id":"s","recipient":"Jane"}],"mine":false,
            "editable_until":null,"may_delete":true}"#;
        let c: CommentView = serde_json::from_str(json).unwrap();
        assert_eq!(
            (c.author.kind, c.deleted, c.page),
            (AuthorKind::Staff, Some(Deletion::Moderator), Some(2))
        );
    }
}
