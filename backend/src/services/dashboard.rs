//! The console home: what needs attention, each figure a link to the filtered table.

use serde::Serialize;

use super::Result;
use crate::actor::Staff;
use crate::audit::EventType;
use crate::domain::Action;
use crate::store;
use crate::Liaison;

/// How far ahead "expiring soon" looks.
pub const EXPIRING_DAYS: u32 = 7;

/// The console home's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    pub active: i64,
    /// Active shares expiring in the next [`EXPIRING_DAYS`] days.
    pub expiring: i64,
    /// Active shares whose guest may respond and has not.
    pub awaiting_response: i64,
    /// Denied opens in the last 24 hours; `None` for a role that may not read the audit
    /// log (where the denials are listed).
    pub denials_24h: Option<i64>,
    /// Renewal requests waiting for a decision the caller may make; `None` for a role that
    /// manages no share.
    pub open_renewals: Option<i64>,
    /// Undecided shares in the caller's access review queues; `None` for a role that does
    /// not review.
    pub reviews_due: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn dashboard(core: &Liaison, who: &Staff) -> Result<Dashboard> {
    super::authorize(who, Action::ViewShares)?;
    let now = core.now_ms();
    let s = store::shares::summary(
        core.db.pool(),
        &who.org_id,
        now,
        now + i64::from(EXPIRING_DAYS) * 86_400_000,
    )
    .await?;
    let denials_24h = if super::authorize(who, Action::ReadAudit).is_ok() {
        Some(
            store::audit::count_since(
                core.db.pool(),
                &who.org_id,
                EventType::ShareDenied.as_str(),
                now - 86_400_000,
            )
            .await?,
        )
    } else {
        None
    };
    Ok(Dashboard {
        active: s.active,
        expiring: s.expiring,
        awaiting_response: s.awaiting_response,
        denials_24h,
        open_renewals: super::renewals::open_count(core, who).await?,
        reviews_due: super::reviews::pending_count(core, who).await?,
    })
}
