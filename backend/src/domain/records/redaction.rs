//! The one place that decides what a guest sees of a record. Every guest-facing path (the
//! portal page and API, the signed export, the share form's preview) renders a
//! [`GuestRecord`] made by [`project`], and nothing else of a record: redacted fields and
//! private documents are absent from it, so they cannot reach a page, an export, an
//! error or an event built from it.
//!
//! Two kinds of marks withhold a field:
//! - a record's (or custody event's) own marks: [`FieldPath`]s, checked to exist when set;
//! - the organisation's [`Rules`]: field names withheld wherever they occur, at any depth,
//!   in every record and event.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::{fold, FieldName, FieldPath, RecordError, RecordKind, Segment};

/// A record's own data, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordData {
    pub id: String,
    pub kind: RecordKind,
    pub record_type: String,
    pub title: String,
    pub reference: Option<String>,
    pub fields: Value,
    /// Paths into `fields` withheld from guests.
    pub redacted: Vec<FieldPath>,
}

/// One step of a record's custody history: who held it, where, when, and what was done.
#[derive(Clone, Debug, PartialEq)]
pub struct CustodyEvent {
    pub id: String,
    pub occurred_at_ms: i64,
    /// What was done ("shipped", "received", "inspected"): the process.
    pub process: String,
    /// The person who acted, if recorded.
    pub actor: Option<String>,
    /// The organisation record that held the item.
    pub holder_id: Option<String>,
    /// The location record where it happened.
    pub location_id: Option<String>,
    pub notes: Option<String>,
    pub fields: Value,
    /// Paths into the event as [`EVENT_ATTRIBUTES`] name it (`actor`, `fields.driver`).
    pub redacted: Vec<FieldPath>,
}

/// The top-level names a custody event's redaction paths start with.
pub const EVENT_ATTRIBUTES: [&str; 6] =
    ["process", "actor", "holder", "location", "notes", "fields"];

impl CustodyEvent {
    /// The event as one JSON object, the shape its redaction paths address.
    fn as_object(&self) -> Value {
        let mut m = Map::new();
        m.insert("process".into(), Value::String(self.process.clone()));
        let mut opt = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        };
        opt("actor", &self.actor);
        opt("holder", &self.holder_id);
        opt("location", &self.location_id);
        opt("notes", &self.notes);
        m.insert("fields".into(), self.fields.clone());
        Value::Object(m)
    }
}

/// A document attached to a record (the current revision of its family).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedDocument {
    pub family_id: String,
    /// The revision a guest would be served.
    pub document_id: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// Never reaches a guest.
    pub private: bool,
}

/// A record with everything a share of it could carry.
#[derive(Clone, Debug, PartialEq)]
pub struct FullRecord {
    pub record: RecordData,
    /// Oldest first.
    pub history: Vec<CustodyEvent>,
    /// Linked records with the relation named on the link ("derived from", "part of").
    pub links: Vec<(String, RecordData)>,
    /// Holders and locations that the history names.
    pub referenced: Vec<RecordData>,
    pub documents: Vec<AttachedDocument>,
}

/// The organisation's rules: field names withheld wherever they occur.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    folded: HashSet<String>,
}

impl Rules {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            folded: names.into_iter().map(fold).collect(),
        }
    }

    fn withholds(&self, key: &str) -> bool {
        !self.folded.is_empty() && self.folded.contains(&fold(key))
    }
}

/// Checks a field name for an organisation rule. A rule names one field: patterns that
/// would withhold every field are refused.
pub fn check_rule_name(name: &str) -> Result<FieldName, RecordError> {
    if name.contains('*') || name.contains('?') {
        return Err(RecordError::new(
            "field_name",
            "a rule names one field; a pattern such as \"*\" would withhold every field — \
             to share nothing of a record, do not share it",
        ));
    }
    FieldName::parse(name.trim()).map_err(|e| RecordError::new("field_name", e))
}

/// Checks a record's own marks against its fields: each path must reach a field, and the
/// marks together must leave at least one field visible (withholding everything is not
/// sharing a record). `at` names the input ("redacted", "events[1].redacted").
pub fn check_record_marks(
    at: &str,
    fields: &Value,
    marks: &[FieldPath],
) -> Result<(), RecordError> {
    for (i, p) in marks.iter().enumerate() {
        if !p.exists_in(fields) {
            return Err(RecordError::new(
                format!("{at}[{i}]"),
                format!("the record has no field {p}"),
            ));
        }
    }
    let visible = fields.as_object().is_some_and(|m| !m.is_empty());
    if visible && !marks.is_empty() {
        let (left, _) = withhold(fields, marks, &Rules::default());
        if left.as_object().is_some_and(Map::is_empty) {
            return Err(RecordError::new(
                at,
                "these marks withhold every field of the record; leave one visible or \
                 do not share the record",
            ));
        }
    }
    Ok(())
}

/// Checks a custody event's marks: each starts with one of [`EVENT_ATTRIBUTES`] and
/// reaches a value the event has.
pub fn check_event_marks(at: &str, event: &CustodyEvent) -> Result<(), RecordError> {
    let object = event.as_object();
    for (i, p) in event.redacted.iter().enumerate() {
        let first = match p.segments().first() {
            Some(Segment::Key(k)) => k.as_str(),
            _ => "",
        };
        if !EVENT_ATTRIBUTES.contains(&first) {
            return Err(RecordError::new(
                format!("{at}[{i}]"),
                format!(
                    "an event's marks start with one of {}; {p} does not",
                    EVENT_ATTRIBUTES.join(", ")
                ),
            ));
        }
        if first == "process" {
            return Err(RecordError::new(
                format!("{at}[{i}]"),
                "what was done is the event itself; withhold its fields or notes instead",
            ));
        }
        if !p.exists_in(&object) {
            return Err(RecordError::new(
                format!("{at}[{i}]"),
                format!("the event has no {p}"),
            ));
        }
    }
    Ok(())
}

/// `value` without what `marks` and `rules` withhold, and how many fields were withheld.
fn withhold(value: &Value, marks: &[FieldPath], rules: &Rules) -> (Value, usize) {
    fn remove(v: &mut Value, path: &[Segment]) -> usize {
        match path {
            [] => 0,
            [Segment::Key(k)] => match v {
                Value::Object(m) => usize::from(m.remove(k).is_some()),
                _ => 0,
            },
            [Segment::Key(k), tail @ ..] => match v {
                Value::Object(m) => m.get_mut(k).map_or(0, |v| remove(v, tail)),
                _ => 0,
            },
            [Segment::Each, tail @ ..] => match v {
                Value::Array(items) => items.iter_mut().map(|v| remove(v, tail)).sum(),
                _ => 0,
            },
        }
    }
    fn by_rule(v: &mut Value, rules: &Rules) -> usize {
        match v {
            Value::Object(m) => {
                let before = m.len();
                m.retain(|k, _| !rules.withholds(k));
                let mut n = before - m.len();
                for v in m.values_mut() {
                    n += by_rule(v, rules);
                }
                n
            }
            Value::Array(items) => items.iter_mut().map(|v| by_rule(v, rules)).sum(),
            _ => 0,
        }
    }
    let mut out = value.clone();
    let mut n = marks.iter().map(|p| remove(&mut out, p.segments())).sum();
    n += by_rule(&mut out, rules);
    (out, n)
}

/// What a guest sees of a record.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GuestRecord {
    #[serde(flatten)]
    pub record: GuestRecordData,
    pub history: Vec<GuestEvent>,
    pub linked: Vec<GuestLink>,
    /// The holders and locations the visible history names.
    pub referenced: Vec<GuestRecordData>,
    pub documents: Vec<GuestDocument>,
}

/// A record's own data as a guest sees it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GuestRecordData {
    pub id: String,
    pub kind: RecordKind,
    pub record_type: String,
    pub title: String,
    pub reference: Option<String>,
    pub fields: Value,
    /// How many fields were withheld (their names are not shown).
    pub withheld: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GuestEvent {
    pub id: String,
    pub occurred_at_ms: i64,
    pub process: String,
    pub actor: Option<String>,
    pub holder_id: Option<String>,
    pub location_id: Option<String>,
    pub notes: Option<String>,
    pub fields: Value,
    pub withheld: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GuestLink {
    pub relation: String,
    pub record: GuestRecordData,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GuestDocument {
    pub document_id: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// The fields of `r` a guest would see (its own marks and `rules` applied).
pub fn visible_fields(r: &RecordData, rules: &Rules) -> Value {
    withhold(&r.fields, &r.redacted, rules).0
}

fn project_data(r: &RecordData, rules: &Rules) -> GuestRecordData {
    let (fields, withheld) = withhold(&r.fields, &r.redacted, rules);
    GuestRecordData {
        id: r.id.clone(),
        kind: r.kind,
        record_type: r.record_type.clone(),
        title: r.title.clone(),
        reference: r.reference.clone(),
        fields,
        withheld,
    }
}

fn project_event(e: &CustodyEvent, rules: &Rules) -> GuestEvent {
    let (object, withheld) = withhold(&e.as_object(), &e.redacted, rules);
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_owned);
    // A custody event always says what was done (marks may not withhold `process`); a
    // rule that names "process" withholds the word, not the event.
    GuestEvent {
        id: e.id.clone(),
        occurred_at_ms: e.occurred_at_ms,
        process: text("process").unwrap_or_else(|| "withheld".into()),
        actor: text("actor"),
        holder_id: text("holder"),
        location_id: text("location"),
        notes: text("notes"),
        fields: object
            .get("fields")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
        withheld,
    }
}

/// What a guest sees of `full` under the organisation's `rules`: every field the record's
/// or an event's marks or a rule withhold is absent, private documents are absent, and a
/// holder or location is carried only when visible history names it.
pub fn project(full: &FullRecord, rules: &Rules) -> GuestRecord {
    let history: Vec<GuestEvent> = full
        .history
        .iter()
        .map(|e| project_event(e, rules))
        .collect();
    let named: BTreeSet<&str> = history
        .iter()
        .flat_map(|e| [e.holder_id.as_deref(), e.location_id.as_deref()])
        .flatten()
        .collect();
    GuestRecord {
        record: project_data(&full.record, rules),
        linked: full
            .links
            .iter()
            .map(|(relation, r)| GuestLink {
                relation: relation.clone(),
                record: project_data(r, rules),
            })
            .collect(),
        referenced: full
            .referenced
            .iter()
            .filter(|r| named.contains(r.id.as_str()))
            .map(|r| project_data(r, rules))
            .collect(),
        documents: full
            .documents
            .iter()
            .filter(|d| !d.private)
            .map(|d| GuestDocument {
                document_id: d.document_id.clone(),
                title: d.title.clone(),
                file_name: d.file_name.clone(),
                content_type: d.content_type.clone(),
                size_bytes: d.size_bytes,
                sha256: d.sha256.clone(),
            })
            .collect(),
        history,
    }
}

#[cfg(test)]
mod tests;
