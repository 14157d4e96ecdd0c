//! Changing a record's parts: its custody history, its links and its attached documents.
//! Each change locks the record (serialising writers of its parts), checks its input, and
//! is audited in the same transaction.

use serde_json::{json, Value};

use super::edit::{audit_record, bad, event_row, required_text, resolve};
use super::{row, DocumentInput, EventInput, LinkInput, RecordView, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::domain::records::MAX_EVENTS;
use crate::domain::Action;
use crate::store::{self, new_id, Tx};
use crate::Liaison;

/// Serialises writers of one record's parts and marks it changed.
async fn lock(core: &Liaison, tx: &mut Tx, who: &Staff, id: &str) -> Result<()> {
    store::records::touch(&mut **tx, &who.org_id, id, core.now_ms()).await?;
    Ok(())
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
    super::super::authorize(who, Action::ManageRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let mut tx = core.db.begin().await?;
    lock(core, &mut tx, who, &record.id).await?;
    let count = store::records::events(&mut *tx, &who.org_id, &record.id)
        .await?
        .len();
    if count >= MAX_EVENTS {
        tx.rollback().await?;
        return Err(bad(
            "history",
            format!("a record holds at most {MAX_EVENTS} custody events"),
        ));
    }
    let ev = event_row(
        &mut tx,
        &who.org_id,
        &record.id,
        new_id(),
        "history.",
        &input,
    )
    .await?;
    store::records::insert_event(&mut *tx, &ev).await?;
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordChanged,
        Some(&record.id),
        json!({ "action": "event_added", "event": ev.id, "process": ev.process,
                "redacted": serde_json::from_str::<Value>(&ev.redacted).unwrap_or_default() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &record.id).await
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
    super::super::authorize(who, Action::ManageRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let mut tx = core.db.begin().await?;
    lock(core, &mut tx, who, &record.id).await?;
    let ev = event_row(
        &mut tx,
        &who.org_id,
        &record.id,
        event_id.to_owned(),
        "history.",
        &input,
    )
    .await?;
    if !store::records::update_event(&mut *tx, &ev).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("custody event"));
    }
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordChanged,
        Some(&record.id),
        json!({ "action": "event_changed", "event": ev.id, "process": ev.process,
                "redacted": serde_json::from_str::<Value>(&ev.redacted).unwrap_or_default() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &record.id).await
}

#[tracing::instrument(skip_all)]
pub async fn remove_event(
    core: &Liaison,
    who: &Staff,
    id: &str,
    event_id: &str,
    meta: &RequestMeta,
) -> Result<RecordView> {
    super::super::authorize(who, Action::ManageRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let mut tx = core.db.begin().await?;
    lock(core, &mut tx, who, &record.id).await?;
    if !store::records::delete_event(&mut *tx, &who.org_id, &record.id, event_id).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("custody event"));
    }
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordChanged,
        Some(&record.id),
        json!({ "action": "event_removed", "event": event_id }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &record.id).await
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
    super::super::authorize(who, Action::ManageRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let relation = required_text("links.relation", &input.relation, 100)?;
    let mut tx = core.db.begin().await?;
    lock(core, &mut tx, who, &record.id).await?;
    let target = resolve(&mut tx, &who.org_id, "links.target", &input.target, None).await?;
    if target.id == record.id {
        tx.rollback().await?;
        return Err(bad("links.target", "a record cannot be linked to itself"));
    }
    store::records::add_link(
        &mut *tx,
        &who.org_id,
        &record.id,
        &target.id,
        &relation,
        core.now_ms(),
    )
    .await?;
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordChanged,
        Some(&record.id),
        json!({ "action": "linked", "target": target.id, "relation": relation }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &record.id).await
}

#[tracing::instrument(skip_all)]
pub async fn unlink(
    core: &Liaison,
    who: &Staff,
    id: &str,
    target_id: &str,
    meta: &RequestMeta,
) -> Result<RecordView> {
    super::super::authorize(who, Action::ManageRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let mut tx = core.db.begin().await?;
    lock(core, &mut tx, who, &record.id).await?;
    if store::records::remove_links(&mut *tx, &who.org_id, &record.id, target_id).await? == 0 {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("link"));
    }
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordChanged,
        Some(&record.id),
        json!({ "action": "unlinked", "target": target_id }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &record.id).await
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
    super::super::authorize(who, Action::ManageRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let doc = store::documents::get(core.db.pool(), &who.org_id, input.document_id.trim())
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    let mut tx = core.db.begin().await?;
    lock(core, &mut tx, who, &record.id).await?;
    store::records::attach(
        &mut *tx,
        &who.org_id,
        &record.id,
        &doc.family_id,
        input.private,
        core.now_ms(),
    )
    .await?;
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordChanged,
        Some(&record.id),
        json!({ "action": "document_attached", "document": doc.family_id, "title": doc.title,
                "private": input.private }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &record.id).await
}

#[tracing::instrument(skip_all)]
pub async fn detach_document(
    core: &Liaison,
    who: &Staff,
    id: &str,
    document_id: &str,
    meta: &RequestMeta,
) -> Result<RecordView> {
    super::super::authorize(who, Action::ManageRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let family = store::documents::get(core.db.pool(), &who.org_id, document_id)
        .await?
        .map(|d| d.family_id)
        .ok_or(ServiceError::NotFound("document"))?;
    let mut tx = core.db.begin().await?;
    lock(core, &mut tx, who, &record.id).await?;
    if !store::records::detach(&mut *tx, &who.org_id, &record.id, &family).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("document on this record"));
    }
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordChanged,
        Some(&record.id),
        json!({ "action": "document_detached", "document": family }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &record.id).await
}
