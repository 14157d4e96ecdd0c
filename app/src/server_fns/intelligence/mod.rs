//! 28 CFR Part 23 in the console: flag a document or record as criminal intelligence,
//! the review queue and its decisions, the dissemination record.

#[cfg(feature = "ssr")]
use crate::error::AppError;

mod flags;
mod review;

pub use flags::*;
pub use review::*;

/// The item kind a form names.
#[cfg(feature = "ssr")]
pub(crate) fn kind_of(
    kind: &str,
) -> Result<backend::domain::intelligence::IntelItemKind, AppError> {
    backend::domain::intelligence::IntelItemKind::parse(kind)
        .ok_or_else(|| AppError::invalid("kind", "name a document or a record"))
}

#[cfg(feature = "ssr")]
pub(crate) fn flag_view(f: backend::services::intelligence::FlagView) -> crate::types::FlagRowView {
    crate::types::FlagRowView {
        item_kind: f.item_kind.as_str().to_owned(),
        item_id: f.item_id,
        title: f.title,
        submitting_agency: f.submitting_agency,
        reliability: f.reliability.as_str().to_owned(),
        reliability_label: f.reliability.label().to_owned(),
        validity: f.validity.as_str().to_owned(),
        validity_label: f.validity.label().to_owned(),
        submitted_at: f.submitted_at,
        review_due: f.review_due,
        purged_at: f.purged_at,
        due: f.due,
    }
}
