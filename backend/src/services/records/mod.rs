//! Data records for staff: the register, a record with its history, links and documents,
//! and the preview of what a guest would see of it. Writes are in [`edit`], imports in
//! [`import`], the organisation's redaction rules in [`rules`]. Guests never read through
//! this module's views: what they see is [`guest_view`], made by the one projection in
//! `domain::records::redaction`.

mod edit;
mod import;
mod parts;
mod rules;

pub use edit::{create, update, DocumentInput, EventInput, LinkInput, RecordEdit, RecordInput};
pub use import::{
    csv_columns, csv_inputs, import, import_csv, ColumnMap, CsvMapping, FieldType, MAX_COLUMNS,
    MAX_IMPORT,
};
pub use parts::{
    add_event, attach_document, change_event, detach_document, link, remove_event, unlink,
};
pub use rules::{add_rule, list_rules, remove_rule};

use serde::Serialize;
use serde_json::Value;

use super::{rfc3339, Result, ServiceError};
use crate::actor::Staff;
use crate::domain::records::redaction::{
    self, AttachedDocument, CustodyEvent, FullRecord, GuestRecord, RecordData, Rules,
};
use crate::domain::records::{sensitive, FieldPath, RecordError, RecordKind};
use crate::domain::Action;
use crate::store::{self, from_millis, records::RecordRow, StoreError};
use crate::Liaison;

/// A record as the register lists it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RecordSummary {
    pub id: String,
    pub kind: RecordKind,
    pub record_type: String,
    pub title: String,
    pub reference: Option<String>,
    pub updated_at: String,
}

/// A record as staff see it: everything, with its marks.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RecordView {
    #[serde(flatten)]
    pub summary: RecordSummary,
    pub fields: Value,
    /// Paths into `fields` withheld from guests (`consignee.phone`, `items[].serial`).
    #[schema(value_type = Vec<String>)]
    pub redacted: Vec<FieldPath>,
    pub project_id: Option<String>,
    /// Pass it back when editing: an edit of an older version is refused.
    pub version: i64,
    pub created_at: String,
    pub history: Vec<EventView>,
    pub links: Vec<LinkView>,
    pub documents: Vec<DocumentLink>,
    /// Fields that look personal or secret and that nothing withholds (the share form
    /// warns about them).
    #[schema(value_type = Vec<String>)]
    pub unredacted_sensitive: Vec<FieldPath>,
}

/// A custody event as staff see it: the holder and location as the records they name.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct EventView {
    pub id: String,
    pub occurred_at: String,
    pub process: String,
    pub actor: Option<String>,
    pub holder: Option<RecordSummary>,
    pub location: Option<RecordSummary>,
    pub notes: Option<String>,
    pub fields: Value,
    /// Paths into the event (`notes`, `fields.driver`) withheld from guests.
    #[schema(value_type = Vec<String>)]
    pub redacted: Vec<FieldPath>,
}

/// A link to another record, with the relation it names.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = RecordLinkView)]
pub struct LinkView {
    pub relation: String,
    pub record: RecordSummary,
}

/// A document attached to a record: the family, and the revision guests are served.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DocumentLink {
    pub family_id: String,
    pub document_id: String,
    pub revision: i64,
    pub title: String,
    pub file_name: String,
    pub sha256: String,
    pub private: bool,
}

/// What the register's filters ask for.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub kind: Option<RecordKind>,
    pub text: Option<String>,
    /// 1..=500; 100 when 0.
    pub limit: i64,
}

/// The organisation's records, most recently changed first.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff, filter: &ListFilter) -> Result<Vec<RecordSummary>> {
    super::authorize(who, Action::ViewRecords)?;
    let limit = match filter.limit {
        0 => 100,
        n => n.clamp(1, 500),
    };
    let rows = store::records::list(
        core.db.pool(),
        &who.org_id,
        filter.kind.map(RecordKind::as_str),
        filter.text.as_deref().map(str::trim),
        limit,
    )
    .await?;
    Ok(rows.iter().map(summary).collect())
}

/// One record with everything staff may see of it.
#[tracing::instrument(skip_all)]
pub async fn get(core: &Liaison, who: &Staff, id: &str) -> Result<RecordView> {
    super::authorize(who, Action::ViewRecords)?;
    let row = row(core, &who.org_id, id).await?;
    view(core, &who.org_id, row).await
}

/// What a share of the record would show its guest now, and what looks sensitive yet is
/// not withheld: the share form's preview.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = RecordPreview)]
pub struct Preview {
    pub guest: GuestRecord,
    #[schema(value_type = Vec<String>)]
    pub unredacted_sensitive: Vec<FieldPath>,
}

#[tracing::instrument(skip_all)]
pub async fn preview(core: &Liaison, who: &Staff, id: &str) -> Result<Preview> {
    super::authorize(who, Action::ViewRecords)?;
    let record = row(core, &who.org_id, id).await?;
    let rules = org_rules(core, &who.org_id).await?;
    let data = record_data(&record)?;
    let full = full_record(core, &who.org_id, data.clone()).await?;
    Ok(Preview {
        guest: redaction::project(&full, &rules),
        unredacted_sensitive: unredacted_sensitive(&data, &rules),
    })
}

/// What a guest is shown of the organisation's record `id`: the only way a record leaves
/// for a guest (the portal, its API and the signed export all call this).
pub async fn guest_view(core: &Liaison, org_id: &str, id: &str) -> Result<GuestRecord> {
    let record = row(core, org_id, id).await?;
    let rules = org_rules(core, org_id).await?;
    let full = full_record(core, org_id, record_data(&record)?).await?;
    Ok(redaction::project(&full, &rules))
}

/// What a share of the record carries that has a policy of its own: the records (the
/// record itself first, then linked records and the holders and locations its visible
/// history names) and the documents that are not private.
pub(crate) struct Carried {
    pub records: Vec<String>,
    pub documents: Vec<String>,
}

pub(crate) async fn carried(core: &Liaison, org_id: &str, id: &str) -> Result<Carried> {
    let g = guest_view(core, org_id, id).await?;
    let mut records = vec![g.record.id.clone()];
    for r in g.linked.iter().map(|l| &l.record).chain(&g.referenced) {
        if !records.contains(&r.id) {
            records.push(r.id.clone());
        }
    }
    Ok(Carried {
        records,
        documents: g.documents.into_iter().map(|d| d.document_id).collect(),
    })
}

pub(crate) async fn org_rules(core: &Liaison, org_id: &str) -> Result<Rules> {
    let names = store::records::rules(core.db.pool(), org_id).await?;
    Ok(Rules::new(names.iter().map(String::as_str)))
}

/// Sensitive-looking paths of `data` that neither its marks nor the rules withhold.
fn unredacted_sensitive(data: &RecordData, rules: &Rules) -> Vec<FieldPath> {
    let shown = redaction::visible_fields(data, rules);
    sensitive::sensitive_paths(&data.fields)
        .into_iter()
        .filter(|p| p.exists_in(&shown))
        .collect()
}

/// A record's history and links, and the rows of the records they name (link targets,
/// holders, locations).
async fn neighbours(
    core: &Liaison,
    org_id: &str,
    record_id: &str,
) -> Result<(
    Vec<store::records::EventRow>,
    Vec<(String, String)>,
    Vec<RecordRow>,
)> {
    let pool = core.db.pool();
    let events = store::records::events(pool, org_id, record_id).await?;
    let links = store::records::links(pool, org_id, record_id).await?;
    let mut ids: Vec<&str> = links.iter().map(|(_, t)| t.as_str()).collect();
    ids.extend(
        events
            .iter()
            .flat_map(|e| [e.holder_id.as_deref(), e.location_id.as_deref()])
            .flatten(),
    );
    ids.sort_unstable();
    ids.dedup();
    let others = store::records::get_many(pool, org_id, &ids).await?;
    Ok((events, links, others))
}

pub(super) async fn row(core: &Liaison, org_id: &str, id: &str) -> Result<RecordRow> {
    store::records::get(core.db.pool(), org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("record"))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> ServiceError {
    StoreError::Corrupt(format!("{what}: {e}")).into()
}

pub(super) fn record_data(r: &RecordRow) -> Result<RecordData> {
    Ok(RecordData {
        id: r.id.clone(),
        kind: RecordKind::parse(&r.kind).ok_or_else(|| corrupt("record kind", &r.kind))?,
        record_type: r.record_type.clone(),
        title: r.title.clone(),
        reference: r.reference.clone(),
        fields: serde_json::from_str(&r.fields).map_err(|e| corrupt("record fields", e))?,
        redacted: serde_json::from_str(&r.redacted).map_err(|e| corrupt("record marks", e))?,
    })
}

fn event_data(e: &store::records::EventRow) -> Result<CustodyEvent> {
    Ok(CustodyEvent {
        id: e.id.clone(),
        occurred_at_ms: e.occurred_at,
        process: e.process.clone(),
        actor: e.actor.clone(),
        holder_id: e.holder_id.clone(),
        location_id: e.location_id.clone(),
        notes: e.notes.clone(),
        fields: serde_json::from_str(&e.fields).map_err(|err| corrupt("event fields", err))?,
        redacted: serde_json::from_str(&e.redacted).map_err(|err| corrupt("event marks", err))?,
    })
}

pub(super) fn summary(r: &RecordRow) -> RecordSummary {
    RecordSummary {
        id: r.id.clone(),
        kind: RecordKind::parse(&r.kind).unwrap_or_default(),
        record_type: r.record_type.clone(),
        title: r.title.clone(),
        reference: r.reference.clone(),
        updated_at: rfc3339(from_millis(r.updated_at)),
    }
}

/// Everything a share of `record` could carry: history, links, the holders and locations
/// the history names, and the attached documents at their current revisions.
async fn full_record(core: &Liaison, org_id: &str, record: RecordData) -> Result<FullRecord> {
    let (events, links, others) = neighbours(core, org_id, &record.id).await?;
    let history = events.iter().map(event_data).collect::<Result<Vec<_>>>()?;
    let others = others.iter().map(record_data).collect::<Result<Vec<_>>>()?;
    let find = |id: &str| others.iter().find(|r| r.id == id).cloned();
    let referenced = history
        .iter()
        .flat_map(|e| [e.holder_id.as_deref(), e.location_id.as_deref()])
        .flatten()
        .filter_map(find)
        .fold(Vec::<RecordData>::new(), |mut acc, r| {
            if !acc.iter().any(|a| a.id == r.id) {
                acc.push(r);
            }
            acc
        });
    Ok(FullRecord {
        links: links
            .iter()
            .filter_map(|(relation, t)| find(t).map(|r| (relation.clone(), r)))
            .collect(),
        referenced,
        documents: attached(core, org_id, &record.id)
            .await?
            .into_iter()
            .map(|(d, _)| d)
            .collect(),
        history,
        record,
    })
}

/// The record's documents at their families' current revisions (with that revision).
async fn attached(
    core: &Liaison,
    org_id: &str,
    record_id: &str,
) -> Result<Vec<(AttachedDocument, i64)>> {
    let pool = core.db.pool();
    let families = store::records::documents(pool, org_id, record_id).await?;
    let mut out = Vec::with_capacity(families.len());
    for (family, private) in families {
        let Some(current) = store::documents::revisions(pool, org_id, &family)
            .await?
            .into_iter()
            .next()
        else {
            continue;
        };
        out.push((
            AttachedDocument {
                family_id: family,
                document_id: current.id,
                title: current.title,
                file_name: current.file_name,
                content_type: current.content_type,
                size_bytes: current.size_bytes,
                sha256: current.sha256,
                private,
            },
            current.revision,
        ));
    }
    Ok(out)
}

async fn view(core: &Liaison, org_id: &str, row: RecordRow) -> Result<RecordView> {
    let rules = org_rules(core, org_id).await?;
    let data = record_data(&row)?;
    let (events, links, others) = neighbours(core, org_id, &row.id).await?;
    let named = |id: &Option<String>| {
        id.as_deref()
            .and_then(|id| others.iter().find(|r| r.id == id))
            .map(summary)
    };
    let mut history = Vec::with_capacity(events.len());
    for e in &events {
        let parsed = event_data(e)?;
        history.push(EventView {
            id: e.id.clone(),
            occurred_at: rfc3339(from_millis(e.occurred_at)),
            process: e.process.clone(),
            actor: e.actor.clone(),
            holder: named(&e.holder_id),
            location: named(&e.location_id),
            notes: e.notes.clone(),
            fields: parsed.fields,
            redacted: parsed.redacted,
        });
    }
    Ok(RecordView {
        summary: summary(&row),
        unredacted_sensitive: unredacted_sensitive(&data, &rules),
        fields: data.fields,
        redacted: data.redacted,
        project_id: row.project_id.clone(),
        version: row.version,
        created_at: rfc3339(from_millis(row.created_at)),
        history,
        links: links
            .iter()
            .filter_map(|(relation, t)| {
                others.iter().find(|r| &r.id == t).map(|r| LinkView {
                    relation: relation.clone(),
                    record: summary(r),
                })
            })
            .collect(),
        documents: attached(core, org_id, &row.id)
            .await?
            .into_iter()
            .map(|(d, revision)| DocumentLink {
                family_id: d.family_id,
                document_id: d.document_id,
                revision,
                title: d.title,
                file_name: d.file_name,
                sha256: d.sha256,
                private: d.private,
            })
            .collect(),
    })
}

/// A refusal of record input as the services' error: `field` is the top-level input it
/// concerns, the message names the exact path.
pub(super) fn refused(e: RecordError) -> ServiceError {
    const TOP: [&str; 13] = [
        "kind",
        "record_type",
        "title",
        "reference",
        "fields",
        "redacted",
        "history",
        "links",
        "documents",
        "project_id",
        "field_name",
        "csv",
        "records",
    ];
    let head = e.field.split(['.', '[']).next().unwrap_or("");
    let field = TOP.iter().copied().find(|t| *t == head).unwrap_or("body");
    let message = if e.field == field {
        e.message
    } else {
        format!("{}: {}", e.field, e.message)
    };
    ServiceError::Invalid { field, message }
}
