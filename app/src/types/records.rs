//! Data records as the browser receives them: the register's rows, a record as staff see
//! it, as its guest sees it (the redaction projection) and as the share form previews it,
//! and the console's CSV import.

use serde::{Deserialize, Serialize};

/// A shared data record as its guest sees it: the backend's redaction projection, so
/// nothing withheld is in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedRecordView {
    pub record: RecordDataView,
    /// Oldest first.
    pub history: Vec<RecordEventView>,
    /// (relation, record).
    pub linked: Vec<(String, RecordDataView)>,
    /// Holders and locations the history names.
    pub referenced: Vec<RecordDataView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordDataView {
    pub id: String,
    /// item, location or organisation.
    pub kind: String,
    pub record_type: String,
    pub title: String,
    pub reference: Option<String>,
    /// A JSON object, its values in their JSON types.
    pub fields: serde_json::Value,
    /// How many fields are withheld from the guest.
    pub withheld: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEventView {
    /// RFC 3339.
    pub occurred_at: String,
    pub process: String,
    pub actor: Option<String>,
    /// Titles of the holder and location records, when shown.
    pub holder: Option<String>,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub fields: serde_json::Value,
    pub withheld: usize,
}

/// A record as the register lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRowView {
    pub id: String,
    /// item, location or organisation.
    pub kind: String,
    pub record_type: String,
    pub title: String,
    pub reference: Option<String>,
    /// RFC 3339.
    pub updated_at: String,
}

/// A record as staff see it (everything, with its marks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPageView {
    pub row: RecordRowView,
    pub fields: serde_json::Value,
    /// Field paths withheld from guests.
    pub redacted: Vec<String>,
    pub version: i64,
    pub history: Vec<StaffEventView>,
    /// (relation, record).
    pub links: Vec<(String, RecordRowView)>,
    pub documents: Vec<RecordDocumentView>,
    /// Fields that look personal or secret and that nothing withholds.
    pub unredacted_sensitive: Vec<String>,
    /// Field names the organisation withholds in every record.
    pub rules: Vec<String>,
    /// Its criminal intelligence flag (28 CFR Part 23), if flagged.
    pub intel: Option<super::FlagRowView>,
}

/// The share form's preview of a record: exactly what its guest would be shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPreviewView {
    pub record: SharedRecordView,
    /// (title, SHA-256) of the documents the guest is served; private ones are not here.
    pub documents: Vec<(String, String)>,
    /// Fields that look personal or secret and that nothing withholds.
    pub unredacted_sensitive: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffEventView {
    /// Names the event when changing or removing it.
    pub id: String,
    /// RFC 3339.
    pub occurred_at: String,
    pub process: String,
    pub actor: Option<String>,
    /// Titles of the holder and location records, when named.
    pub holder: Option<String>,
    pub location: Option<String>,
    /// Their ids, for the event form.
    pub holder_id: Option<String>,
    pub location_id: Option<String>,
    pub notes: Option<String>,
    pub fields: serde_json::Value,
    /// Paths into the event withheld from guests.
    pub redacted: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordDocumentView {
    pub document_id: String,
    pub title: String,
    pub file_name: String,
    pub sha256: String,
    pub revision: i64,
    /// Never shown to a guest.
    pub private: bool,
}

/// What a CSV column becomes in the console's import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// A field of each record, at `path`, read as `field_type`.
    #[default]
    Field,
    /// Each record's title (exactly one column).
    Title,
    /// Each record's reference (at most one column).
    Reference,
    /// Left out on purpose.
    Skip,
}

/// One column's row of the import's mapping table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnChoice {
    pub column: String,
    pub role: ColumnRole,
    /// A field path (`consignee.name`), for [`ColumnRole::Field`].
    pub path: String,
    /// text, number, boolean or date.
    pub field_type: String,
}

/// The console's CSV import mapping, as the page sends it (JSON in one form field).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportMapping {
    /// item, location or organisation.
    pub kind: String,
    pub record_type: String,
    pub columns: Vec<ColumnChoice>,
}

/// What a CSV file holds and, mapped, what the import would create.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCheckView {
    pub columns: Vec<String>,
    /// With a mapping: how many records the file makes.
    pub count: Option<usize>,
    /// With a mapping: the first few records as (title, reference, fields).
    pub sample: Vec<(String, Option<String>, serde_json::Value)>,
}
