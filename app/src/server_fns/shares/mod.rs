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

/// The share form's expiry: a preset (`1h`, `24h`, `7d`, `14d`, `30d`), the policy's
/// default (empty), or `custom`: the browser's local date and time (`2026-12-31T17:00`)
/// with its offset as JavaScript gives it (`getTimezoneOffset()`: minutes to add to local
/// time for UTC; empty = UTC, as before the page has loaded its script).
#[cfg(feature = "ssr")]
pub(crate) fn form_expiry(
    choice: &str,
    local: &str,
    tz_offset_minutes: &str,
) -> Result<backend::services::shares::Expiry, backend::services::ServiceError> {
    use backend::services::shares::Expiry;
    use backend::services::ServiceError;
    let bad = |field: &'static str, message: &str| ServiceError::Invalid {
        field,
        message: message.into(),
    };
    Ok(match choice.trim() {
        "" | "default" => Expiry::Default,
        "1h" => Expiry::Hours(1),
        "24h" => Expiry::Hours(24),
        "7d" => Expiry::Days(7),
        "14d" => Expiry::Days(14),
        "30d" => Expiry::Days(30),
        "custom" => Expiry::At(
            crate::server_fns::local_instant(local, tz_offset_minutes).map_err(|e| {
                ServiceError::Invalid {
                    field: "expires_at",
                    message: e.message("the date and time the share expires"),
                }
            })?,
        ),
        _ => {
            return Err(bad(
                "expiry",
                "choose 1 hour, 24 hours, 7, 14 or 30 days, or a date and time",
            ))
        }
    })
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
