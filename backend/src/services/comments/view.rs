//! Comments as each reader sees them: staff see every author's name, organisation and
//! address and who reads each thread; guests see other guests' names and organisations,
//! and staff by name or as "Staff of <organisation>", as the organisation's policy says.

use serde::Serialize;

use super::EDIT_WINDOW_MS;
use crate::actor::{Guest, Staff};
use crate::domain::Action;
use crate::services::{rfc3339, Result, ServiceError};
use crate::store::{self, comments::CommentRow, from_millis};
use crate::Liaison;

/// Changes returned at most per call; `more` says whether others follow.
pub(super) const PAGE: i64 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Staff,
    Guest,
}

impl AuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorKind::Staff => "staff",
            AuthorKind::Guest => "guest",
        }
    }
}

/// Who deleted a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deletion {
    Author,
    Moderator,
}

impl Deletion {
    pub fn as_str(self) -> &'static str {
        match self {
            Deletion::Author => "author",
            Deletion::Moderator => "moderator",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Author {
    pub kind: AuthorKind,
    pub name: String,
    pub organisation: String,
    /// Shown to staff only.
    pub email: Option<String>,
}

/// A share whose guests read a thread (staff readers only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ThreadReader {
    pub share_id: String,
    pub recipient: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: String,
    pub document_id: String,
    pub thread_id: String,
    pub page: Option<i64>,
    pub author: Author,
    /// Empty once deleted.
    pub body: String,
    pub created_at: String,
    pub edited: bool,
    pub deleted: Option<Deletion>,
    /// The document's change number of this comment's last change.
    pub rev: i64,
    /// Staff readers: the shares whose guests read the thread (none: staff only). Empty
    /// for guests.
    pub audience: Vec<ThreadReader>,
    /// The thread is read by more than one share's guests (an item-wide thread): guests
    /// are told so, without learning who the others are.
    pub shared: bool,
    /// The reader wrote it.
    pub mine: bool,
    /// Until when the reader may edit or delete it (their own, recent comment).
    pub editable_until: Option<String>,
    /// The reader may delete it (their own and recent, or they moderate).
    pub may_delete: bool,
}

/// Changes after a change number, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommentsPage {
    pub items: Vec<CommentView>,
    /// The change number of the last item (the one asked from, when there is none).
    pub last_rev: i64,
    /// More changes follow: ask again from `last_rev`.
    pub more: bool,
}

/// Who reads comments, with what they may do to them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reader {
    Staff {
        user_id: String,
        may_comment: bool,
        may_moderate: bool,
    },
    Guest {
        share_id: String,
        session_id: String,
    },
}

impl Reader {
    pub fn of_staff(s: &Staff) -> Self {
        let may = |a| crate::services::authorize(s, a).is_ok();
        Reader::Staff {
            user_id: s.user_id.clone(),
            may_comment: may(Action::Comment),
            may_moderate: may(Action::ModerateComments),
        }
    }

    pub fn of_guest(g: &Guest) -> Self {
        Reader::Guest {
            share_id: g.share_id.clone(),
            session_id: g.session_id.clone(),
        }
    }

    /// Whether `c` is this reader's own comment (staff: the same account; a guest: the
    /// same share and portal session).
    pub(super) fn wrote(&self, c: &CommentRow) -> bool {
        match self {
            Reader::Staff { user_id, .. } => c.author_user.as_deref() == Some(user_id.as_str()),
            Reader::Guest {
                share_id,
                session_id,
            } => {
                c.author_share.as_deref() == Some(share_id.as_str())
                    && c.author_session.as_deref() == Some(session_id.as_str())
            }
        }
    }
}

pub(crate) async fn org_name(core: &Liaison, org_id: &str) -> Result<String> {
    Ok(store::orgs::get(core.db.pool(), org_id)
        .await?
        .ok_or(ServiceError::NotFound("organisation"))?
        .name)
}

/// A guest's organisation as shown beside their name: their address's domain.
pub(crate) fn guest_org(email: &str) -> String {
    email
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_ascii_lowercase())
        .unwrap_or_default()
}

/// What a reader is shown of everyone: guests learn staff names only where the policy says.
struct Context {
    staff_names: bool,
    org: String,
}

async fn context(core: &Liaison, reader: &Reader, org_id: &str) -> Result<Context> {
    Ok(match reader {
        Reader::Staff { .. } => Context {
            staff_names: true,
            org: String::new(),
        },
        Reader::Guest { .. } => Context {
            staff_names: crate::services::policy::org_policy(core, org_id)
                .await?
                .guests_see_staff_names,
            org: org_name(core, org_id).await?,
        },
    })
}

/// The changes `rows` (fetched with one more than [`PAGE`]) as `reader` sees them.
pub(super) async fn page(
    core: &Liaison,
    reader: &Reader,
    org_id: &str,
    mut rows: Vec<CommentRow>,
    after: i64,
) -> Result<CommentsPage> {
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let items = views(core, reader, org_id, &rows).await?;
    Ok(CommentsPage {
        last_rev: rows.last().map_or(after, |r| r.rev),
        items,
        more,
    })
}

/// `rows` as `reader` sees them (the caller checked that they may read every one).
pub async fn views(
    core: &Liaison,
    reader: &Reader,
    org_id: &str,
    rows: &[CommentRow],
) -> Result<Vec<CommentView>> {
    let ctx = context(core, reader, org_id).await?;
    let mut threads: Vec<String> = rows.iter().map(|r| r.thread_id.clone()).collect();
    threads.sort();
    threads.dedup();
    // Who reads each thread: one query for the page; for staff, each share's recipient
    // looked up once.
    let audiences = store::comments::audiences(core.db.pool(), org_id, &threads).await?;
    let recipients = match reader {
        Reader::Staff { .. } => recipients(core, org_id, audiences.iter().map(|(_, s)| s)).await?,
        Reader::Guest { .. } => Default::default(),
    };
    let now = core.now_ms();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let shares: Vec<String> = audiences
            .iter()
            .filter(|(t, _)| *t == row.thread_id)
            .map(|(_, s)| s.clone())
            .collect();
        out.push(render(reader, &ctx, row, &shares, &recipients, now));
    }
    Ok(out)
}

/// One comment as `reader` sees it, its thread read by `audience`.
pub(super) async fn one(
    core: &Liaison,
    reader: &Reader,
    row: &CommentRow,
    audience: Vec<String>,
    now: i64,
) -> Result<CommentView> {
    let ctx = context(core, reader, &row.org_id).await?;
    let recipients = match reader {
        Reader::Staff { .. } => recipients(core, &row.org_id, audience.iter()).await?,
        Reader::Guest { .. } => Default::default(),
    };
    Ok(render(reader, &ctx, row, &audience, &recipients, now))
}

/// The recipient's name of each of `shares` (each looked up once).
async fn recipients(
    core: &Liaison,
    org_id: &str,
    shares: impl Iterator<Item = &String>,
) -> Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    let cache = core.revocations.shares();
    for share_id in shares {
        if !out.contains_key(share_id) {
            let name = cache
                .get(&core.db, org_id, share_id)
                .await?
                .map(|s| s.recipient_name.clone())
                .unwrap_or_default();
            out.insert(share_id.clone(), name);
        }
    }
    Ok(out)
}

fn render(
    reader: &Reader,
    ctx: &Context,
    row: &CommentRow,
    audience: &[String],
    recipients: &std::collections::HashMap<String, String>,
    now: i64,
) -> CommentView {
    let kind = if row.author_kind == "staff" {
        AuthorKind::Staff
    } else {
        AuthorKind::Guest
    };
    let staff_reader = matches!(reader, Reader::Staff { .. });
    let author = match (kind, staff_reader) {
        (_, true) => Author {
            kind,
            name: row.author_name.clone(),
            organisation: row.author_org.clone(),
            email: Some(row.author_email.clone()),
        },
        (AuthorKind::Staff, false) if !ctx.staff_names => Author {
            kind,
            name: format!("Staff of {}", ctx.org),
            organisation: ctx.org.clone(),
            email: None,
        },
        (_, false) => Author {
            kind,
            name: row.author_name.clone(),
            organisation: row.author_org.clone(),
            email: None,
        },
    };
    let deleted = row.deleted_by.as_deref().map(|d| {
        if d == "moderator" {
            Deletion::Moderator
        } else {
            Deletion::Author
        }
    });
    let mine = reader.wrote(row);
    let until = row.created_at + EDIT_WINDOW_MS;
    let own_and_recent = mine && deleted.is_none() && now <= until;
    let (may_edit, may_delete) = match reader {
        Reader::Staff {
            may_comment,
            may_moderate,
            ..
        } => (
            own_and_recent && *may_comment,
            deleted.is_none() && ((own_and_recent && *may_comment) || *may_moderate),
        ),
        Reader::Guest { .. } => (own_and_recent, own_and_recent),
    };
    let readers = if staff_reader {
        audience
            .iter()
            .map(|share_id| ThreadReader {
                share_id: share_id.clone(),
                recipient: recipients.get(share_id).cloned().unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    CommentView {
        id: row.id.clone(),
        document_id: row.document_id.clone(),
        thread_id: row.thread_id.clone(),
        page: row.page,
        author,
        body: row.body.clone(),
        created_at: rfc3339(from_millis(row.created_at)),
        edited: row.edited_at.is_some(),
        deleted,
        rev: row.rev,
        audience: readers,
        shared: audience.len() > 1,
        mine,
        editable_until: may_edit.then(|| rfc3339(from_millis(until))),
        may_delete,
    }
}
