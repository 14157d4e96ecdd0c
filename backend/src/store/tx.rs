//! A transaction that says, once it has committed, what it wrote that live readers follow
//! ([`Committed`]): the database's own commit is the only moment such an announcement can
//! be trusted (a reader woken earlier would not see the rows yet, and a rollback would
//! leave it announcing nothing).

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, RwLock};

use super::Engine;

/// Something a committed transaction wrote that live readers follow. Ids only: readers
/// read what they need, as their viewer may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Committed {
    /// Audit events were appended to their organisation's chain.
    Audit(super::audit::Appended),
    /// What admits the organisation's guests changed beyond single shares (a partner or
    /// identity provider disabled): their open sessions are checked again.
    GuestsChanged { org_id: String },
    /// A document's comments changed: its readers read the changes after their cursor.
    Comments { org_id: String, document_id: String },
}

impl Committed {
    /// `audit:{org}:{seq}:{share or -}:{item or -}`, `audit:{org}:{seq}:*` for many,
    /// `audit:{org}:{seq}:revision:{family}:{item}` for a new revision; `guests:{org}`;
    /// `comments:{org}:{document}` (ids never hold a colon).
    pub fn payload(&self) -> String {
        use super::audit::About;
        match self {
            Committed::GuestsChanged { org_id } => format!("guests:{org_id}"),
            Committed::Comments {
                org_id,
                document_id,
            } => format!("comments:{org_id}:{document_id}"),
            Committed::Audit(a) => match &a.about {
                About::One { share_id, item_id } => format!(
                    "audit:{}:{}:{}:{}",
                    a.org_id,
                    a.seq,
                    share_id.as_deref().unwrap_or("-"),
                    item_id.as_deref().unwrap_or("-")
                ),
                About::Many => format!("audit:{}:{}:*", a.org_id, a.seq),
                About::Revision { family_id, item_id } => {
                    format!(
                        "audit:{}:{}:revision:{family_id}:{item_id}",
                        a.org_id, a.seq
                    )
                }
            },
        }
    }

    pub fn parse(payload: &str) -> Option<Self> {
        use super::audit::{About, Appended};
        if let Some(org_id) = payload.strip_prefix("guests:") {
            return (!org_id.contains(':')).then(|| Committed::GuestsChanged {
                org_id: org_id.to_owned(),
            });
        }
        if let Some(rest) = payload.strip_prefix("comments:") {
            let (org_id, document_id) = rest.split_once(':')?;
            return (!document_id.contains(':')).then(|| Committed::Comments {
                org_id: org_id.to_owned(),
                document_id: document_id.to_owned(),
            });
        }
        let mut parts = payload.strip_prefix("audit:")?.split(':');
        let org_id = parts.next()?.to_owned();
        let seq = parts.next()?.parse().ok()?;
        let id = |p: &str| (p != "-").then(|| p.to_owned());
        let about = match (parts.next()?, parts.next(), parts.next(), parts.next()) {
            ("*", None, ..) => About::Many,
            ("*", ..) => return None,
            ("revision", Some(family), Some(item), None) => About::Revision {
                family_id: family.to_owned(),
                item_id: item.to_owned(),
            },
            ("revision", ..) => return None,
            (share, Some(item), None, _) => About::One {
                share_id: id(share),
                item_id: id(item),
            },
            _ => return None,
        };
        Some(Committed::Audit(Appended { org_id, seq, about }))
    }
}

/// More notes than this about one organisation's audit chain in one transaction are
/// announced as one ([`super::audit::About::Many`]).
const MAX_NOTES_PER_ORG: usize = 4;

/// `notes` with each organisation's audit notes folded into one when there are many.
fn coalesce(notes: Vec<Committed>) -> Vec<Committed> {
    use super::audit::{About, Appended};
    let mut out: Vec<Committed> = Vec::new();
    for note in notes {
        // A new revision is never folded: a live view of its document must learn its id.
        let Committed::Audit(
            a @ Appended {
                about: About::One { .. } | About::Many,
                ..
            },
        ) = &note
        else {
            if !out.contains(&note) {
                out.push(note);
            }
            continue;
        };
        // Already folded: the one note says "many", up to the newest.
        if let Some(Committed::Audit(many)) = out.iter_mut().find(
            |n| matches!(n, Committed::Audit(b) if b.org_id == a.org_id && b.about == About::Many),
        ) {
            many.seq = many.seq.max(a.seq);
            continue;
        }
        let foldable = |n: &Committed, org_id: &str| matches!(n, Committed::Audit(b @ Appended { about: About::One { .. }, .. }) if b.org_id == org_id);
        let same = out.iter().filter(|n| foldable(n, &a.org_id)).count();
        if same < MAX_NOTES_PER_ORG {
            out.push(note);
            continue;
        }
        let seq = a.seq;
        let org_id = a.org_id.clone();
        out.retain(|n| !foldable(n, &org_id));
        out.push(Committed::Audit(Appended {
            org_id,
            seq,
            about: About::Many,
        }));
    }
    out
}

/// Who hears committed notes: this process (`hear`, right after the commit) and, on
/// PostgreSQL, every node (a `NOTIFY` on `channel` sent right after the commit, its payload
/// prefixed `{origin}|` so the writing node can tell its own). Sent after, not inside, the
/// transaction: a notifying commit takes PostgreSQL's database-wide notify lock, which
/// would queue every audited commit behind the others, and a failed `NOTIFY` would undo
/// the change it announces. A node that stops between its commit and the `NOTIFY` costs
/// the other nodes' pages that one announcement; they read it with the next.
pub struct CommitWatcher {
    pub channel: &'static str,
    pub origin: std::sync::Arc<str>,
    pub hear: Box<Hear>,
}

/// What hears committed notes in this process.
pub type Hear = dyn Fn(&[Committed]) + Send + Sync;

/// The pool's [`CommitWatcher`] (installed once per process by the core, see
/// [`super::Db::watch_commits`]).
#[derive(Clone, Default)]
pub(super) struct CommitWatch(Arc<RwLock<Option<Arc<CommitWatcher>>>>);

impl std::fmt::Debug for CommitWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitWatch")
    }
}

impl CommitWatch {
    pub(super) fn set(&self, w: CommitWatcher) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(w));
    }

    fn get(&self) -> Option<Arc<CommitWatcher>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A database transaction, used as sqlx's (`&mut **tx` is its connection). Notes taken
/// with [`note`](Self::note) are announced by [`commit`](Self::commit) and dropped on
/// rollback.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    /// The pool it came from (the notes' `NOTIFY` goes out on another of its connections).
    pool: sqlx::AnyPool,
    engine: Engine,
    notes: Vec<Committed>,
    watch: CommitWatch,
}

impl Tx {
    pub(super) fn new(
        inner: sqlx::Transaction<'static, sqlx::Any>,
        pool: sqlx::AnyPool,
        engine: Engine,
        watch: CommitWatch,
    ) -> Self {
        Self {
            inner,
            pool,
            engine,
            notes: Vec::new(),
            watch,
        }
    }

    /// The engine this transaction runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Announces `c` once, and only if, this transaction commits.
    pub fn note(&mut self, c: Committed) {
        self.notes.push(c);
    }

    /// Commits. With a watcher installed and notes taken, every node hears them once
    /// committed: this process's watcher at once, the other nodes (PostgreSQL) through a
    /// `NOTIFY` sent right after, apart from the request (see [`CommitWatcher`]).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let Self {
            inner,
            pool,
            engine,
            notes,
            watch,
        } = self;
        let watcher = watch.get().filter(|_| !notes.is_empty());
        let Some(watcher) = watcher else {
            return inner.commit().await;
        };
        let notes = coalesce(notes);
        inner.commit().await?;
        (watcher.hear)(&notes);
        if engine == Engine::Postgres {
            let payloads: Vec<String> = notes
                .iter()
                .map(|n| format!("{}|{}", watcher.origin, n.payload()))
                .collect();
            let channel = watcher.channel;
            tokio::spawn(async move {
                for payload in payloads {
                    let sent = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(channel)
                        .bind(payload)
                        .execute(&pool)
                        .await;
                    if let Err(e) = sent {
                        tracing::warn!(error.detail = %e, "other nodes were not told of a commit");
                    }
                }
            });
        }
        Ok(())
    }

    /// Rolls back; the notes are dropped.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::{About, Appended};

    fn one(org: &str, seq: i64, share: Option<&str>) -> Committed {
        Committed::Audit(Appended {
            org_id: org.into(),
            seq,
            about: About::One {
                share_id: share.map(Into::into),
                item_id: None,
            },
        })
    }

    #[test]
    fn payloads_round_trip_and_refuse_what_they_do_not_say() {
        let many = Committed::Audit(Appended {
            org_id: "o".into(),
            seq: 9,
            about: About::Many,
        });
        let guests = Committed::GuestsChanged { org_id: "o".into() };
        let comments = Committed::Comments {
            org_id: "o".into(),
            document_id: "d".into(),
        };
        let revision = Committed::Audit(Appended {
            org_id: "o".into(),
            seq: 5,
            about: About::Revision {
                family_id: "f".into(),
                item_id: "i".into(),
            },
        });
        for c in [
            one("o", 3, Some("s")),
            one("o", 4, None),
            revision,
            many,
            guests,
            comments,
        ] {
            assert_eq!(Committed::parse(&c.payload()), Some(c.clone()), "{c:?}");
        }
        for bad in [
            "audit:o",
            "audit:o:x:-:-",
            "audit:o:1:-",
            "audit:o:1:*:extra",
            "audit:o:1:s:i:extra",
            "audit:o:1:revision:f",
            "audit:o:1:revision:f:i:extra",
            "guests:o:extra",
            "comments:o",
            "comments:o:d:extra",
        ] {
            assert_eq!(Committed::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn many_notes_about_one_organisation_fold_into_one() {
        let mut notes: Vec<Committed> = (1..=MAX_NOTES_PER_ORG as i64)
            .map(|seq| one("o", seq, Some("s")))
            .collect();
        notes.push(one("p", 1, Some("t")));
        notes.push(Committed::GuestsChanged { org_id: "o".into() });
        notes.push(Committed::GuestsChanged { org_id: "o".into() });
        // Under the limit: as they were, each repeated "guests changed" once.
        let kept = coalesce(notes.clone());
        assert_eq!(kept.len(), MAX_NOTES_PER_ORG + 2);
        // One more about "o": its notes become one "many" with the newest seq.
        notes.push(one("o", 7, None));
        let folded = coalesce(notes);
        assert!(folded.contains(&Committed::Audit(Appended {
            org_id: "o".into(),
            seq: 7,
            about: About::Many,
        })));
        assert!(folded.contains(&one("p", 1, Some("t"))));
        assert_eq!(folded.len(), 3);
        // Later notes about "o" join the "many"; a new revision stays apart (a live view
        // of its document must learn its id).
        let revision = Committed::Audit(Appended {
            org_id: "o".into(),
            seq: 9,
            about: About::Revision {
                family_id: "f".into(),
                item_id: "i".into(),
            },
        });
        let mut more = folded;
        more.push(one("o", 8, None));
        more.push(revision.clone());
        let folded = coalesce(more);
        assert_eq!(folded.len(), 4);
        assert!(folded.contains(&revision));
        assert!(folded.contains(&Committed::Audit(Appended {
            org_id: "o".into(),
            seq: 8,
            about: About::Many,
        })));
        // Folding what follows a revision keeps the revision.
        let mut after: Vec<Committed> = vec![revision.clone()];
        after.extend((1..=MAX_NOTES_PER_ORG as i64 + 1).map(|seq| one("o", 10 + seq, None)));
        let folded = coalesce(after);
        assert_eq!(folded.len(), 2);
        assert!(folded.contains(&revision));
    }
}
