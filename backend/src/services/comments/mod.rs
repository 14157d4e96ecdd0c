//! Comments between staff and guests on shared documents: threads of a root and its
//! replies, a root optionally anchored to a page.
//!
//! Rules, all checked here:
//! - Who reads a thread is fixed when it starts (its audience): a guest's thread is their
//!   share's; staff start one for one share of the document, for staff only, or — those who
//!   may moderate — an item-wide thread open to named shares. A guest reads only threads
//!   whose audience holds their share, and only on documents their share covers.
//! - Guests write only with the "comment" or "edit" permission; staff per role
//!   ([`Action::Comment`]); replies go to a thread the writer may read.
//! - Authors edit or delete their own comment within [`EDIT_WINDOW_MS`]; those who may
//!   moderate ([`Action::ModerateComments`]) delete any comment at any time. A deleted
//!   comment keeps its place (its text cleared) so replies keep their context.
//! - Every change is audited (`comment.posted`, `comment.edited`, `comment.deleted`, with
//!   the text, so the audit export carries the conversation), takes the document's next
//!   change number (live readers catch up from the last one they saw) and is announced to
//!   the document's live channels on every node.
//! - A guest's comment schedules the share owner's digest ([`digest`]).
//! - Text is at most [`MAX_BODY`] characters without control or text-direction characters;
//!   a comment is changed at most [`MAX_EDITS`] times; a share's guests write at most
//!   [`MAX_GUEST_COMMENTS`] comments per document.

mod change;
pub mod digest;
mod view;

use serde_json::json;

use super::{authorize, Result, ServiceError};
use crate::actor::{Guest, RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::Action;
use crate::store::{self, comments::CommentRow, new_id, Committed, Tx};
use crate::Liaison;

pub use change::{delete_as_guest, delete_as_staff, edit_as_guest, edit_as_staff};
pub(crate) use view::{guest_org, org_name};
pub use view::{Author, AuthorKind, CommentView, CommentsPage, Deletion, Reader, ThreadReader};

/// The longest comment, in characters.
pub const MAX_BODY: usize = 5_000;
/// How long an author may edit or delete their own comment.
pub const EDIT_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Comments the guests of one share may write on one document (deleted ones count).
pub const MAX_GUEST_COMMENTS: i64 = 500;
/// The highest page a thread may be anchored to.
pub const MAX_PAGE: i64 = 100_000;
/// The most shares an item-wide thread names.
pub const MAX_AUDIENCE: usize = 50;
/// How often an author may change one comment.
pub const MAX_EDITS: i64 = 20;

/// Who may read a thread staff start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The guests of one share of the document.
    Share(String),
    /// The guests of several named shares of the document (needs
    /// [`Action::ModerateComments`]).
    Shares(Vec<String>),
    /// Staff only.
    Staff,
}

/// What is written: a new thread (with its page and, for staff, its audience) or a reply.
#[derive(Clone, Debug)]
pub enum Placement {
    Thread {
        page: Option<i64>,
        /// Ignored for guests: their threads are their share's.
        audience: Audience,
    },
    Reply {
        to: String,
    },
}

#[derive(Clone, Debug)]
pub struct NewComment {
    pub document_id: String,
    pub placement: Placement,
    pub body: String,
}

/// The writer of a change, as the rules see them.
enum Writer<'a> {
    Staff(&'a Staff),
    Guest(&'a Guest),
}

impl Writer<'_> {
    fn org_id(&self) -> &str {
        match self {
            Writer::Staff(s) => &s.org_id,
            Writer::Guest(g) => &g.org_id,
        }
    }

    fn actor(&self) -> AuditActor<'_> {
        match self {
            Writer::Staff(s) => AuditActor::Staff(s),
            Writer::Guest(g) => AuditActor::Guest(g),
        }
    }

    /// Whether `c` is this writer's own comment.
    fn wrote(&self, c: &CommentRow) -> bool {
        self.reader().wrote(c)
    }

    fn reader(&self) -> Reader {
        match self {
            Writer::Staff(s) => Reader::of_staff(s),
            Writer::Guest(g) => Reader::of_guest(g),
        }
    }
}

/// Characters a comment may not hold: control characters other than line breaks and
/// tabs, and the bidirectional overrides and isolates that make text display in another
/// order than it reads (a spoofing tool in the page and in the audit export).
fn forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn checked_body(body: &str) -> Result<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(ServiceError::invalid("body", "write something first"));
    }
    if body.chars().any(forbidden) {
        return Err(ServiceError::invalid(
            "body",
            "remove the control or text-direction characters (they are not allowed in comments)",
        ));
    }
    if body.chars().count() > MAX_BODY {
        return Err(ServiceError::invalid(
            "body",
            format!("a comment is at most {MAX_BODY} characters"),
        ));
    }
    Ok(body.to_owned())
}

/// The documents a guest's share covers.
async fn covered(core: &Liaison, guest: &Guest) -> Result<std::sync::Arc<Vec<String>>> {
    Ok(core
        .revocations
        .shares()
        .covered(&core.db, &guest.org_id, &guest.share_id)
        .await?)
}

/// Refuses a guest whose share does not let them comment, or does not cover `document_id`.
async fn guest_may_write(core: &Liaison, guest: &Guest, document_id: &str) -> Result<()> {
    let share = store::shares::get(core.db.pool(), &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    if !share.settings.permission.may_respond() {
        return Err(ServiceError::Forbidden(
            "This share lets you view only: commenting is not allowed.",
        ));
    }
    guest_may_read(core, guest, document_id).await
}

async fn guest_may_read(core: &Liaison, guest: &Guest, document_id: &str) -> Result<()> {
    if !covered(core, guest).await?.iter().any(|d| d == document_id) {
        return Err(ServiceError::NotFound("document"));
    }
    Ok(())
}

/// Refuses staff who may not see `document_id` (or it is not their organisation's).
async fn staff_may_read(core: &Liaison, who: &Staff, document_id: &str) -> Result<()> {
    authorize(who, Action::ViewDocuments)?;
    store::documents::get(core.db.pool(), &who.org_id, document_id)
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    Ok(())
}

/// What staff may do in a document's comments, and whom a new thread may address.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Access {
    pub may_write: bool,
    /// May open an item-wide thread to several shares, and delete anyone's comment.
    pub may_moderate: bool,
    /// The document's active shares (id, recipient's name), newest first; at most
    /// [`MAX_AUDIENCE`].
    pub shares: Vec<(String, String)>,
}

/// What `who` may do in `document_id`'s comments.
#[tracing::instrument(skip_all)]
pub async fn access(core: &Liaison, who: &Staff, document_id: &str) -> Result<Access> {
    staff_may_read(core, who, document_id).await?;
    let may_write = authorize(who, Action::Comment).is_ok();
    let shares = if may_write && authorize(who, Action::ViewShares).is_ok() {
        let listed = super::shares::list(
            core,
            who,
            super::shares::ShareFilter {
                status: Some(crate::domain::ShareStatus::Active),
                document_id: Some(document_id.to_owned()),
                limit: Some(MAX_AUDIENCE as i64),
                ..Default::default()
            },
        )
        .await?;
        let cache = core.revocations.shares();
        let mut out = Vec::new();
        // The filter takes every revision of the document: keep the shares of this one.
        for s in listed.items {
            if cache
                .covered(&core.db, &who.org_id, &s.id)
                .await?
                .iter()
                .any(|d| d == document_id)
            {
                out.push((s.id, s.recipient.name));
            }
        }
        out
    } else {
        Vec::new()
    };
    Ok(Access {
        may_write,
        may_moderate: authorize(who, Action::ModerateComments).is_ok(),
        shares,
    })
}

/// Changes to the comments of `document_id` a guest may read, after change `after` (0: from
/// the start), in order.
#[tracing::instrument(skip_all)]
pub async fn for_guest(
    core: &Liaison,
    guest: &Guest,
    document_id: &str,
    after: i64,
) -> Result<CommentsPage> {
    guest_may_read(core, guest, document_id).await?;
    let rows = store::comments::changed_since(
        core.db.pool(),
        &guest.org_id,
        document_id,
        Some(&guest.share_id),
        after,
        view::PAGE + 1,
    )
    .await?;
    view::page(core, &Reader::of_guest(guest), &guest.org_id, rows, after).await
}

/// Changes to the comments of `document_id` after change `after`, for staff: every thread,
/// or, with `share_id`, those that share's guests read.
#[tracing::instrument(skip_all)]
pub async fn for_staff(
    core: &Liaison,
    who: &Staff,
    document_id: &str,
    share_id: Option<&str>,
    after: i64,
) -> Result<CommentsPage> {
    staff_may_read(core, who, document_id).await?;
    let rows = store::comments::changed_since(
        core.db.pool(),
        &who.org_id,
        document_id,
        share_id,
        after,
        view::PAGE + 1,
    )
    .await?;
    view::page(core, &Reader::of_staff(who), &who.org_id, rows, after).await
}

/// A guest writes a comment on their share's document.
#[tracing::instrument(skip_all)]
pub async fn post_as_guest(
    core: &Liaison,
    guest: &Guest,
    input: NewComment,
    meta: &RequestMeta,
) -> Result<CommentView> {
    guest_may_write(core, guest, &input.document_id).await?;
    post(core, Writer::Guest(guest), input, meta).await
}

/// Staff write a comment on one of their organisation's documents.
#[tracing::instrument(skip_all)]
pub async fn post_as_staff(
    core: &Liaison,
    who: &Staff,
    input: NewComment,
    meta: &RequestMeta,
) -> Result<CommentView> {
    authorize(who, Action::Comment)?;
    staff_may_read(core, who, &input.document_id).await?;
    post(core, Writer::Staff(who), input, meta).await
}

/// The shares a new staff thread is open to, each checked to be of the organisation and
/// to cover the document.
async fn audience_of(
    core: &Liaison,
    who: &Staff,
    document_id: &str,
    audience: &Audience,
) -> Result<Vec<String>> {
    let shares = match audience {
        Audience::Staff => return Ok(Vec::new()),
        Audience::Share(id) => vec![id.clone()],
        Audience::Shares(ids) => {
            authorize(who, Action::ModerateComments)?;
            let mut ids = ids.clone();
            ids.sort();
            ids.dedup();
            if ids.is_empty() || ids.len() > MAX_AUDIENCE {
                return Err(ServiceError::invalid(
                    "audience",
                    format!("name between 1 and {MAX_AUDIENCE} shares"),
                ));
            }
            ids
        }
    };
    let cache = core.revocations.shares();
    for id in &shares {
        let covers = cache
            .covered(&core.db, &who.org_id, id)
            .await
            .map(|docs| docs.iter().any(|d| d == document_id))
            .unwrap_or(false);
        if !covers {
            return Err(ServiceError::invalid(
                "audience",
                "each named share must be a share of this document",
            ));
        }
    }
    Ok(shares)
}

async fn post(
    core: &Liaison,
    writer: Writer<'_>,
    input: NewComment,
    meta: &RequestMeta,
) -> Result<CommentView> {
    let body = checked_body(&input.body)?;
    let org_id = writer.org_id().to_owned();
    let document_id = input.document_id.clone();
    // Where it goes: a new thread's page and audience, or the thread of the comment replied to.
    let (thread_id, page, audience) = match &input.placement {
        Placement::Thread { page, audience } => {
            if let Some(p) = page {
                if !(1..=MAX_PAGE).contains(p) {
                    return Err(ServiceError::invalid(
                        "page",
                        format!("a page number is between 1 and {MAX_PAGE}"),
                    ));
                }
            }
            let shares = match &writer {
                Writer::Guest(g) => vec![g.share_id.clone()],
                Writer::Staff(s) => audience_of(core, s, &document_id, audience).await?,
            };
            (None, *page, shares)
        }
        Placement::Reply { to } => {
            let parent = readable(core, &writer, to).await?;
            if parent.document_id != document_id {
                return Err(ServiceError::NotFound("comment"));
            }
            (Some(parent.thread_id), None, Vec::new())
        }
    };
    let id = new_id();
    let thread_id = thread_id.unwrap_or_else(|| id.clone());
    let now = core.now_ms();
    let (kind, user, share, session, name, email, author_org) = match &writer {
        Writer::Staff(s) => (
            AuthorKind::Staff,
            Some(s.user_id.clone()),
            None,
            None,
            s.name.clone(),
            s.email.clone(),
            org_name(core, &s.org_id).await?,
        ),
        Writer::Guest(g) => (
            AuthorKind::Guest,
            None,
            Some(g.share_id.clone()),
            Some(g.session_id.clone()),
            g.recipient_name.clone(),
            g.recipient_email.clone(),
            guest_org(&g.recipient_email),
        ),
    };
    let mut tx = core.db.begin().await?;
    // The counter first: it serialises this document's writers, so the cap below holds
    // under concurrency.
    let rev = store::comments::next_rev(&mut tx, &org_id, &document_id).await?;
    if let Writer::Guest(g) = &writer {
        // The share's row next (the owner's digest), before the audit chain's head: the
        // order a revocation or an open takes them in is share row, then audit head, so
        // the two never wait on each other in a circle.
        digest::schedule(&mut tx, &g.org_id, &g.share_id, now).await?;
        let written =
            store::comments::count_by_share(&mut *tx, &org_id, &g.share_id, &document_id).await?;
        if written >= MAX_GUEST_COMMENTS {
            tx.rollback().await?;
            return Err(ServiceError::TooMany {
                message: "This share has written as many comments on this document as it may; \
                          contact the sender.",
                retry_after_secs: None,
            });
        }
    }
    let row = CommentRow {
        id,
        org_id: org_id.clone(),
        document_id: document_id.clone(),
        thread_id,
        page,
        author_kind: kind.as_str().into(),
        author_user: user,
        author_share: share,
        author_session: session,
        author_name: name,
        author_email: email,
        author_org,
        body,
        rev,
        created_at: now,
        edited_at: None,
        deleted_at: None,
        deleted_by: None,
        edits: 0,
    };
    store::comments::insert(&mut tx, &row).await?;
    for share_id in &audience {
        store::comments::add_audience(&mut tx, &org_id, &row.thread_id, share_id).await?;
    }
    let audit_share = match &writer {
        Writer::Guest(g) => Some(g.share_id.clone()),
        Writer::Staff(_) if audience.len() == 1 => audience.first().cloned(),
        Writer::Staff(_) => None,
    };
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &org_id,
            event_type: EventType::CommentPosted,
            actor: writer.actor(),
            share_id: audit_share.as_deref(),
            item_id: Some(&document_id),
            details: json!({
                "comment": row.id,
                "thread": row.thread_id,
                "reply": row.thread_id != row.id,
                "page": row.page,
                "audience": audience,
                "body": row.body,
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    announce(tx, &org_id, &document_id).await?;
    let audiences = if row.thread_id == row.id {
        audience
    } else {
        thread_audience(core, &org_id, &row.thread_id).await?
    };
    view::one(core, &writer.reader(), &row, audiences, now).await
}

/// The comment `id`, if `writer` may read its thread.
async fn readable(core: &Liaison, writer: &Writer<'_>, id: &str) -> Result<CommentRow> {
    let row = store::comments::get(core.db.pool(), writer.org_id(), id)
        .await?
        .ok_or(ServiceError::NotFound("comment"))?;
    match writer {
        Writer::Staff(s) => staff_may_read(core, s, &row.document_id).await?,
        Writer::Guest(g) => {
            // One answer whether the comment exists elsewhere or not at all.
            guest_may_read(core, g, &row.document_id)
                .await
                .map_err(|_| ServiceError::NotFound("comment"))?;
            let audience = thread_audience(core, &g.org_id, &row.thread_id).await?;
            if !audience.contains(&g.share_id) {
                return Err(ServiceError::NotFound("comment"));
            }
        }
    }
    Ok(row)
}

/// The shares whose guests read the thread `thread_id` (none: staff only).
pub(crate) async fn thread_audience(
    core: &Liaison,
    org_id: &str,
    thread_id: &str,
) -> Result<Vec<String>> {
    Ok(
        store::comments::audiences(core.db.pool(), org_id, &[thread_id.to_owned()])
            .await?
            .into_iter()
            .map(|(_, share)| share)
            .collect(),
    )
}

/// Commits `tx`, which changed `document_id`'s comments, and announces it once committed
/// (`Committed::Comments`: this node's channels, and the other nodes).
async fn announce(mut tx: Tx, org_id: &str, document_id: &str) -> Result<()> {
    tx.note(Committed::Comments {
        org_id: org_id.to_owned(),
        document_id: document_id.to_owned(),
    });
    tx.commit().await?;
    Ok(())
}
