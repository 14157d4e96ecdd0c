//! Writing records: create (with history, links and documents in one go), edit the record's
//! own data, and change its history, links and attached documents. Every write checks all
//! of its input before it writes anything, and is audited in its own transaction without
//! field values (a purge must be able to remove them).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{refused, row, summary, RecordView, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::records::redaction::{self, CustodyEvent};
use crate::domain::records::{self as rec, FieldPath, RecordError, RecordKind, MAX_EVENTS};
use crate::domain::Action;
use crate::store::{self, new_id, records::EventRow, records::RecordRow, Tx};
use crate::Liaison;

/// The most links, and the most documents, one record holds.
pub const MAX_PARTS: usize = 200;

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A new record, as the API and the console send it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    #[serde(default)]
    pub kind: RecordKind,
    pub record_type: String,
    pub title: String,
    /// The organisation's own number for it, unique in the organisation.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default = "empty_object")]
    pub fields: Value,
    /// Field paths withheld from guests.
    #[serde(default)]
    pub redacted: Vec<String>,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub history: Vec<EventInput>,
    #[serde(default)]
    pub links: Vec<LinkInput>,
    #[serde(default)]
    pub documents: Vec<DocumentInput>,
}

/// A custody event. `holder` and `location` name records by id or reference.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// RFC 3339.
    pub occurred_at: String,
    pub process: String,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub holder: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default = "empty_object")]
    pub fields: Value,
    /// Paths into the event (`notes`, `fields.driver`) withheld from guests. Left out when
    /// changing an event, its marks stay as they are (never silently dropped).
    #[serde(default)]
    pub redacted: Option<Vec<String>>,
}

/// A link to another record (by id or reference).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    pub target: String,
    pub relation: String,
}

/// A document to attach (any revision's id names its family).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    pub document_id: String,
    #[serde(default)]
    pub private: bool,
}

/// An edit of a record's own data, made on `version`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordEdit {
    pub record_type: String,
    pub title: String,
    #[serde(default)]
    pub reference: Option<String>,
    pub fields: Value,
    /// The marks after the edit; left out, the record's marks stay as they are (and must
    /// still name fields the edited record has).
    #[serde(default)]
    pub redacted: Option<Vec<String>>,
    pub version: i64,
}

pub(super) fn bad(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
    refused(RecordError::new(field, message))
}

/// Trims an optional text; blank is none. At most `max` characters, no control characters
/// (new lines allowed where `multiline`).
fn optional_text(at: &str, v: Option<&str>, max: usize, multiline: bool) -> Result<Option<String>> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(bad(at, format!("is at most {max} characters")));
    }
    if v.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t')))
    {
        return Err(bad(at, "may not contain control characters"));
    }
    Ok(Some(v.to_owned()))
}

pub(super) fn required_text(at: &str, v: &str, max: usize) -> Result<String> {
    optional_text(at, Some(v), max, false)?.ok_or_else(|| bad(at, "is required"))
}

fn paths(at: &str, marks: &[String]) -> Result<Vec<FieldPath>> {
    marks
        .iter()
        .enumerate()
        .map(|(i, m)| FieldPath::parse(m.trim()).map_err(|e| bad(format!("{at}[{i}]"), e)))
        .collect::<Result<Vec<_>>>()
        .map(|mut v| {
            v.sort();
            v.dedup();
            v
        })
}

/// A record's own data, checked.
struct OwnData {
    record_type: String,
    title: String,
    reference: Option<String>,
    fields: Value,
    marks: Vec<FieldPath>,
}

/// Checks a record's own data; errors name the field, prefixed with `at`.
fn own_data(
    at: &str,
    record_type: &str,
    title: &str,
    reference: Option<&str>,
    fields: &Value,
    redacted: &[String],
) -> Result<OwnData> {
    let record_type = rec::check_record_type(record_type)
        .map_err(|e| bad(format!("{at}{}", e.field), e.message))?;
    let title = required_text(&format!("{at}title"), title, 200)?;
    let reference = optional_text(&format!("{at}reference"), reference, 100, false)?;
    rec::check_fields(&format!("{at}fields"), fields).map_err(|e| bad(e.field, e.message))?;
    let marks = paths(&format!("{at}redacted"), redacted)?;
    redaction::check_record_marks(&format!("{at}redacted"), fields, &marks)
        .map_err(|e| bad(e.field, e.message))?;
    Ok(OwnData {
        record_type,
        title,
        reference,
        fields: fields.clone(),
        marks,
    })
}

/// A record named by id or reference, of `kind` when given.
pub(super) async fn resolve(
    tx: &mut Tx,
    org_id: &str,
    at: &str,
    name: &str,
    kind: Option<RecordKind>,
) -> Result<RecordRow> {
    let r = store::records::find_ref(&mut **tx, org_id, name.trim())
        .await?
        .ok_or_else(|| bad(at, format!("no record has the id or reference {name:?}")))?;
    if let Some(kind) = kind {
        if r.kind != kind.as_str() {
            return Err(bad(
                at,
                format!(
                    "{:?} is a record of kind {}, not {}",
                    r.title,
                    r.kind,
                    kind.as_str()
                ),
            ));
        }
    }
    Ok(r)
}

/// An event's input checked and resolved into a row for `record_id` (id `id`). `kept`:
/// the marks it keeps when the input names none (an existing event's).
pub(super) async fn event_row(
    tx: &mut Tx,
    org_id: &str,
    record_id: &str,
    id: String,
    at: &str,
    e: &EventInput,
    kept: &[FieldPath],
) -> Result<EventRow> {
    let occurred_at = time::OffsetDateTime::parse(
        e.occurred_at.trim(),
        &time::format_description::well_known::Rfc3339,
    )
    .map(store::to_millis)
    .map_err(|_| {
        bad(
            format!("{at}occurred_at"),
            "is an RFC 3339 time such as 2026-11-23T10:00:00Z",
        )
    })?;
    let process = required_text(&format!("{at}process"), &e.process, 100)?;
    let actor = optional_text(&format!("{at}actor"), e.actor.as_deref(), 200, false)?;
    let notes = optional_text(&format!("{at}notes"), e.notes.as_deref(), 4000, true)?;
    rec::check_fields(&format!("{at}fields"), &e.fields)
        .map_err(|err| bad(err.field, err.message))?;
    let mut holder_id = None;
    if let Some(h) = e.holder.as_deref().filter(|h| !h.trim().is_empty()) {
        let at = format!("{at}holder");
        holder_id = Some(
            resolve(tx, org_id, &at, h, Some(RecordKind::Organisation))
                .await?
                .id,
        );
    }
    let mut location_id = None;
    if let Some(l) = e.location.as_deref().filter(|l| !l.trim().is_empty()) {
        let at = format!("{at}location");
        location_id = Some(
            resolve(tx, org_id, &at, l, Some(RecordKind::Location))
                .await?
                .id,
        );
    }
    let redacted = match &e.redacted {
        Some(marks) => paths(&format!("{at}redacted"), marks)?,
        None => kept.to_vec(),
    };
    let event = CustodyEvent {
        id: id.clone(),
        occurred_at_ms: occurred_at,
        process: process.clone(),
        actor: actor.clone(),
        holder_id: holder_id.clone(),
        location_id: location_id.clone(),
        notes: notes.clone(),
        fields: e.fields.clone(),
        redacted: redacted.clone(),
    };
    redaction::check_event_marks(&format!("{at}redacted"), &event)
        .map_err(|err| bad(err.field, err.message))?;
    Ok(EventRow {
        id,
        org_id: org_id.to_owned(),
        record_id: record_id.to_owned(),
        position: 0,
        occurred_at,
        process,
        actor,
        holder_id,
        location_id,
        notes,
        fields: e.fields.to_string(),
        redacted: serde_json::to_string(&redacted).unwrap_or_else(|_| "[]".into()),
    })
}

fn marks_json(marks: &[FieldPath]) -> String {
    serde_json::to_string(marks).unwrap_or_else(|_| "[]".into())
}

/// Creates one record with its history, links and documents inside `tx`. `at` prefixes
/// error fields ("records[3]." in a batch). Returns the row written.
pub(super) async fn create_in(
    core: &Liaison,
    tx: &mut Tx,
    who: &Staff,
    at: &str,
    input: &RecordInput,
) -> Result<RecordRow> {
    let OwnData {
        record_type,
        title,
        reference,
        fields,
        marks,
    } = own_data(
        at,
        &input.record_type,
        &input.title,
        input.reference.as_deref(),
        &input.fields,
        &input.redacted,
    )?;
    for (what, n) in [
        ("links", input.links.len()),
        ("documents", input.documents.len()),
    ] {
        if n > MAX_PARTS {
            return Err(bad(
                format!("{at}{what}"),
                format!("a record holds at most {MAX_PARTS} {what}"),
            ));
        }
    }
    if input.history.len() > MAX_EVENTS {
        return Err(bad(
            format!("{at}history"),
            format!("a record holds at most {MAX_EVENTS} custody events"),
        ));
    }
    let project_id = match input
        .project_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(p) => Some(
            store::policies::project(&mut **tx, &who.org_id, p)
                .await?
                .ok_or_else(|| bad(format!("{at}project_id"), "no such project"))?
                .id,
        ),
    };
    let now = core.now_ms();
    let row = RecordRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        kind: input.kind.as_str().to_owned(),
        record_type,
        title,
        reference,
        fields: fields.to_string(),
        redacted: marks_json(&marks),
        project_id,
        version: 1,
        created_by: who.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    store::records::insert(&mut **tx, &row)
        .await
        .map_err(super::super::on_unique(|| {
            format!(
                "{at}reference: a record with the reference {:?} already exists",
                row.reference.as_deref().unwrap_or_default()
            )
        }))?;
    for (i, e) in input.history.iter().enumerate() {
        let ev = event_row(
            tx,
            &who.org_id,
            &row.id,
            new_id(),
            &format!("{at}history[{i}]."),
            e,
            &[],
        )
        .await?;
        store::records::insert_event(&mut **tx, &ev).await?;
    }
    for (i, l) in input.links.iter().enumerate() {
        let at = format!("{at}links[{i}]");
        let relation = required_text(&format!("{at}.relation"), &l.relation, 100)?;
        let target = resolve(tx, &who.org_id, &format!("{at}.target"), &l.target, None).await?;
        store::records::add_link(&mut **tx, &who.org_id, &row.id, &target.id, &relation, now)
            .await?;
    }
    for (i, d) in input.documents.iter().enumerate() {
        let at = format!("{at}documents[{i}].document_id");
        let doc = store::documents::get(&mut **tx, &who.org_id, d.document_id.trim())
            .await?
            .ok_or_else(|| bad(at, "no such document"))?;
        store::records::attach(
            &mut **tx,
            &who.org_id,
            &row.id,
            &doc.family_id,
            d.private,
            now,
        )
        .await?;
    }
    Ok(row)
}

/// Audits a change to record `record_id` in `tx` (item = the record).
pub(super) async fn audit_record(
    core: &Liaison,
    tx: &mut Tx,
    who: &Staff,
    event_type: EventType,
    record_id: Option<&str>,
    details: Value,
    meta: &RequestMeta,
) -> Result<()> {
    audit::record(
        tx,
        NewEvent {
            org_id: &who.org_id,
            event_type,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: record_id,
            details,
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(())
}

/// Creates a record with its history, links and documents.
#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    input: RecordInput,
    meta: &RequestMeta,
) -> Result<RecordView> {
    super::super::authorize(who, Action::ManageRecords)?;
    let mut tx = core.db.begin().await?;
    let row = create_in(core, &mut tx, who, "", &input).await?;
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordCreated,
        Some(&row.id),
        json!({ "record": summary(&row), "events": input.history.len(),
                "links": input.links.len(), "documents": input.documents.len(),
                "redacted": serde_json::from_str::<Value>(&row.redacted).unwrap_or_default() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, &row.id).await
}

/// Replaces a record's own data (type, title, reference, fields, marks) if nobody changed
/// it since `edit.version`.
#[tracing::instrument(skip_all)]
pub async fn update(
    core: &Liaison,
    who: &Staff,
    id: &str,
    edit: RecordEdit,
    meta: &RequestMeta,
) -> Result<RecordView> {
    super::super::authorize(who, Action::ManageRecords)?;
    let before = row(core, &who.org_id, id).await?;
    let OwnData {
        record_type,
        title,
        reference,
        fields,
        marks,
    } = own_data(
        "",
        &edit.record_type,
        &edit.title,
        edit.reference.as_deref(),
        &edit.fields,
        &match edit.redacted {
            Some(marks) => marks,
            None => serde_json::from_str::<Vec<String>>(&before.redacted)
                .map_err(ServiceError::internal)?,
        },
    )?;
    let after = RecordRow {
        record_type,
        title,
        reference,
        fields: fields.to_string(),
        redacted: marks_json(&marks),
        updated_at: core.now_ms(),
        ..before.clone()
    };
    let old_fields: Value = serde_json::from_str(&before.fields).unwrap_or_default();
    let changed: Vec<String> = changed_paths(&old_fields, &fields);
    let mut tx = core.db.begin().await?;
    let done = store::records::update(&mut *tx, &after, edit.version)
        .await
        .map_err(super::super::on_unique(|| {
            format!(
                "reference: a record with the reference {:?} already exists",
                after.reference.as_deref().unwrap_or_default()
            )
        }))?;
    if !done {
        tx.rollback().await?;
        return Err(ServiceError::Conflict(
            "someone changed this record since you opened it; reload it and edit again".into(),
        ));
    }
    audit_record(core, &mut tx, who, EventType::RecordChanged, Some(id),
        json!({ "action": "updated", "record": summary(&after), "fields_changed": changed,
                "redacted_before": serde_json::from_str::<Value>(&before.redacted).unwrap_or_default(),
                "redacted_after": marks }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::get(core, who, id).await
}

/// The paths whose values differ between two field objects (added, removed or changed),
/// for the audit: names, never values.
fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    fn walk(at: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
        match (a, b) {
            (Some(Value::Object(x)), Some(Value::Object(y))) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let here = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    walk(&here, x.get(k), y.get(k), out);
                }
            }
            (a, b) if a != b => out.push(at.to_owned()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", Some(before), Some(after), &mut out);
    out
}
