//! Data records in the console: the register, one record, saving a record's data and its
//! parts (custody events, links, documents), the share form's preview, and the
//! organisation's redaction rules.

#[cfg(feature = "ssr")]
use crate::error::AppError;

mod import_records;
mod list_records;
mod load_record;
mod preview_record;
mod record_parts;
mod redaction_rules;
mod save_record;

pub use import_records::*;
pub use list_records::*;
pub use load_record::*;
pub use preview_record::*;
pub use record_parts::*;
pub use redaction_rules::*;
pub use save_record::*;

/// The guest's record for the page: holders and locations named by title.
#[cfg(feature = "ssr")]
pub(crate) fn shared_record_view(
    g: backend::domain::records::redaction::GuestRecord,
) -> crate::types::SharedRecordView {
    use crate::types::{RecordDataView, RecordEventView, SharedRecordView};
    use backend::domain::records::redaction::GuestRecordData;
    let data = |r: GuestRecordData| RecordDataView {
        id: r.id,
        kind: r.kind.as_str().to_owned(),
        record_type: r.record_type,
        title: r.title,
        reference: r.reference,
        fields: r.fields,
        withheld: r.withheld,
    };
    let title = |id: &Option<String>| {
        id.as_deref()
            .and_then(|id| g.referenced.iter().find(|r| r.id == id))
            .map(|r| r.title.clone())
    };
    let history = g
        .history
        .iter()
        .map(|e| RecordEventView {
            occurred_at: backend::services::rfc3339(backend::store::from_millis(e.occurred_at_ms)),
            process: e.process.clone(),
            actor: e.actor.clone(),
            holder: title(&e.holder_id),
            location: title(&e.location_id),
            notes: e.notes.clone(),
            fields: e.fields.clone(),
            withheld: e.withheld,
        })
        .collect();
    SharedRecordView {
        history,
        linked: g
            .linked
            .into_iter()
            .map(|l| (l.relation, data(l.record)))
            .collect(),
        referenced: g.referenced.into_iter().map(data).collect(),
        record: data(g.record),
    }
}

/// A form's fields box: a JSON object, blank for none. `field` names it in the error.
#[cfg(feature = "ssr")]
pub(crate) fn fields_of(field: &str, text: &str) -> Result<serde_json::Value, AppError> {
    if text.trim().is_empty() {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_str(text)
        .map_err(|e| AppError::invalid(field, format!("the fields are not JSON: {e}")))
}

/// A form's withheld paths, one per line, blanks skipped.
#[cfg(feature = "ssr")]
pub(crate) fn marks_of(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
