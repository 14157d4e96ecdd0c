use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The record form, as it posts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RecordSubmission {
    pub csrf: String,
    pub id: Option<String>,
    pub kind: String,
    pub record_type: String,
    pub title: String,
    pub reference: Option<String>,
    pub fields: String,
    pub redacted: Option<String>,
    pub version: Option<String>,
}

/// Creates a record (`id` blank) or saves its own data (`version`: the one it was read
/// at). `fields` is JSON; `redacted` holds the withheld paths, one per line. Answers the
/// record's id and its version now.
#[server]
pub async fn save_record(
    #[server(flatten)] form: RecordSubmission,
) -> Result<(String, i64), AppError> {
    use crate::server_fns::chosen;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::domain::records::RecordKind;
    use backend::services::records::{self, RecordEdit, RecordInput};
    let RecordSubmission {
        csrf,
        id,
        kind,
        record_type,
        title,
        reference,
        fields,
        redacted,
        version,
    } = form;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let fields = super::fields_of("fields", &fields)?;
    let marks = super::marks_of(redacted.as_deref());
    let reference = chosen(&reference).map(str::to_owned);
    let meta = meta().await?;
    let saved = match chosen(&id) {
        None => {
            let kind = RecordKind::parse(&kind).ok_or_else(|| {
                AppError::invalid("kind", "choose item, location or organisation")
            })?;
            let input = RecordInput {
                kind,
                record_type,
                title,
                reference,
                fields,
                redacted: marks,
                project_id: None,
                history: Vec::new(),
                links: Vec::new(),
                documents: Vec::new(),
            };
            records::create(&ctx.core, &staff, input, &meta).await
        }
        Some(id) => {
            let version = chosen(&version)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| AppError::invalid("version", "reload the record and edit again"))?;
            let edit = RecordEdit {
                record_type,
                title,
                reference,
                fields,
                redacted: Some(marks),
                version,
            };
            records::update(&ctx.core, &staff, id, edit, &meta).await
        }
    };
    let saved = saved.map_err(fail)?;
    Ok((saved.summary.id, saved.version))
}
