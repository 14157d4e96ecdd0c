mod change_share;
mod copy_share_link;
mod create_share;
mod decide_device;
mod list_shares;
mod load_share_detail;
mod resend_invitation;
mod revoke_share;
mod revoke_shares;

pub use change_share::*;
pub use copy_share_link::*;
pub use create_share::*;
pub use decide_device::*;
pub use list_shares::*;
pub use load_share_detail::*;
pub use resend_invitation::*;
pub use revoke_share::*;
pub use revoke_shares::*;

/// The console forms' expiry date (YYYY-MM-DD): the share expires at the end of that day,
/// UTC. `None` for an empty field.
#[cfg(feature = "ssr")]
pub(crate) fn form_expiry_date(
    text: &str,
) -> Result<Option<time::OffsetDateTime>, backend::services::ServiceError> {
    match text.trim() {
        "" => Ok(None),
        d => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            let date = time::Date::parse(d, &fmt).map_err(|_| {
                backend::services::ServiceError::Invalid {
                    field: "expires_on",
                    message: "the expiry date must look like 2026-12-31".into(),
                }
            })?;
            Ok(Some(
                date.with_time(time::macros::time!(23:59:59)).assume_utc(),
            ))
        }
    }
}

/// The console forms' access limit: a whole number, 0 = unlimited; `None` for an empty
/// field.
#[cfg(feature = "ssr")]
pub(crate) fn form_access_count(
    text: &str,
) -> Result<Option<i64>, backend::services::ServiceError> {
    match text.trim() {
        "" => Ok(None),
        n => n
            .parse()
            .map(Some)
            .map_err(|_| backend::services::ServiceError::Invalid {
                field: "max_access_count",
                message: "the access count must be a whole number (0 = unlimited)".into(),
            }),
    }
}
