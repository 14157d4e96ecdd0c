//! Server functions, one per file, grouped by area. Each is a thin shim: read the request
//! context, call one `backend::services` function, map the error.

pub mod analytics;
pub mod audit;
pub mod auth;
pub mod comments;
pub mod documents;
pub mod flash;
pub mod keys;
pub mod outbox;
pub mod packages;
pub mod partners;
pub mod policy;
pub mod portal;
pub mod portals;
pub mod records;
pub mod renewals;
pub mod reviews;
pub mod secrets;
pub mod shares;
pub mod staff;

/// A checkbox of a posted form: ticked when present with a value. A blank value (which no
/// browser sends for a checkbox) reads as unticked, as a blank field always did.
#[cfg(feature = "ssr")]
pub(crate) fn ticked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

/// A select or optional field of a posted form: `None` when absent or blank.
#[cfg(feature = "ssr")]
pub(crate) fn chosen(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}
