use leptos::prelude::*;

use crate::error::AppError;

use crate::types::RecordPageView;

/// One record as staff see it: every field with its marks, the history, links and
/// documents, and what looks sensitive yet is shared.
#[server]
pub async fn load_record(id: String) -> Result<RecordPageView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::{RecordDocumentView, StaffEventView};
    let ctx = context()?;
    let staff = require_staff().await?;
    let r = backend::services::records::get(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    let rules = backend::services::records::list_rules(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    let intel = backend::services::intelligence::flag_of(
        &ctx.core,
        &staff,
        backend::domain::intelligence::IntelItemKind::Record,
        &id,
    )
    .await
    .map_err(fail)?
    .map(crate::server_fns::intelligence::flag_view);
    let paths =
        |v: &[backend::domain::records::FieldPath]| v.iter().map(ToString::to_string).collect();
    Ok(RecordPageView {
        history: r
            .history
            .iter()
            .map(|e| StaffEventView {
                id: e.id.clone(),
                occurred_at: e.occurred_at.clone(),
                process: e.process.clone(),
                actor: e.actor.clone(),
                holder: e.holder.as_ref().map(|h| h.title.clone()),
                location: e.location.as_ref().map(|l| l.title.clone()),
                holder_id: e.holder.as_ref().map(|h| h.id.clone()),
                location_id: e.location.as_ref().map(|l| l.id.clone()),
                notes: e.notes.clone(),
                fields: e.fields.clone(),
                redacted: paths(&e.redacted),
            })
            .collect(),
        links: r
            .links
            .into_iter()
            .map(|l| (l.relation, super::row_view(l.record)))
            .collect(),
        documents: r
            .documents
            .into_iter()
            .map(|d| RecordDocumentView {
                document_id: d.document_id,
                title: d.title,
                file_name: d.file_name,
                sha256: d.sha256,
                revision: d.revision,
                private: d.private,
            })
            .collect(),
        redacted: paths(&r.redacted),
        unredacted_sensitive: paths(&r.unredacted_sensitive),
        rules,
        intel,
        fields: r.fields,
        version: r.version,
        row: super::row_view(r.summary),
    })
}
