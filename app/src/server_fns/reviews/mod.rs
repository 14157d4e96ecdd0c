//! Access reviews in the console: campaigns, a reviewer's queue, decisions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::types::{CampaignRowView, QueueRowView};
use crate::types::{ReviewView, ReviewsPageView};

#[cfg(feature = "ssr")]
fn campaign_row(c: backend::services::reviews::CampaignView) -> CampaignRowView {
    CampaignRowView {
        id: c.id,
        name: c.name,
        scope_text: c.scope_text,
        reviewer_text: c.reviewer_text,
        default_action: c.default_action.as_str().into(),
        recurrence: c.recurrence.as_str().into(),
        due_at: c.due_at,
        status: c.status.as_str().into(),
        created_by: c.created_by,
        closed_at: c.closed_at,
        items: c.items,
        pending: c.pending,
    }
}

/// The campaigns the caller may see and, for administrators, the start form's choices.
#[server]
pub async fn list_reviews() -> Result<ReviewsPageView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::domain::Action;
    use backend::services::{partners, policy, reviews, staff as accounts};
    let ctx = context()?;
    let staff = require_staff().await?;
    let campaigns = reviews::list(&ctx.core, &staff).await.map_err(fail)?;
    let form = if staff.role.permits(Action::ManageReviews) {
        let people = accounts::list(&ctx.core, &staff).await.map_err(fail)?;
        let active: Vec<_> = people
            .into_iter()
            .filter(|p| p.status == accounts::StaffStatus::Active)
            .collect();
        Some(crate::types::ReviewFormOptions {
            reviewers: active
                .iter()
                .filter(|p| p.role.permits(Action::ReviewShares))
                .map(|p| (p.id.clone(), format!("{} ({})", p.name, p.role.label())))
                .collect(),
            staff: active
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect(),
            projects: policy::projects(&ctx.core, &staff)
                .await
                .map_err(fail)?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
            partners: partners::list_partners(&ctx.core, &staff)
                .await
                .map_err(fail)?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        })
    } else {
        None
    };
    Ok(ReviewsPageView {
        campaigns: campaigns.into_iter().map(campaign_row).collect(),
        form,
    })
}

/// The "Start a review" form, as it posts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StartReviewForm {
    pub csrf: String,
    pub name: String,
    /// creator | named | project_controllers
    pub reviewer_rule: String,
    pub reviewer_id: String,
    /// keep | revoke
    pub default_action: String,
    /// once | monthly | quarterly
    pub recurrence: String,
    /// The due date and time in the browser's zone (`2026-12-31T17:00`).
    pub due_at_local: String,
    /// `getTimezoneOffset()` of that date; blank = UTC.
    pub tz_offset_minutes: String,
    pub no_response_days: String,
    pub project_id: String,
    pub partner_id: String,
    pub tlp: String,
    pub created_by: String,
    /// A date (`2026-11-30`): shares created before its start, UTC.
    pub created_before: String,
}

/// Starts a campaign (administrators); answers its id.
#[server]
pub async fn start_review(#[server(flatten)] form: StartReviewForm) -> Result<String, AppError> {
    use crate::server_fns::chosen;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::domain::review::{DefaultAction, Recurrence, ReviewScope, ReviewerRule};
    use backend::services::{reviews, ServiceError};
    let ctx = context()?;
    let staff = require_staff_csrf(&form.csrf).await?;
    let bad = |field: &'static str, message: &str| {
        fail(ServiceError::Invalid {
            field,
            message: message.into(),
        })
    };
    let some = |v: &str| chosen(&Some(v.to_owned())).map(str::to_owned);
    let reviewer_rule = ReviewerRule::parse(&form.reviewer_rule)
        .ok_or_else(|| bad("reviewer_rule", "choose who reviews"))?;
    let default_action = DefaultAction::parse(&form.default_action)
        .ok_or_else(|| bad("default_action", "choose keep or revoke"))?;
    let recurrence = Recurrence::parse(&form.recurrence)
        .ok_or_else(|| bad("recurrence", "choose once, monthly or quarterly"))?;
    let due_at = match crate::server_fns::shares::form_expiry(
        "custom",
        &form.due_at_local,
        &form.tz_offset_minutes,
    ) {
        Ok(backend::services::shares::Expiry::At(at)) => at,
        _ => return Err(bad("due_at", "choose the date and time the review is due")),
    };
    let no_response_days = match form.no_response_days.trim() {
        "" => 14,
        n => n
            .parse()
            .map_err(|_| bad("no_response_days", "a whole number of days"))?,
    };
    let tlp = match some(&form.tlp) {
        Some(t) => Some(
            backend::domain::Tlp::parse(&t).ok_or_else(|| bad("scope.tlp", "choose a marking"))?,
        ),
        None => None,
    };
    let created_before_ms = match some(&form.created_before) {
        Some(d) => Some(backend::store::to_millis(
            crate::server_fns::shares::form_expiry_date(&d)
                .map_err(|_| bad("scope.created_before", "a date like 2026-11-30"))?
                .map(|end_of_day| end_of_day.replace_time(time::Time::MIDNIGHT))
                .ok_or_else(|| bad("scope.created_before", "a date like 2026-11-30"))?,
        )),
        None => None,
    };
    let campaign = reviews::start(
        &ctx.core,
        &staff,
        reviews::NewCampaign {
            name: form.name,
            scope: ReviewScope {
                project_id: some(&form.project_id),
                partner_id: some(&form.partner_id),
                tlp,
                created_by: some(&form.created_by),
                created_before_ms,
            },
            reviewer_rule,
            reviewer_id: some(&form.reviewer_id),
            default_action,
            recurrence,
            due_at,
            no_response_days,
        },
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(campaign.id)
}

/// A campaign with one page of its queue: `show` = pending | decided | all; `everyone`
/// ("1") for every reviewer's shares; `after`: the keyset cursor.
#[server]
pub async fn load_review(
    id: String,
    show: String,
    everyone: String,
    after: String,
) -> Result<ReviewView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use backend::domain::Action;
    use backend::services::reviews::{self, QueueFilter};
    let ctx = context()?;
    let staff = require_staff().await?;
    let campaign = reviews::get(&ctx.core, &staff, &id).await.map_err(fail)?;
    let sees_everyone =
        staff.role.permits(Action::ManageReviews) || staff.role.permits(Action::ReadAudit);
    let page = reviews::queue(
        &ctx.core,
        &staff,
        &id,
        QueueFilter {
            pending: match show.as_str() {
                "decided" => Some(false),
                "all" => None,
                _ => Some(true),
            },
            everyone: everyone == "1",
            after: (!after.is_empty()).then_some(after),
        },
    )
    .await
    .map_err(fail)?;
    Ok(ReviewView {
        campaign: campaign_row(campaign),
        items: page
            .items
            .into_iter()
            .map(|i| QueueRowView {
                share_id: i.share_id,
                recipient_name: i.recipient_name,
                recipient_email: i.recipient_email,
                document_title: i.document_title,
                created_by: i.created_by,
                created_at: i.created_at,
                expires_at: i.expires_at,
                access_count: i.access_count,
                max_access_count: i.max_access_count,
                tlp: i.tlp,
                status: i.status.as_str().into(),
                flags: i.flags.names().into_iter().map(str::to_owned).collect(),
                reviewer: i.reviewer,
                decision: i.decision.map(|d| d.as_str().to_owned()),
                reason: i.reason,
                decided_by: i.decided_by,
                decided_at: i.decided_at,
                auto_applied: i.auto_applied,
                may_decide: i.may_decide,
                may_extend: i.may_extend,
            })
            .collect(),
        next_after: page.next_after,
        may_manage: staff.role.permits(Action::ManageReviews),
        sees_everyone,
    })
}

/// One row's decision: keep, extend (by `extend`: 7d | 14d | 30d) or revoke, with a reason.
#[server]
pub async fn decide_review(
    csrf: String,
    campaign_id: String,
    share_id: String,
    decision: String,
    reason: String,
    extend: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::domain::review::ReviewDecision;
    use backend::services::{reviews, ServiceError};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let decision = ReviewDecision::parse(&decision).ok_or_else(|| {
        fail(ServiceError::Invalid {
            field: "decision",
            message: "choose keep, extend or revoke".into(),
        })
    })?;
    let extend = match (decision, extend.as_deref()) {
        (ReviewDecision::Extend, Some(choice)) => {
            Some(crate::server_fns::shares::form_expiry(choice, "", "").map_err(fail)?)
        }
        _ => None,
    };
    reviews::decide(
        &ctx.core,
        &staff,
        &campaign_id,
        &share_id,
        reviews::Decision {
            decision,
            reason,
            extend,
        },
        &meta().await?,
    )
    .await
    .map_err(fail)
}

/// "End now": the undecided get the default action and the review closes (a large one
/// finishes in the background within a minute); `stop_series` ticked: a recurring review
/// starts no further run. Answers whether it closed already.
#[server]
pub async fn end_review(
    csrf: String,
    id: String,
    stop_series: Option<String>,
) -> Result<bool, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::reviews::{end_now, Ending};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let ending = if crate::server_fns::ticked(&stop_series) {
        Ending::Series
    } else {
        Ending::ThisRun
    };
    end_now(&ctx.core, &staff, &id, ending, &meta().await?)
        .await
        .map_err(fail)
}
