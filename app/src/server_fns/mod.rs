//! Server functions, one per file, grouped by area. Each is a thin shim: read the request
//! context, call one `backend::services` function, map the error.

pub mod analytics;
pub mod audit;
pub mod auth;
pub mod comments;
pub mod documents;
pub mod flash;
pub mod intelligence;
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

/// Why a form's local date and time was not understood.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LocalTimeError {
    /// Not `2026-12-31T17:00` (a `datetime-local` input's value).
    Unreadable,
    /// The offset is not a whole number of minutes within ±18 hours.
    Zone,
}

#[cfg(feature = "ssr")]
impl LocalTimeError {
    /// The message for a field that asks for `what`.
    pub(crate) fn message(self, what: &str) -> String {
        match self {
            Self::Unreadable => format!("choose {what}"),
            Self::Zone => "the browser's time zone was not understood".into(),
        }
    }
}

/// A `datetime-local` value (`2026-12-31T17:00`, seconds ignored) in the browser's zone as
/// JavaScript gives it (`getTimezoneOffset()`: minutes to add to local time for UTC; empty
/// = UTC, as before the page has loaded its script), as an instant.
#[cfg(feature = "ssr")]
pub(crate) fn local_instant(
    local: &str,
    tz_offset_minutes: &str,
) -> Result<time::OffsetDateTime, LocalTimeError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let text = local.trim();
    // Browsers may add seconds ("…T17:00:00"); they do not count here.
    let text = match text.get(16..) {
        Some(seconds) if seconds.len() == 3 && seconds.starts_with(':') => &text[..16],
        _ => text,
    };
    let at = time::PrimitiveDateTime::parse(text, &fmt).map_err(|_| LocalTimeError::Unreadable)?;
    let offset: i64 = match tz_offset_minutes.trim() {
        "" => 0,
        o => o
            .parse()
            .ok()
            .filter(|o: &i64| o.abs() <= 18 * 60)
            .ok_or(LocalTimeError::Zone)?,
    };
    Ok(at.assume_utc() + time::Duration::minutes(offset))
}

/// A select or optional field of a posted form: `None` when absent or blank.
#[cfg(feature = "ssr")]
pub(crate) fn chosen(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}
