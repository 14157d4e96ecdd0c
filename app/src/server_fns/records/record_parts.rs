use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The custody event form, as it posts. `occurred_at_local` is the browser's local date and
/// time with its offset in `tz_offset_minutes` (see [`crate::server_fns::local_instant`]);
/// `redacted` holds the withheld paths into the event, one per line.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EventSubmission {
    pub csrf: String,
    pub record_id: String,
    /// Blank: a new event.
    pub event_id: Option<String>,
    pub occurred_at_local: String,
    pub tz_offset_minutes: String,
    pub process: String,
    pub actor: Option<String>,
    /// An organisation record's id, or blank.
    pub holder: Option<String>,
    /// A location record's id, or blank.
    pub location: Option<String>,
    pub notes: Option<String>,
    pub fields: String,
    pub redacted: Option<String>,
}

/// Adds a custody event to a record's history, or changes one (`event_id`).
#[server]
pub async fn save_event(#[server(flatten)] form: EventSubmission) -> Result<(), AppError> {
    use crate::server_fns::{chosen, local_instant};
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::records::{self, EventInput};
    let ctx = context()?;
    let staff = require_staff_csrf(&form.csrf).await?;
    let occurred_at =
        local_instant(&form.occurred_at_local, &form.tz_offset_minutes).map_err(|e| {
            AppError::invalid(
                "history.occurred_at",
                e.message("the date and time it happened"),
            )
        })?;
    let input = EventInput {
        occurred_at: backend::services::rfc3339(occurred_at),
        process: form.process,
        actor: chosen(&form.actor).map(str::to_owned),
        holder: chosen(&form.holder).map(str::to_owned),
        location: chosen(&form.location).map(str::to_owned),
        notes: chosen(&form.notes).map(str::to_owned),
        fields: super::fields_of("history.fields", &form.fields)?,
        redacted: Some(super::marks_of(form.redacted.as_deref())),
    };
    let meta = meta().await?;
    match chosen(&form.event_id) {
        None => records::add_event(&ctx.core, &staff, &form.record_id, input, &meta).await,
        Some(event) => {
            records::change_event(&ctx.core, &staff, &form.record_id, event, input, &meta).await
        }
    }
    .map_err(fail)?;
    Ok(())
}

/// Removes a custody event from a record's history.
#[server]
pub async fn remove_event(
    csrf: String,
    record_id: String,
    event_id: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    backend::services::records::remove_event(&ctx.core, &staff, &record_id, &event_id, &meta)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Links a record to another (`target`: its id or reference) with a named relation.
#[server]
pub async fn link_record(
    csrf: String,
    record_id: String,
    target: String,
    relation: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::records::{self, LinkInput};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    let input = LinkInput { target, relation };
    records::link(&ctx.core, &staff, &record_id, input, &meta)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Removes every link from a record to `target_id`.
#[server]
pub async fn unlink_record(
    csrf: String,
    record_id: String,
    target_id: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    backend::services::records::unlink(&ctx.core, &staff, &record_id, &target_id, &meta)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Attaches a document to a record, or changes whether it is private (never shown to a
/// guest).
#[server]
pub async fn attach_document(
    csrf: String,
    record_id: String,
    document_id: String,
    private: Option<String>,
) -> Result<(), AppError> {
    use crate::server_fns::ticked;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::records::{self, DocumentInput};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    let input = DocumentInput {
        document_id,
        private: ticked(&private),
    };
    records::attach_document(&ctx.core, &staff, &record_id, input, &meta)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Detaches a document from a record.
#[server]
pub async fn detach_document(
    csrf: String,
    record_id: String,
    document_id: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    backend::services::records::detach_document(&ctx.core, &staff, &record_id, &document_id, &meta)
        .await
        .map_err(fail)?;
    Ok(())
}
