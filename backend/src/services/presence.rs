//! Who is viewing a shared document now, and who is typing in its comments.
//!
//! Each live channel that follows a document is one presence entry
//! (`store::presence`), entered when it starts following and left when it stops or the
//! socket ends. Entries are kept alive by their node's heartbeat ([`heartbeat`], every
//! [`HEARTBEAT_EVERY`]): a node that dies stops pushing its entries' expiry forward, and
//! the next heartbeat of any node removes them ([`TTL_MS`] at most) and announces the
//! change. Every change is announced with the document's id only (`Topic::Presence`);
//! each channel reads who is there as its viewer may see it ([`viewers`]).
//!
//! What a viewer sees: staff see everyone (guests by name and organisation); a guest sees
//! only staff — by name, or as "Staff of <organisation>" where the policy says so — never
//! another share's guests. Typing ([`typing`]) names an entry and a thread; a guest hears
//! of staff typing only in a thread their share reads.

use std::time::Duration;

use serde::Serialize;

use super::comments::{self, AuthorKind, Reader};
use super::{Result, ServiceError};
use crate::actor::{Guest, Staff};
use crate::revocation::{DocumentEvent, Topic};
use crate::store::{self, new_id, presence::PresenceRow};
use crate::Liaison;

/// How long an entry lives without its node's heartbeat.
pub const TTL_MS: i64 = 60_000;
/// How often each node keeps its entries alive and removes dead nodes' entries.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(20);

/// Someone viewing a document, as a reader is shown them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Viewer {
    pub kind: AuthorKind,
    pub name: String,
    pub organisation: String,
}

/// Who enters.
#[derive(Clone, Copy, Debug)]
pub enum Present<'a> {
    Staff(&'a Staff),
    Guest(&'a Guest),
}

/// Records that `who` is viewing `document_id` on this node (the caller checked that they
/// may) and announces it. Returns the entry's id, to [`leave`] with.
#[tracing::instrument(skip_all)]
pub async fn enter(core: &Liaison, who: Present<'_>, document_id: &str) -> Result<String> {
    let now = core.now_ms();
    let row = match who {
        Present::Staff(s) => PresenceRow {
            id: new_id(),
            org_id: s.org_id.clone(),
            document_id: document_id.to_owned(),
            node_id: core.node_id.clone(),
            kind: AuthorKind::Staff.as_str().into(),
            user_id: Some(s.user_id.clone()),
            share_id: None,
            name: s.name.clone(),
            organisation: comments::org_name(core, &s.org_id).await?,
            since: now,
            expires_at: now + TTL_MS,
        },
        Present::Guest(g) => PresenceRow {
            id: new_id(),
            org_id: g.org_id.clone(),
            document_id: document_id.to_owned(),
            node_id: core.node_id.clone(),
            kind: AuthorKind::Guest.as_str().into(),
            user_id: None,
            share_id: Some(g.share_id.clone()),
            name: g.recipient_name.clone(),
            organisation: comments::guest_org(&g.recipient_email),
            since: now,
            expires_at: now + TTL_MS,
        },
    };
    store::presence::insert(core.db.pool(), &row).await?;
    core.revocations.hold_presence(&row.id, true);
    let staff = matches!(who, Present::Staff(_));
    let event = DocumentEvent::new(&row.org_id, document_id, Topic::Presence { staff });
    if let Err(e) = announce(core, event).await {
        // Not present after all: the caller never learns the entry's id.
        core.revocations.hold_presence(&row.id, false);
        let _ = store::presence::delete(core.db.pool(), &row.org_id, &row.id).await;
        return Err(e);
    }
    Ok(row.id)
}

/// `who`'s entry `id` ends (its channel stopped following the document or closed).
#[tracing::instrument(skip_all)]
pub async fn leave(core: &Liaison, who: Present<'_>, document_id: &str, id: &str) -> Result<()> {
    let (org_id, staff) = match who {
        Present::Staff(s) => (&s.org_id, true),
        Present::Guest(g) => (&g.org_id, false),
    };
    // No longer kept alive: should the removal fail, the entry still expires.
    core.revocations.hold_presence(id, false);
    store::presence::delete(core.db.pool(), org_id, id).await?;
    announce(
        core,
        DocumentEvent::new(org_id, document_id, Topic::Presence { staff }),
    )
    .await
}

async fn announce(core: &Liaison, event: DocumentEvent) -> Result<()> {
    Ok(core.revocations.announce_document(&core.db, event).await?)
}

/// How a reader is shown the people present: staff see everyone as they are; a guest sees
/// staff only, by name or as "Staff of <organisation>" (the organisation's choice).
#[derive(Clone, Copy)]
enum Shown {
    ToStaff,
    ToGuest { staff_names: bool },
}

impl Shown {
    async fn to(core: &Liaison, reader: &Reader, org_id: &str) -> Result<Self> {
        Ok(match reader {
            Reader::Staff { .. } => Shown::ToStaff,
            Reader::Guest { .. } => Shown::ToGuest {
                staff_names: super::policy::org_policy(core, org_id)
                    .await?
                    .guests_see_staff_names,
            },
        })
    }

    /// How `row` is shown, or `None` when it is not shown at all.
    fn row(self, row: &PresenceRow) -> Option<Viewer> {
        let kind = if row.kind == AuthorKind::Staff.as_str() {
            AuthorKind::Staff
        } else {
            AuthorKind::Guest
        };
        let name = match (self, kind) {
            (Shown::ToGuest { .. }, AuthorKind::Guest) => return None,
            (Shown::ToGuest { staff_names: false }, AuthorKind::Staff) => {
                format!("Staff of {}", row.organisation)
            }
            _ => row.name.clone(),
        };
        Some(Viewer {
            kind,
            name,
            organisation: row.organisation.clone(),
        })
    }
}

/// Who else is viewing `document_id` now, as `reader` may see them: each person once
/// (however many pages they have open), longest there first. A guest's read fetches the
/// staff entries only.
#[tracing::instrument(skip_all)]
pub async fn viewers(
    core: &Liaison,
    reader: &Reader,
    org_id: &str,
    document_id: &str,
) -> Result<Vec<Viewer>> {
    let shown = Shown::to(core, reader, org_id).await?;
    let staff_only = matches!(shown, Shown::ToGuest { .. });
    let rows = store::presence::current(
        core.db.pool(),
        org_id,
        document_id,
        core.now_ms(),
        staff_only,
    )
    .await?;
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Viewer> = Vec::new();
    for row in &rows {
        // Not themselves.
        if let Reader::Staff { user_id, .. } = reader {
            if row.user_id.as_deref() == Some(user_id.as_str()) {
                continue;
            }
        }
        if let Some(v) = shown.row(row) {
            if seen.insert((v.kind, v.name.clone(), v.organisation.clone())) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Announces that the viewer of the entry `presence` (on `document_id`) is typing, in
/// `thread` or a new one. The caller holds that entry.
#[tracing::instrument(skip_all)]
pub async fn typing(
    core: &Liaison,
    org_id: &str,
    document_id: &str,
    presence: &str,
    thread: Option<&str>,
) -> Result<()> {
    let event = DocumentEvent::new(
        org_id,
        document_id,
        Topic::Typing {
            presence: presence.to_owned(),
            thread: thread.map(str::to_owned),
        },
    );
    announce(core, event).await
}

/// Who `reader` is shown typing for a `Topic::Typing` about `document_id`, if anyone: the
/// entry must be current and on that document, and a guest hears only of staff in a
/// thread their share reads (not of a thread being started: whom it is for is not known
/// yet).
#[tracing::instrument(skip_all)]
pub async fn typist(
    core: &Liaison,
    reader: &Reader,
    org_id: &str,
    document_id: &str,
    presence: &str,
    thread: Option<&str>,
) -> Result<Option<Viewer>> {
    let Some(row) = store::presence::get(core.db.pool(), org_id, presence, core.now_ms()).await?
    else {
        return Ok(None);
    };
    if row.document_id != document_id {
        return Ok(None);
    }
    if let Reader::Guest { share_id, .. } = reader {
        let Some(thread) = thread else {
            return Ok(None);
        };
        if !comments::thread_audience(core, org_id, thread)
            .await?
            .contains(share_id)
        {
            return Ok(None);
        }
    }
    Ok(Shown::to(core, reader, org_id).await?.row(&row))
}

/// One heartbeat of this node: keeps the entries its channels hold alive for [`TTL_MS`],
/// removes entries nobody keeps alive any more (a dead node's, or one whose removal
/// failed) and announces the documents they were on.
#[tracing::instrument(skip_all)]
pub async fn heartbeat(core: &Liaison) -> Result<()> {
    let now = core.now_ms();
    let held = core.revocations.held_presence();
    store::presence::keep_alive(core.db.pool(), &core.node_id, &held, now + TTL_MS).await?;
    for (org_id, document_id) in store::presence::remove_expired(&core.db, now).await? {
        announce(
            core,
            // Whose entries they were is not read: anyone may be concerned.
            DocumentEvent::new(&org_id, &document_id, Topic::Presence { staff: true }),
        )
        .await?;
    }
    Ok(())
}

/// Refuses a typing notice about a thread the writer may not read (or that is not on the
/// document).
pub async fn may_type_in(
    core: &Liaison,
    reader: &Reader,
    org_id: &str,
    document_id: &str,
    thread: &str,
) -> Result<()> {
    let root = store::comments::get(core.db.pool(), org_id, thread)
        .await?
        .filter(|c| c.document_id == document_id && c.thread_id == c.id)
        .ok_or(ServiceError::NotFound("thread"))?;
    if let Reader::Guest { share_id, .. } = reader {
        if !comments::thread_audience(core, org_id, &root.id)
            .await?
            .contains(share_id)
        {
            return Err(ServiceError::NotFound("thread"));
        }
    }
    Ok(())
}
