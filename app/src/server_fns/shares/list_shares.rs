use leptos::prelude::*;

use crate::error::AppError;

use crate::types::SharesPage;
use serde::{Deserialize, Serialize};

/// The shares table's filters as the page's query string gives them (empty = none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareQuery {
    pub status: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub cursor: Option<String>,
    /// Prefix of the recipient's email or name.
    pub recipient: Option<String>,
    /// Only the shares of this document (any of its revisions).
    pub document: Option<String>,
    /// `responded` or `awaiting`.
    pub response: Option<String>,
    /// With `awaiting`: made at least this many days ago.
    pub days: Option<String>,
    /// Active shares expiring within this many days.
    pub expiring: Option<String>,
}

/// One page of the active shares table.
#[server]
pub async fn list_shares(#[server(flatten)] query: ShareQuery) -> Result<SharesPage, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::domain::ShareStatus;
    use backend::services::{shares, ServiceError};
    let ShareQuery {
        status,
        sort,
        order,
        cursor,
        recipient,
        document,
        response,
        days,
        expiring,
    } = query;
    let ctx = context()?;
    let staff = require_staff().await?;
    let status = match status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(ShareStatus::parse(s).ok_or_else(|| {
            fail(ServiceError::Invalid {
                field: "status",
                message: "status must be active, expired or revoked".into(),
            })
        })?),
    };
    let days = whole_days("days", days, "days must be a whole number of days")?;
    let expiring_within_days =
        whole_days("expiring", expiring, "expiring counts whole days ahead")?;
    let filter = shares::ShareFilter {
        expiring_within_days,
        response: response.filter(|r| !r.is_empty()),
        days,
        status,
        document_id: document.filter(|d| !d.is_empty()),
        sort: sort.filter(|s| !s.is_empty()),
        descending: Some(order.as_deref() != Some("asc")),
        limit: Some(50),
        cursor: cursor.filter(|s| !s.is_empty()),
        recipient: recipient.filter(|s| !s.trim().is_empty()),
        created_by: None,
    };
    let page = shares::list(&ctx.core, &staff, filter)
        .await
        .map_err(fail)?;
    Ok(SharesPage {
        next_cursor: page.next_cursor,
        items: page.items.into_iter().map(share_row).collect(),
    })
}

/// A query's count of days: `None` when empty, else a whole number (refused on `field`).
#[cfg(feature = "ssr")]
fn whole_days(
    field: &'static str,
    text: Option<String>,
    message: &'static str,
) -> Result<Option<u32>, AppError> {
    match text.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => d
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, message)),
    }
}

/// A share as the console's tables and pages show it.
#[cfg(feature = "ssr")]
pub(crate) fn share_row(s: backend::services::shares::ShareView) -> crate::types::ShareRowView {
    crate::types::ShareRowView {
        status: s.status.as_str().to_owned(),
        recipient_name: s.recipient.name,
        recipient_email: s.recipient.email,
        document_title: s.item.title,
        created_by: s.created_by.name,
        created_at: s.created_at,
        expires_at: s.expires_at,
        max_access_count: s.max_access_count,
        access_count: s.access_count,
        last_activity_at: s.last_activity_at,
        tlp: s.tlp,
        link_available: s.link_available,
        revised: s.revised,
        responses: s.responses,
        awaiting_response: s.awaiting_response,
        id: s.id,
    }
}

/// The console home's figures (see `backend::services::dashboard`).
#[server]
pub async fn load_dashboard() -> Result<crate::types::DashboardView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let d = backend::services::dashboard::dashboard(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(crate::types::DashboardView {
        active: d.active,
        expiring: d.expiring,
        expiring_days: backend::services::dashboard::EXPIRING_DAYS,
        awaiting_response: d.awaiting_response,
        denials_24h: d.denials_24h,
        open_renewals: d.open_renewals,
        reviews_due: d.reviews_due,
    })
}
