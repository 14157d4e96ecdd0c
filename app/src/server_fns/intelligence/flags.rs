use leptos::prelude::*;

use crate::error::AppError;
use crate::types::FlagRowView;

/// Flags an item as criminal intelligence or changes its flags. `submitted_on` is the day
/// the agency submitted it (`2026-11-30`; blank: today, or as recorded).
#[server]
pub async fn save_flag(
    csrf: String,
    kind: String,
    id: String,
    submitting_agency: String,
    reliability: String,
    validity: String,
    submitted_on: String,
) -> Result<FlagRowView, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::domain::intelligence::{Reliability, Validity};
    use backend::services::intelligence::{self, FlagInput};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let kind = super::kind_of(&kind)?;
    let reliability = Reliability::parse(&reliability)
        .ok_or_else(|| AppError::invalid("reliability", "choose A, B, C or D"))?;
    let validity = Validity::parse(&validity)
        .ok_or_else(|| AppError::invalid("validity", "choose 1, 2, 3 or 4"))?;
    let submitted_at = match submitted_on.trim() {
        "" => None,
        day => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            let date = time::Date::parse(day, &fmt).map_err(|_| {
                AppError::invalid("submitted_at", "the submission date looks like 2026-11-30")
            })?;
            Some(backend::services::rfc3339(date.midnight().assume_utc()))
        }
    };
    let input = FlagInput {
        submitting_agency,
        reliability,
        validity,
        submitted_at,
    };
    let flag = intelligence::set_flag(&ctx.core, &staff, kind, &id, input, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(super::flag_view(flag))
}

/// Takes the flag off an item flagged in error, with the reason.
#[server]
pub async fn remove_flag(
    csrf: String,
    kind: String,
    id: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::intelligence::remove_flag(
        &ctx.core,
        &staff,
        super::kind_of(&kind)?,
        &id,
        &reason,
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
