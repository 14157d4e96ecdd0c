//! Changing a record's parts: its custody history, its links and its attached documents.
//! Each change locks the record (serialising writers of its parts), checks its input, and
//! is audited in the same transaction; a refused change rolls back and writes nothing.

use serde_json::{json, Value};

use super::edit::{audit_record, bad, event_row, required_text, resolve, MAX_PARTS};
use super::{row, DocumentInput, EventInput, LinkInput, RecordView, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::domain::records::MAX_EVENTS;
use crate::domain::Action;
use crate::store::{self, new_id, records::RecordRow, Tx};
use crate::Liaison;

/// A change to one record's parts under way: the record, locked in `tx`. Dropping it
/// without [`Change::done`] rolls the transaction back.
struct Change<'a> {
    core: &'a Liaison,
    who: &'a Staff,
    tx: Tx,
    record: RecordRow,
}

impl<'a> Change<'a> {
    /// Authorizes `who`, finds the record and locks it (its `updated_at` moves on).
    async fn begin(core: &'a Liaison, who: &'a Staff, id: &str) -> Result<Self> {
        super::super::authorize(who, Action::ManageRecords)?;
        let record = row(core, &who.org_id, id).await?;
        let mut tx = core.db.begin().await?;
        store::records::touch(&mut *tx, &who.org_id, &record.id, core.now_ms()).await?;
        Ok(Self {
            core,
            who,
            tx,
            record,
        })
    }

    /// Audits the change (`details`, with its `action`), commits, and answers the record.
    async fn done(mut self, details: Value, meta: &RequestMeta) -> Result<RecordView> {
        audit_record(
            self.core,
            &mut self.tx,
            self.who,
            EventType::RecordChanged,
            Some(&self.record.id),
            details,
            meta,
        )
        .await?;
        self.tx.commit().await?;
        super::get(self.core, self.who, &self.record.id).await
    }
}

fn marks(redacted: &str) -> Value {
    serde_json::from_str(redacted).unwrap_or_default()
}

/// Adds a custody event to a record's history.
#[tracing::instrument(skip_all)]
pub async fn add_event(
    core: &Liaison,
    who: &Staff,
    id: &str,
    input: EventInput,
    meta: &RequestMeta,
) -> Result<RecordView> {
    let mut c = Change::begin(core, who, id).await?;
    let held = store::records::events(&mut *c.tx, &who.org_id, &c.record.id).await?;
    if held.len() >= MAX_EVENTS {
        return Err(bad(
            "history",
            format!("a record holds at most {MAX_EVENTS} custody events"),
        ));
    }
    let ev = event_row(
        &mut c.tx,
        &who.org_id,
        &c.record.id,
        new_id(),
        "history.",
        &input,
        &[],
    )
    .await?;
    store::records::insert_event(&mut *c.tx, &ev).await?;
    c.done(
        json!({ "action": "event_added", "event": ev.id, "process": ev.process,
                "redacted": marks(&ev.redacted) }),
        meta,
    )
    .await
}

/// Replaces a custody event's data (its place in the history follows its new time).
#[tracing::instrument(skip_all)]
pub async fn change_event(
    core: &Liaison,
    who: &Staff,
    id: &str,
    event_id: &str,
    input: EventInput,
    meta: &RequestMeta,
) -> Result<RecordView> {
    let mut c = Change::begin(core, who, id).await?;
    let before = store::records::events(&mut *c.tx, &who.org_id, &c.record.id)
        .await?
        .into_iter()
        .find(|e| e.id == event_id)
        .ok_or(ServiceError::NotFound("custody event"))?;
    let kept: Vec<crate::domain::records::FieldPath> =
        serde_json::from_str(&before.redacted).map_err(ServiceError::internal)?;
    let ev = event_row(
        &mut c.tx,
        &who.org_id,
        &c.record.id,
        event_id.to_owned(),
        "history.",
        &input,
        &kept,
    )
    .await?;
    if !store::records::update_event(&mut *c.tx, &ev).await? {
        return Err(ServiceError::NotFound("custody event"));
    }
    c.done(
        json!({ "action": "event_changed", "event": ev.id, "process": ev.process,
                "redacted": marks(&ev.redacted) }),
        meta,
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn remove_event(
    core: &Liaison,
    who: &Staff,
    id: &str,
    event_id: &str,
    meta: &RequestMeta,
) -> Result<RecordView> {
    let mut c = Change::begin(core, who, id).await?;
    if !store::records::delete_event(&mut *c.tx, &who.org_id, &c.record.id, event_id).await? {
        return Err(ServiceError::NotFound("custody event"));
    }
    c.done(
        json!({ "action": "event_removed", "event": event_id }),
        meta,
    )
    .await
}

/// Links a record to another (by id or reference) with a named relation.
#[tracing::instrument(skip_all)]
pub async fn link(
    core: &Liaison,
    who: &Staff,
    id: &str,
    input: LinkInput,
    meta: &RequestMeta,
) -> Result<RecordView> {
    let mut c = Change::begin(core, who, id).await?;
    let relation = required_text("links.relation", &input.relation, 100)?;
    let target = resolve(&mut c.tx, &who.org_id, "links.target", &input.target, None).await?;
    if target.id == c.record.id {
        return Err(bad("links.target", "a record cannot be linked to itself"));
    }
    if store::records::links(&mut *c.tx, &who.org_id, &c.record.id)
        .await?
        .len()
        >= MAX_PARTS
    {
        return Err(bad(
            "links",
            format!("a record holds at most {MAX_PARTS} links"),
        ));
    }
    let (record_id, now) = (c.record.id.clone(), core.now_ms());
    store::records::add_link(
        &mut *c.tx,
        &who.org_id,
        &record_id,
        &target.id,
        &relation,
        now,
    )
    .await?;
    c.done(
        json!({ "action": "linked", "target": target.id, "relation": relation }),
        meta,
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn unlink(
    core: &Liaison,
    who: &Staff,
    id: &str,
    target_id: &str,
    meta: &RequestMeta,
) -> Result<RecordView> {
    let mut c = Change::begin(core, who, id).await?;
    if store::records::remove_links(&mut *c.tx, &who.org_id, &c.record.id, target_id).await? == 0 {
        return Err(ServiceError::NotFound("link"));
    }
    c.done(json!({ "action": "unlinked", "target": target_id }), meta)
        .await
}

/// Attaches a document (its family) to a record, or changes whether it is private.
#[tracing::instrument(skip_all)]
pub async fn attach_document(
    core: &Liaison,
    who: &Staff,
    id: &str,
    input: DocumentInput,
    meta: &RequestMeta,
) -> Result<RecordView> {
    let mut c = Change::begin(core, who, id).await?;
    let doc = store::documents::get(&mut *c.tx, &who.org_id, input.document_id.trim())
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    let held = store::records::documents(&mut *c.tx, &who.org_id, &c.record.id).await?;
    if held.len() >= MAX_PARTS && !held.iter().any(|(family, _)| *family == doc.family_id) {
        return Err(bad(
            "documents",
            format!("a record holds at most {MAX_PARTS} documents"),
        ));
    }
    let (record_id, now) = (c.record.id.clone(), core.now_ms());
    store::records::attach(
        &mut *c.tx,
        &who.org_id,
        &record_id,
        &doc.family_id,
        input.private,
        now,
    )
    .await?;
    c.done(
        json!({ "action": "document_attached", "document": doc.family_id, "title": doc.title,
                "private": input.private }),
        meta,
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn detach_document(
    core: &Liaison,
    who: &Staff,
    id: &str,
    document_id: &str,
    meta: &RequestMeta,
) -> Result<RecordView> {
    let mut c = Change::begin(core, who, id).await?;
    let family = store::documents::get(&mut *c.tx, &who.org_id, document_id)
        .await?
        .map(|d| d.family_id)
        .ok_or(ServiceError::NotFound("document"))?;
    if !store::records::detach(&mut *c.tx, &who.org_id, &c.record.id, &family).await? {
        return Err(ServiceError::NotFound("document on this record"));
    }
    c.done(
        json!({ "action": "document_detached", "document": family }),
        meta,
    )
    .await
}
