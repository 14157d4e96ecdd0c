//! Changing a comment after it was written: its author edits or deletes it within
//! [`EDIT_WINDOW_MS`] (at most [`MAX_EDITS`] edits); those who moderate delete any.

use serde_json::json;

use super::{
    announce, checked_body, guest_may_write, readable, thread_audience, view, CommentView,
    Deletion, Writer, EDIT_WINDOW_MS, MAX_EDITS,
};
use crate::actor::{Guest, RequestMeta, Staff};
use crate::audit::{self, EventType, NewEvent};
use crate::domain::Action;
use crate::services::{authorize, Result, ServiceError};
use crate::store::{self, comments::CommentRow};
use crate::Liaison;

/// A guest edits their own comment (within [`EDIT_WINDOW_MS`] of writing it).
#[tracing::instrument(skip_all)]
pub async fn edit_as_guest(
    core: &Liaison,
    guest: &Guest,
    id: &str,
    body: &str,
    meta: &RequestMeta,
) -> Result<CommentView> {
    let row = readable(core, &Writer::Guest(guest), id).await?;
    guest_may_write(core, guest, &row.document_id).await?;
    edit(core, Writer::Guest(guest), row, body, meta).await
}

/// Staff edit their own comment (within [`EDIT_WINDOW_MS`] of writing it).
#[tracing::instrument(skip_all)]
pub async fn edit_as_staff(
    core: &Liaison,
    who: &Staff,
    id: &str,
    body: &str,
    meta: &RequestMeta,
) -> Result<CommentView> {
    authorize(who, Action::Comment)?;
    let row = readable(core, &Writer::Staff(who), id).await?;
    edit(core, Writer::Staff(who), row, body, meta).await
}

fn refuse_unless_own_and_recent(writer: &Writer<'_>, row: &CommentRow, now: i64) -> Result<()> {
    if !writer.wrote(row) {
        return Err(ServiceError::Forbidden(
            "Only its author may change this comment.",
        ));
    }
    if now - row.created_at > EDIT_WINDOW_MS {
        return Err(ServiceError::Forbidden(
            "A comment can be changed only in the 15 minutes after it was written.",
        ));
    }
    Ok(())
}

async fn edit(
    core: &Liaison,
    writer: Writer<'_>,
    row: CommentRow,
    body: &str,
    meta: &RequestMeta,
) -> Result<CommentView> {
    let body = checked_body(body)?;
    let now = core.now_ms();
    refuse_unless_own_and_recent(&writer, &row, now)?;
    if row.deleted_at.is_some() {
        return Err(ServiceError::Conflict("This comment was deleted.".into()));
    }
    let too_often = || ServiceError::TooMany {
        message: "This comment has been changed as often as it may be; write a new one.",
        retry_after_secs: None,
    };
    if row.edits >= MAX_EDITS {
        return Err(too_often());
    }
    let mut tx = core.db.begin().await?;
    let rev = store::comments::next_rev(&mut tx, &row.org_id, &row.document_id).await?;
    if !store::comments::set_body(&mut tx, &row.org_id, &row.id, &body, rev, now, MAX_EDITS).await?
    {
        tx.rollback().await?;
        // Deleted or changed to the limit meanwhile.
        let now_row = store::comments::get(core.db.pool(), &row.org_id, &row.id).await?;
        return Err(match now_row {
            Some(r) if r.deleted_at.is_none() => too_often(),
            _ => ServiceError::Conflict("This comment was deleted.".into()),
        });
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &row.org_id,
            event_type: EventType::CommentEdited,
            actor: writer.actor(),
            share_id: row.author_share.as_deref(),
            item_id: Some(&row.document_id),
            details: json!({ "comment": row.id, "thread": row.thread_id,
                             "before": row.body, "after": body }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    announce(tx, &row.org_id, &row.document_id).await?;
    let audience = thread_audience(core, &row.org_id, &row.thread_id).await?;
    let edited = CommentRow {
        body,
        rev,
        edited_at: Some(now),
        edits: row.edits + 1,
        ..row
    };
    view::one(core, &writer.reader(), &edited, audience, now).await
}

/// A guest deletes their own comment (within [`EDIT_WINDOW_MS`] of writing it).
#[tracing::instrument(skip_all)]
pub async fn delete_as_guest(
    core: &Liaison,
    guest: &Guest,
    id: &str,
    meta: &RequestMeta,
) -> Result<()> {
    let row = readable(core, &Writer::Guest(guest), id).await?;
    guest_may_write(core, guest, &row.document_id).await?;
    refuse_unless_own_and_recent(&Writer::Guest(guest), &row, core.now_ms())?;
    delete(core, Writer::Guest(guest), row, Deletion::Author, meta).await
}

/// Staff delete a comment: their own within [`EDIT_WINDOW_MS`], or, with
/// [`Action::ModerateComments`], anyone's at any time.
#[tracing::instrument(skip_all)]
pub async fn delete_as_staff(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<()> {
    // Authorized before the comment is looked up (it may not exist).
    if authorize(who, Action::Comment).is_err() {
        authorize(who, Action::ModerateComments)?;
    }
    let row = readable(core, &Writer::Staff(who), id).await?;
    let writer = Writer::Staff(who);
    let own_and_recent = writer.wrote(&row) && core.now_ms() - row.created_at <= EDIT_WINDOW_MS;
    let by = if authorize(who, Action::ModerateComments).is_ok() && !own_and_recent {
        Deletion::Moderator
    } else {
        authorize(who, Action::Comment)?;
        refuse_unless_own_and_recent(&writer, &row, core.now_ms())?;
        Deletion::Author
    };
    delete(core, writer, row, by, meta).await
}

async fn delete(
    core: &Liaison,
    writer: Writer<'_>,
    row: CommentRow,
    by: Deletion,
    meta: &RequestMeta,
) -> Result<()> {
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let rev = store::comments::next_rev(&mut tx, &row.org_id, &row.document_id).await?;
    if !store::comments::mark_deleted(&mut tx, &row.org_id, &row.id, by.as_str(), rev, now).await? {
        tx.rollback().await?;
        return Err(ServiceError::Conflict(
            "This comment was already deleted.".into(),
        ));
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &row.org_id,
            event_type: EventType::CommentDeleted,
            actor: writer.actor(),
            share_id: row.author_share.as_deref(),
            item_id: Some(&row.document_id),
            details: json!({ "comment": row.id, "thread": row.thread_id,
                             "by": by.as_str(), "body": row.body }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    announce(tx, &row.org_id, &row.document_id).await
}
