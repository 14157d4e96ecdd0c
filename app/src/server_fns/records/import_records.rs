use leptos::prelude::*;

use crate::error::AppError;

use crate::types::{ImportCheckView, RecordRowView};

/// How many records the check shows.
#[cfg(feature = "ssr")]
const SAMPLE: usize = 5;

/// The backend's mapping from the page's: one title column, at most one reference column,
/// each field column at a valid path with a known type. Errors name the column.
#[cfg(feature = "ssr")]
fn csv_mapping(text: &str) -> Result<backend::services::records::CsvMapping, AppError> {
    use crate::types::{ColumnRole, ImportMapping};
    use backend::domain::records::{FieldPath, RecordKind};
    use backend::services::records::{ColumnMap, CsvMapping, FieldType};
    let m: ImportMapping = serde_json::from_str(text).map_err(|e| {
        AppError::invalid("mapping", format!("the mapping was not understood: {e}"))
    })?;
    let kind = RecordKind::parse(&m.kind)
        .ok_or_else(|| AppError::invalid("kind", "choose item, location or organisation"))?;
    let mut mapping = CsvMapping {
        kind,
        record_type: m.record_type,
        ..Default::default()
    };
    let mut title = None;
    for c in m.columns {
        match c.role {
            ColumnRole::Title if title.is_some() => {
                return Err(AppError::invalid(
                    "mapping",
                    format!(
                        "{:?} and {:?} are both the title: choose one",
                        title.unwrap_or_default(),
                        c.column
                    ),
                ))
            }
            ColumnRole::Title => title = Some(c.column),
            ColumnRole::Reference if mapping.reference_column.is_some() => {
                return Err(AppError::invalid(
                    "mapping",
                    "one column at most holds the reference",
                ))
            }
            ColumnRole::Reference => mapping.reference_column = Some(c.column),
            ColumnRole::Skip => mapping.skip.push(c.column),
            ColumnRole::Field => {
                let path = FieldPath::parse(c.path.trim()).map_err(|e| {
                    AppError::invalid("mapping", format!("column {:?}: {e}", c.column))
                })?;
                let ty = FieldType::parse(&c.field_type).ok_or_else(|| {
                    AppError::invalid(
                        "mapping",
                        format!(
                            "column {:?}: read it as text, number, boolean or date",
                            c.column
                        ),
                    )
                })?;
                mapping.columns.push(ColumnMap {
                    column: c.column,
                    path,
                    ty,
                });
            }
        }
    }
    mapping.title_column = title.ok_or_else(|| {
        AppError::invalid(
            "mapping",
            "choose the column that holds each record's title",
        )
    })?;
    Ok(mapping)
}

/// Reads a CSV file's columns and, given a `mapping` (JSON, [`crate::types::ImportMapping`];
/// blank for none), what it would import: nothing is written.
#[server]
pub async fn check_import(csv: String, mapping: String) -> Result<ImportCheckView, AppError> {
    use crate::ssr::require_staff;
    use backend::services::records::{csv_columns, csv_inputs};
    let _staff = require_staff().await?;
    // A refusal of the file is bad input (422), never a server fault.
    let refused = |e: backend::domain::records::RecordError| {
        crate::ssr::fail(backend::services::ServiceError::Invalid {
            field: "csv",
            message: e.message,
        })
    };
    let columns = csv_columns(csv.as_bytes()).map_err(refused)?;
    if mapping.trim().is_empty() {
        return Ok(ImportCheckView {
            columns,
            ..Default::default()
        });
    }
    let inputs = csv_inputs(csv.as_bytes(), &csv_mapping(&mapping)?).map_err(refused)?;
    Ok(ImportCheckView {
        columns,
        count: Some(inputs.len()),
        sample: inputs
            .into_iter()
            .take(SAMPLE)
            .map(|r| (r.title, r.reference, r.fields))
            .collect(),
    })
}

/// Imports every record of a CSV file under `mapping` (see [`check_import`]), all or none.
#[server]
pub async fn import_records(
    csrf: String,
    csv: String,
    mapping: String,
) -> Result<Vec<RecordRowView>, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let mapping = csv_mapping(&mapping)?;
    let meta = meta().await?;
    let made =
        backend::services::records::import_csv(&ctx.core, &staff, csv.as_bytes(), &mapping, &meta)
            .await
            .map_err(fail)?;
    Ok(made.into_iter().map(super::row_view).collect())
}
