use leptos::prelude::*;

use crate::error::AppError;

use crate::types::RecordRowView;

/// The register: records most recently changed first, of `kind` (item, location,
/// organisation; blank: all) whose title or reference contains `q`.
#[server]
pub async fn list_records(kind: String, q: String) -> Result<Vec<RecordRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::domain::records::RecordKind;
    use backend::services::{records, ServiceError};
    let ctx = context()?;
    let staff = require_staff().await?;
    let kind = match kind.trim() {
        "" => None,
        k => Some(RecordKind::parse(k).ok_or_else(|| {
            fail(ServiceError::Invalid {
                field: "kind",
                message: "kind must be item, location or organisation".into(),
            })
        })?),
    };
    let filter = records::ListFilter {
        kind,
        text: Some(q),
        limit: 200,
    };
    Ok(records::list(&ctx.core, &staff, &filter)
        .await
        .map_err(fail)?
        .into_iter()
        .map(row_view)
        .collect())
}

#[cfg(feature = "ssr")]
pub(crate) fn row_view(r: backend::services::records::RecordSummary) -> RecordRowView {
    RecordRowView {
        id: r.id,
        kind: r.kind.as_str().to_owned(),
        record_type: r.record_type,
        title: r.title,
        reference: r.reference,
        updated_at: r.updated_at,
    }
}
