//! Importing records: a batch of JSON records, or a CSV file with a column mapping. An
//! import is all or nothing: every record is checked and written in one transaction, and
//! the first refusal names the record (`records[3].title`) or the CSV row and column.

use serde::Deserialize;
use serde_json::{json, Map, Number, Value};

use super::edit::{audit_record, create_in};
use super::{refused, summary, RecordInput, RecordSummary, Result};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::domain::records::{FieldName, FieldPath, RecordError, RecordKind, Segment};
use crate::domain::Action;
use crate::Liaison;

/// The most records one import may create (larger sets are sent in several).
pub const MAX_IMPORT: usize = 2_000;
/// The most columns a CSV file may have.
pub const MAX_COLUMNS: usize = 500;

/// How a CSV cell becomes a field value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    #[default]
    Text,
    /// A JSON number (`12`, `-3.5`, `1e3`).
    Number,
    /// `true`/`false`, `yes`/`no`, `1`/`0`.
    Boolean,
    /// `2026-11-30` or an RFC 3339 time, kept as that text.
    Date,
}

impl FieldType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(FieldType::Text),
            "number" => Some(FieldType::Number),
            "boolean" => Some(FieldType::Boolean),
            "date" => Some(FieldType::Date),
            _ => None,
        }
    }

    fn value(self, cell: &str) -> std::result::Result<Value, String> {
        match self {
            FieldType::Text => Ok(Value::String(cell.to_owned())),
            FieldType::Number => cell
                .parse::<Number>()
                .map(Value::Number)
                .map_err(|_| format!("{cell:?} is not a number")),
            FieldType::Boolean => match cell.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "0" => Ok(Value::Bool(false)),
                _ => Err(format!("{cell:?} is not true or false (or yes/no, 1/0)")),
            },
            FieldType::Date => {
                let rfc3339 = &time::format_description::well_known::Rfc3339;
                let day = time::macros::format_description!("[year]-[month]-[day]");
                if time::Date::parse(cell, day).is_ok()
                    || time::OffsetDateTime::parse(cell, rfc3339).is_ok()
                {
                    Ok(Value::String(cell.to_owned()))
                } else {
                    Err(format!(
                        "{cell:?} is not a date (2026-11-30) or an RFC 3339 time"
                    ))
                }
            }
        }
    }
}

/// One column's place in a record: the field it fills and how its text is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMap {
    pub column: String,
    pub path: FieldPath,
    pub ty: FieldType,
}

/// How the rows of a CSV file become records. Columns that the mapping neither maps, skips
/// nor uses for the title or reference become text fields named by their header, so
/// nothing in the file is silently dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvMapping {
    pub kind: RecordKind,
    pub record_type: String,
    /// The column holding each record's title.
    pub title_column: String,
    pub reference_column: Option<String>,
    pub columns: Vec<ColumnMap>,
    /// Columns left out on purpose.
    pub skip: Vec<String>,
}

fn csv_error(message: impl Into<String>) -> RecordError {
    RecordError::new("csv", message)
}

fn set_path(root: &mut Map<String, Value>, path: &FieldPath, value: Value) {
    let keys: Vec<&str> = path
        .segments()
        .iter()
        .filter_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Each => None,
        })
        .collect();
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut at = root;
    for k in parents {
        let next = at
            .entry((*k).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        at = next.as_object_mut().expect("made an object above");
    }
    at.insert((*last).to_owned(), value);
}

/// The header row: every column named, none twice, at most [`MAX_COLUMNS`].
fn read_headers<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
) -> std::result::Result<Vec<String>, RecordError> {
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(format!("the header row cannot be read: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    if headers.is_empty() || headers.iter().all(String::is_empty) {
        return Err(csv_error("the file has no header row naming its columns"));
    }
    if headers.len() > MAX_COLUMNS {
        return Err(csv_error(format!(
            "the file has {} columns; a record import takes at most {MAX_COLUMNS}",
            headers.len()
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(headers.len());
    if let Some(h) = headers.iter().find(|h| !seen.insert(h.as_str())) {
        return Err(csv_error(format!("two columns are named {h:?}")));
    }
    Ok(headers)
}

/// The columns a CSV file names in its header row (the console's mapping starts from them).
pub fn csv_columns(bytes: &[u8]) -> std::result::Result<Vec<String>, RecordError> {
    read_headers(&mut csv_reader(bytes))
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes)
}

/// The records a CSV file describes under `mapping`; refusals name the row (counting the
/// header as row 1) and the column.
pub fn csv_inputs(
    bytes: &[u8],
    mapping: &CsvMapping,
) -> std::result::Result<Vec<RecordInput>, RecordError> {
    let mut reader = csv_reader(bytes);
    let headers = read_headers(&mut reader)?;
    let index = |c: &str, what: &str| {
        headers.iter().position(|h| h == c).ok_or_else(|| {
            csv_error(format!(
                "the mapping names {what} column {c:?}, which the file does not have"
            ))
        })
    };
    let title = index(&mapping.title_column, "the title")?;
    let reference = mapping
        .reference_column
        .as_deref()
        .map(|c| index(c, "the reference"))
        .transpose()?;
    for s in &mapping.skip {
        index(s, "a skipped")?;
    }
    let mut columns: Vec<(usize, FieldPath, FieldType)> = Vec::new();
    for m in &mapping.columns {
        if m.path.segments().contains(&Segment::Each) {
            return Err(csv_error(format!(
                "column {:?}: a column fills one field, so its path may not contain \"[]\"",
                m.column
            )));
        }
        columns.push((index(&m.column, "a mapped")?, m.path.clone(), m.ty));
    }
    for (i, h) in headers.iter().enumerate() {
        let used = i == title
            || Some(i) == reference
            || mapping.skip.contains(h)
            || columns.iter().any(|(c, _, _)| *c == i);
        if !used {
            let name = FieldName::parse(h).map_err(|e| {
                csv_error(format!(
                    "column {h:?} cannot be a field name ({e}); map or skip it"
                ))
            })?;
            columns.push((
                i,
                FieldPath::parse(name.as_str()).map_err(csv_error)?,
                FieldType::Text,
            ));
        }
    }
    for (i, (_, a, _)) in columns.iter().enumerate() {
        for (_, b, _) in &columns[i + 1..] {
            let (short, long) = if a.segments().len() <= b.segments().len() {
                (a, b)
            } else {
                (b, a)
            };
            if long.segments().starts_with(short.segments()) {
                return Err(csv_error(format!(
                    "two columns fill {short} and {long}: one would overwrite the other"
                )));
            }
        }
    }
    let mut out = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let record = record.map_err(|e| csv_error(format!("row {row}: {e}")))?;
        if out.len() == MAX_IMPORT {
            return Err(csv_error(format!(
                "the file has more than {MAX_IMPORT} rows; import it in parts"
            )));
        }
        let cell = |i: usize| record.get(i).unwrap_or("");
        let mut fields = Map::new();
        for (i, path, ty) in &columns {
            let text = cell(*i);
            if text.is_empty() {
                continue;
            }
            let value = ty
                .value(text)
                .map_err(|e| csv_error(format!("row {row}, column {:?}: {e}", headers[*i])))?;
            set_path(&mut fields, path, value);
        }
        out.push(RecordInput {
            kind: mapping.kind,
            record_type: mapping.record_type.clone(),
            title: cell(title).to_owned(),
            reference: reference
                .map(|i| cell(i).to_owned())
                .filter(|r| !r.is_empty()),
            fields: Value::Object(fields),
            redacted: Vec::new(),
            project_id: None,
            history: Vec::new(),
            links: Vec::new(),
            documents: Vec::new(),
        });
        if out.last().is_some_and(|r| r.title.is_empty()) {
            return Err(csv_error(format!(
                "row {row}: the title column {:?} is empty",
                mapping.title_column
            )));
        }
    }
    if out.is_empty() {
        return Err(csv_error("the file has a header but no rows"));
    }
    Ok(out)
}

/// Creates a record from each row of a CSV file under `mapping`, every one or none (see
/// [`csv_inputs`]). The caller's role is checked before the file is read.
#[tracing::instrument(skip_all)]
pub async fn import_csv(
    core: &Liaison,
    who: &Staff,
    csv: &[u8],
    mapping: &CsvMapping,
    meta: &RequestMeta,
) -> Result<Vec<RecordSummary>> {
    super::super::authorize(who, Action::ManageRecords)?;
    let inputs = csv_inputs(csv, mapping).map_err(refused)?;
    import(core, who, &inputs, "csv", meta).await
}

/// Creates every record of `inputs` or none. `format` ("json", "csv") goes to the audit.
/// Records may name earlier records of the same import (links, holders, locations) by
/// reference.
#[tracing::instrument(skip_all)]
pub async fn import(
    core: &Liaison,
    who: &Staff,
    inputs: &[RecordInput],
    format: &str,
    meta: &RequestMeta,
) -> Result<Vec<RecordSummary>> {
    super::super::authorize(who, Action::ManageRecords)?;
    if inputs.is_empty() {
        return Err(refused(RecordError::new(
            "records",
            "there is nothing to import",
        )));
    }
    if inputs.len() > MAX_IMPORT {
        return Err(refused(RecordError::new(
            "records",
            format!("an import creates at most {MAX_IMPORT} records; send the rest in another"),
        )));
    }
    let mut tx = core.db.begin().await?;
    let mut rows = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        rows.push(create_in(core, &mut tx, who, &format!("records[{i}]."), input).await?);
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RecordsImported,
        None,
        json!({ "format": format, "count": rows.len(), "records": ids }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(rows.iter().map(summary).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> CsvMapping {
        CsvMapping {
            record_type: "delivery".into(),
            title_column: "Consignment".into(),
            reference_column: Some("Ref".into()),
            columns: vec![
                ColumnMap {
                    column: "Weight".into(),
                    path: FieldPath::parse("weight_kg").unwrap(),
                    ty: FieldType::Number,
                },
                ColumnMap {
                    column: "Phone".into(),
                    path: FieldPath::parse("consignee.phone").unwrap(),
                    ty: FieldType::Text,
                },
            ],
            skip: vec!["Internal".into()],
            ..Default::default()
        }
    }

    #[test]
    fn rows_become_records_with_typed_nested_fields_and_nothing_dropped() {
        let csv = "Ref,Consignment,Weight,Phone,Internal,Shipped on\n\
                   D-1,Pallet one,12.5,+44 1,x,2026-11-30\n\
                   ,Pallet two,,,y,\n";
        let got = csv_inputs(csv.as_bytes(), &mapping()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].reference.as_deref(), Some("D-1"));
        assert_eq!(got[0].title, "Pallet one");
        assert_eq!(
            got[0].fields,
            json!({"weight_kg": 12.5, "consignee": {"phone": "+44 1"}, "Shipped on": "2026-11-30"})
        );
        assert_eq!(got[1].reference, None);
        assert_eq!(got[1].fields, json!({}));
    }

    #[test]
    fn bad_files_are_refused_naming_the_row_and_column() {
        let refuse = |csv: &str, m: &CsvMapping| csv_inputs(csv.as_bytes(), m).unwrap_err().message;
        let m = mapping();
        let head = "Ref,Consignment,Weight,Phone,Internal\n";
        assert!(refuse(&format!("{head}D,P,12kg,,\n"), &m).contains("row 2, column \"Weight\""));
        assert!(refuse(&format!("{head}D,,1,,\n"), &m).contains("row 2: the title column"));
        assert!(refuse(&format!("{head}D,P,1\n"), &m).contains("row 2"));
        assert!(refuse(head, &m).contains("no rows"));
        assert!(refuse("Ref,Weight,Phone,Internal\nD,1,2,3\n", &m).contains("\"Consignment\""));
        assert!(refuse(
            "Ref,Consignment,Weight,Phone,Internal,a.b\nD,P,1,2,3,4\n",
            &m
        )
        .contains("column \"a.b\""));
        assert!(refuse("Ref,Consignment,Weight,Weight\n", &m).contains("two columns"));
        let mut clash = mapping();
        clash.columns.push(ColumnMap {
            column: "Internal".into(),
            path: FieldPath::parse("consignee").unwrap(),
            ty: FieldType::Text,
        });
        clash.skip.clear();
        assert!(refuse(&format!("{head}D,P,1,2,3\n"), &clash).contains("overwrite"));
        assert!(refuse(&format!("{head}D,P,1,2,3\n\u{0}\u{ff}"), &m).contains("row"));
        let many = format!("{head}{}", "D,P,1,2,3\n".repeat(MAX_IMPORT + 1));
        assert!(refuse(&many, &m).contains("in parts"));
        let wide: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        assert!(refuse(&format!("{}\n", wide.join(",")), &m).contains("at most"));
    }
}
