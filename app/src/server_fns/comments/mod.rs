//! Comments on shared documents: the guest's (on their share's documents) and staff's (on
//! the organisation's). Every call answers in the page's types, converted through the
//! backend's own serialisation (the live channel sends the same JSON).

mod guest_comments;
mod staff_comments;

pub use guest_comments::*;
pub use staff_comments::*;

/// `value` as the page's mirror type: the same JSON, read back.
#[cfg(feature = "ssr")]
pub(crate) fn mirror<T: serde::Serialize, U: serde::de::DeserializeOwned>(
    value: T,
) -> Result<U, crate::error::AppError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            tracing::error!(error = %e, "a comment did not convert to the page's type");
            crate::error::AppError::internal("internal error")
        })
}

/// A page number field: blank for none.
#[cfg(feature = "ssr")]
pub(crate) fn page_number(page: &str) -> Result<Option<i64>, crate::error::AppError> {
    let page = page.trim();
    if page.is_empty() {
        return Ok(None);
    }
    page.parse::<i64>()
        .map(Some)
        .map_err(|_| crate::error::AppError::invalid("page", "a page is a whole number, like 3"))
}
