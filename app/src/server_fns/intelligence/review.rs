use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{DisseminationRowView, FlagQueueView};

/// The flagged items, the soonest review first: all (`due_within_days` blank) or those due
/// within that many days.
#[server]
pub async fn list_intelligence(due_within_days: String) -> Result<FlagQueueView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let days = match due_within_days.trim() {
        "" => None,
        d => Some(
            d.parse()
                .map_err(|_| AppError::invalid("due_within_days", "a whole number of days"))?,
        ),
    };
    let queue = backend::services::intelligence::queue(&ctx.core, &staff, days)
        .await
        .map_err(fail)?;
    Ok(FlagQueueView {
        items: queue.items.into_iter().map(super::flag_view).collect(),
        more: queue.more,
    })
}

/// A review's decision on a flagged item: `retain` (five more years) or `purge`.
#[server]
pub async fn review_item(
    csrf: String,
    kind: String,
    id: String,
    decision: String,
    reason: String,
) -> Result<String, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::domain::intelligence::ReviewDecision;
    use backend::services::intelligence;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let kind = super::kind_of(&kind)?;
    let meta = meta().await?;
    match ReviewDecision::parse(&decision) {
        Some(ReviewDecision::Retained) => {
            let f = intelligence::retain(&ctx.core, &staff, kind, &id, &reason, &meta)
                .await
                .map_err(fail)?;
            Ok(format!("Retained until {}.", &f.review_due[..10]))
        }
        Some(ReviewDecision::Purged) => {
            let p = intelligence::purge(&ctx.core, &staff, kind, &id, &reason, &meta)
                .await
                .map_err(fail)?;
            Ok(format!(
                "Purged: {} shares revoked, {} files deleted. The dissemination record is kept.",
                p.shares_revoked, p.files_deleted
            ))
        }
        None => Err(AppError::invalid("decision", "decide retain or purge")),
    }
}

/// The dissemination record between two days (`2026-11-01`, both included; blank: open).
#[server]
pub async fn list_disseminations(
    from: String,
    to: String,
) -> Result<Vec<DisseminationRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::services::intelligence::{self, DisseminationFilter};
    let ctx = context()?;
    let staff = require_staff().await?;
    let day = |field: &str, v: &str, next: bool| -> Result<Option<String>, AppError> {
        match v.trim() {
            "" => Ok(None),
            d => {
                let fmt = time::macros::format_description!("[year]-[month]-[day]");
                let date = time::Date::parse(d, &fmt)
                    .map_err(|_| AppError::invalid(field, "a day looks like 2026-11-30"))?;
                let date = if next {
                    date.next_day().unwrap_or(date)
                } else {
                    date
                };
                Ok(Some(backend::services::rfc3339(
                    date.midnight().assume_utc(),
                )))
            }
        }
    };
    let filter = DisseminationFilter {
        from: day("from", &from, false)?,
        to: day("to", &to, true)?,
        item: None,
    };
    let lines = intelligence::disseminations(&ctx.core, &staff, &filter)
        .await
        .map_err(fail)?;
    Ok(lines
        .into_iter()
        .map(|d| DisseminationRowView {
            shared_at: d.shared_at,
            item_kind: d.item_kind,
            item_id: d.item_id,
            item_title: d.item_title,
            submitting_agency: d.submitting_agency,
            reliability: d.reliability,
            validity: d.validity,
            recipient_name: d.recipient_name,
            recipient_email: d.recipient_email,
            partner_name: d.partner_name,
            justification: d.justification,
            shared_by: d.shared_by,
        })
        .collect())
}
