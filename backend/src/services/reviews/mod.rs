//! Access reviews, after Entra ID's campaigns but per share: an administrator starts a
//! campaign over a scope of active shares with a rule for who reviews them and a due date;
//! each reviewer works through a queue deciding keep / extend / revoke with a reason; at
//! the due date the undecided get the campaign's default action, and a recurring campaign
//! starts its next run.
//!
//! `mod.rs` starts campaigns and reads them; `decide` holds a reviewer's decision;
//! `sweep` holds reminders, the default action and closing; `reviewers` resolves who
//! reviews (reviewer keys, the controllers of projects); `report` writes the outcome.
//!
//! Invariants: a campaign's items are written in one statement with the campaign, so a
//! campaign is never seen half-filled; an item is decided once (a conditional update); a
//! decision and its effect on the share (revocation, new expiry) commit together.

mod decide;
mod report;
mod reviewers;
mod sweep;

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{authorize, rfc3339, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::review::{
    CampaignStatus, DefaultAction, FlagFacts, Recurrence, ReviewDecision, ReviewFlags, ReviewScope,
    ReviewerRule,
};
use crate::domain::{Action, Role, ShareStatus, Tlp};
use crate::store::{self, from_millis, reviews::CampaignRow, to_millis, Tx};
use crate::Liaison;

pub use decide::{decide, Decision};
pub use report::{report, ReportFormat};
pub use reviewers::{project_controllers, set_project_controllers};
pub use sweep::{end_now, sweep, Ending};

/// Rows of a queue page.
pub const QUEUE_PAGE: i64 = 50;
/// The longest a campaign may run.
pub const MAX_DAYS: i64 = 365;
/// How long before the due date reviewers with undecided shares are reminded.
pub const REMIND_BEFORE_DAYS: i64 = 2;

/// What an administrator asks for when starting a campaign.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub scope: ReviewScope,
    pub reviewer_rule: ReviewerRule,
    /// The named reviewer's user id (`ReviewerRule::Named`).
    pub reviewer_id: Option<String>,
    pub default_action: DefaultAction,
    pub recurrence: Recurrence,
    pub due_at: OffsetDateTime,
    /// The "no response for N days" flag's N.
    pub no_response_days: i64,
}

/// A campaign as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub scope: ReviewScope,
    pub reviewer_rule: ReviewerRule,
    pub reviewer_id: Option<String>,
    pub default_action: DefaultAction,
    pub recurrence: Recurrence,
    pub no_response_days: i64,
    /// RFC 3339.
    pub due_at: String,
    pub status: CampaignStatus,
    pub created_by: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub items: i64,
    pub pending: i64,
    /// The scope in words ("All active shares · project Harbour · TLP:RED").
    pub scope_text: String,
    /// Who reviews, in words ("Each share's creator", "Dana Controller").
    pub reviewer_text: String,
}

async fn campaign_view(core: &Liaison, r: store::reviews::CampaignListRow) -> Result<CampaignView> {
    let c = r.campaign;
    let corrupt = |what: &str| ServiceError::fault(format!("campaign {}: {what}", c.id));
    let scope: ReviewScope = serde_json::from_str(&c.scope).map_err(|_| corrupt("scope"))?;
    let reviewer_rule = ReviewerRule::parse(&c.reviewer_rule).ok_or_else(|| corrupt("rule"))?;
    let (scope_text, reviewer_text) = describe(
        core,
        &c.org_id,
        &scope,
        reviewer_rule,
        c.reviewer_id.as_deref(),
    )
    .await?;
    Ok(CampaignView {
        scope,
        reviewer_rule,
        scope_text,
        reviewer_text,
        default_action: DefaultAction::parse(&c.default_action)
            .ok_or_else(|| corrupt("default action"))?,
        recurrence: Recurrence::parse(&c.recurrence).ok_or_else(|| corrupt("recurrence"))?,
        status: CampaignStatus::parse(&c.status).ok_or_else(|| corrupt("status"))?,
        due_at: rfc3339(from_millis(c.due_at)),
        created_at: rfc3339(from_millis(c.created_at)),
        closed_at: c.closed_at.map(|t| rfc3339(from_millis(t))),
        id: c.id,
        name: c.name,
        reviewer_id: c.reviewer_id,
        no_response_days: c.no_response_days,
        created_by: r.created_by_name,
        items: c.item_count,
        pending: r.pending,
    })
}

/// A campaign's scope and reviewers in words, with the names of what they name.
async fn describe(
    core: &Liaison,
    org_id: &str,
    scope: &ReviewScope,
    rule: ReviewerRule,
    reviewer_id: Option<&str>,
) -> Result<(String, String)> {
    let pool = core.db.pool();
    let user_name = |id: &str| {
        let id = id.to_owned();
        async move {
            Ok::<_, ServiceError>(
                store::users::get(pool, org_id, &id)
                    .await?
                    .map_or(id, |u| u.display_name),
            )
        }
    };
    let mut parts = vec!["All active shares".to_owned()];
    if let Some(p) = &scope.project_id {
        let name = store::policies::project(pool, org_id, p)
            .await?
            .map_or_else(|| p.clone(), |p| p.name);
        parts.push(format!("project {name}"));
    }
    if let Some(p) = &scope.partner_id {
        let name = store::partners::get_partner(pool, org_id, p)
            .await?
            .map_or_else(|| p.clone(), |p| p.name);
        parts.push(format!("recipients at {name}"));
    }
    if let Some(t) = scope.tlp {
        parts.push(t.label());
    }
    if let Some(u) = &scope.created_by {
        parts.push(format!("created by {}", user_name(u).await?));
    }
    if let Some(b) = scope.created_before_ms {
        parts.push(format!("created before {}", rfc3339(from_millis(b))));
    }
    let reviewer = match (rule, reviewer_id) {
        (ReviewerRule::Named, Some(id)) => user_name(id).await?,
        (ReviewerRule::ProjectControllers, _) => "The controllers of each share's project".into(),
        _ => "Each share's creator".into(),
    };
    Ok((parts.join(" · "), reviewer))
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field,
        message: message.into(),
    }
}

/// Checks what an administrator asked for against the organisation: every named thing
/// exists in it, the reviewer may review, the due date is ahead and within a year.
async fn check(core: &Liaison, who: &Staff, c: &NewCampaign) -> Result<()> {
    let name = c.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid(
            "name",
            "give the campaign a name of at most 200 characters",
        ));
    }
    let now = core.now();
    if c.due_at <= now + time::Duration::hours(1) {
        return Err(invalid(
            "due_at",
            "the due date must be at least an hour from now",
        ));
    }
    if c.due_at > now + time::Duration::days(MAX_DAYS) {
        return Err(invalid(
            "due_at",
            format!("a campaign runs at most {MAX_DAYS} days"),
        ));
    }
    if !(1..=365).contains(&c.no_response_days) {
        return Err(invalid("no_response_days", "between 1 and 365 days"));
    }
    let pool = core.db.pool();
    if c.reviewer_rule == ReviewerRule::Named {
        let id = c
            .reviewer_id
            .as_deref()
            .ok_or_else(|| invalid("reviewer_id", "choose the staff member who reviews"))?;
        let user = store::users::get(pool, &who.org_id, id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(|| invalid("reviewer_id", "no active staff member has this id"))?;
        let may_review = Role::parse(&user.role).is_some_and(|r| r.permits(Action::ReviewShares));
        if !may_review {
            return Err(invalid(
                "reviewer_id",
                "an auditor cannot review: choose an administrator or a document controller",
            ));
        }
    }
    let s = &c.scope;
    if let Some(p) = &s.project_id {
        if store::policies::project(pool, &who.org_id, p)
            .await?
            .is_none()
        {
            return Err(invalid("scope.project_id", "no project has this id"));
        }
    }
    if let Some(p) = &s.partner_id {
        if store::partners::get_partner(pool, &who.org_id, p)
            .await?
            .is_none()
        {
            return Err(invalid("scope.partner_id", "no partner has this id"));
        }
    }
    if let Some(u) = &s.created_by {
        if store::users::get(pool, &who.org_id, u).await?.is_none() {
            return Err(invalid("scope.created_by", "no staff member has this id"));
        }
    }
    Ok(())
}

/// Starts a campaign: every active share in its scope enters a reviewer's queue, and each
/// reviewer is mailed how many await them. Administrators only.
#[tracing::instrument(skip_all)]
pub async fn start(
    core: &Liaison,
    who: &Staff,
    c: NewCampaign,
    meta: &RequestMeta,
) -> Result<CampaignView> {
    authorize(who, Action::ManageReviews)?;
    check(core, who, &c).await?;
    let id = store::new_id();
    let mut tx = core.db.begin().await?;
    open_in(
        core,
        &mut tx,
        &who.org_id,
        &who.user_id,
        &id,
        &id,
        &c,
        AuditActor::Staff(who),
        meta,
    )
    .await?;
    tx.commit().await?;
    get(core, who, &id).await
}

/// Writes a campaign, its items, the reviewers' mails and `review.started` in `tx`.
#[allow(clippy::too_many_arguments)]
async fn open_in(
    core: &Liaison,
    tx: &mut Tx,
    org_id: &str,
    created_by: &str,
    id: &str,
    series_id: &str,
    c: &NewCampaign,
    actor: AuditActor<'_>,
    meta: &RequestMeta,
) -> Result<u64> {
    let now = core.now_ms();
    let due_at = to_millis(c.due_at);
    let remind_at = due_at - REMIND_BEFORE_DAYS * 86_400_000;
    let row = CampaignRow {
        id: id.to_owned(),
        org_id: org_id.to_owned(),
        name: c.name.trim().to_owned(),
        scope: serde_json::to_string(&c.scope).map_err(ServiceError::internal)?,
        reviewer_rule: c.reviewer_rule.as_str().into(),
        reviewer_id: c.reviewer_id.clone(),
        default_action: c.default_action.as_str().into(),
        recurrence: c.recurrence.as_str().into(),
        no_response_days: c.no_response_days,
        due_at,
        remind_at: (remind_at > now).then_some(remind_at),
        status: CampaignStatus::Open.as_str().into(),
        created_by: created_by.to_owned(),
        created_at: now,
        closed_at: None,
        series_id: series_id.to_owned(),
        item_count: 0,
    };
    store::reviews::insert_campaign(&mut **tx, &row).await?;
    let items = store::reviews::fill_items(
        &mut **tx,
        org_id,
        id,
        &c.scope,
        c.reviewer_rule.as_str(),
        c.reviewer_id.as_deref(),
        created_by,
        now,
    )
    .await?;
    store::reviews::set_item_count(&mut **tx, org_id, id, items as i64).await?;
    reviewers::mail_pending(core, tx, &row, reviewers::Mail::Started).await?;
    audit::record(
        tx,
        NewEvent {
            org_id,
            event_type: EventType::ReviewStarted,
            actor,
            share_id: None,
            item_id: None,
            details: json!({
                "campaign": id,
                "name": row.name,
                "scope": c.scope,
                "reviewer_rule": c.reviewer_rule,
                "reviewer_id": c.reviewer_id,
                "default_action": c.default_action,
                "recurrence": c.recurrence,
                "due_at": rfc3339(c.due_at),
                "shares": items,
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    Ok(items)
}

/// The organisation's campaigns: administrators and auditors see all, reviewers those with
/// shares in their queue.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<CampaignView>> {
    authorize(who, Action::ViewShares)?;
    let keys = if sees_every_queue(who) {
        None
    } else {
        Some(reviewers::keys_of(core, who).await?)
    };
    let rows =
        store::reviews::list_campaigns(core.db.pool(), &who.org_id, keys.as_deref(), 200).await?;
    let mut views = Vec::with_capacity(rows.len());
    for r in rows {
        views.push(campaign_view(core, r).await?);
    }
    Ok(views)
}

/// Administrators (who manage reviews) and auditors (who read everything) see every
/// reviewer's queue; everyone else sees their own.
fn sees_every_queue(who: &Staff) -> bool {
    authorize(who, Action::ManageReviews).is_ok() || authorize(who, Action::ReadAudit).is_ok()
}

#[tracing::instrument(skip_all)]
pub async fn get(core: &Liaison, who: &Staff, id: &str) -> Result<CampaignView> {
    authorize(who, Action::ViewShares)?;
    let row = store::reviews::get_campaign(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("review"))?;
    campaign_view(core, row).await
}

/// Undecided shares in the caller's queues of open campaigns (the console home's figure);
/// `None` for a role that does not review.
pub async fn pending_count(core: &Liaison, who: &Staff) -> Result<Option<i64>> {
    if authorize(who, Action::ReviewShares).is_err() {
        return Ok(None);
    }
    let keys = reviewers::keys_of(core, who).await?;
    Ok(Some(
        store::reviews::pending_for(core.db.pool(), &who.org_id, &keys).await?,
    ))
}

/// Which items of a campaign to show.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// `Some(true)`: undecided; `Some(false)`: decided; `None`: both.
    pub pending: Option<bool>,
    /// Every reviewer's items (those who see every queue), not only one's own.
    pub everyone: bool,
    /// Keyset cursor: the last share id of the previous page.
    pub after: Option<String>,
}

/// One share in a queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    pub share_id: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub document_title: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub access_count: i64,
    pub max_access_count: i64,
    pub tlp: String,
    /// The share as it stands now.
    pub status: ShareStatus,
    pub flags: ReviewFlags,
    /// Who reviews it: a name, or "Controllers of <project>".
    pub reviewer: String,
    pub decision: Option<ReviewDecision>,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// Decided by the campaign's default action at its due date.
    pub auto_applied: bool,
    /// The caller may decide it now (open campaign, undecided, theirs or an administrator).
    pub may_decide: bool,
    /// The caller may also extend it (the rules of changing a share: their own share, or
    /// an administrator).
    pub may_extend: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// The cursor of the next page, if there is one.
    pub next_after: Option<String>,
}

/// A page of a campaign's queue ([`QUEUE_PAGE`] rows, keyset by share id): the caller's
/// own items, or everyone's for those who see every queue.
#[tracing::instrument(skip_all)]
pub async fn queue(
    core: &Liaison,
    who: &Staff,
    campaign_id: &str,
    f: QueueFilter,
) -> Result<QueuePage> {
    authorize(who, Action::ViewShares)?;
    // The row, not the view: a page needs no names of what the scope names.
    let campaign = store::reviews::get_campaign(core.db.pool(), &who.org_id, campaign_id)
        .await?
        .ok_or(ServiceError::NotFound("review"))?
        .campaign;
    let own = reviewers::keys_of(core, who).await?;
    let keys = if f.everyone && sees_every_queue(who) {
        None
    } else {
        Some(own.clone())
    };
    let rows = store::reviews::queue(
        core.db.pool(),
        &who.org_id,
        &store::reviews::QueueQuery {
            campaign_id: campaign_id.to_owned(),
            keys,
            pending: f.pending,
            after: f.after,
            limit: QUEUE_PAGE + 1,
        },
    )
    .await?;
    let now = core.now_ms();
    let open = campaign.status == CampaignStatus::Open.as_str();
    let due_ms = campaign.due_at;
    let admin = authorize(who, Action::ManageReviews).is_ok();
    let reviews = authorize(who, Action::ReviewShares).is_ok();
    let more = rows.len() as i64 > QUEUE_PAGE;
    let items: Vec<QueueItem> = rows
        .into_iter()
        .take(QUEUE_PAGE as usize)
        .map(|r| {
            let mine = own.contains(&r.reviewer);
            let may_change = super::shares::authorize_manage(who, &r.created_by).is_ok();
            let mut item = item(r, now, campaign.no_response_days);
            item.may_decide =
                open && due_ms > now && item.decision.is_none() && reviews && (admin || mine);
            item.may_extend = item.may_decide && may_change;
            item
        })
        .collect();
    let next_after = more
        .then(|| items.last().map(|i| i.share_id.clone()))
        .flatten();
    Ok(QueuePage { items, next_after })
}

/// A queue row as shown (`may_decide` false: the caller sets it).
fn item(r: store::reviews::QueueRow, now_ms: i64, no_response_days: i64) -> QueueItem {
    let tlp = Tlp::parse(&r.tlp).unwrap_or_default();
    let flags = ReviewFlags::of(
        FlagFacts {
            access_count: r.access_count,
            max_access_count: r.max_access_count,
            may_respond: r.may_respond == 1,
            response_count: r.response_count,
            created_at_ms: r.created_at,
            tlp,
            recipient_in_partner_domain: r.in_partner_domain == 1,
        },
        now_ms,
        no_response_days,
    );
    let status = if r.revoked_at.is_some() {
        ShareStatus::Revoked
    } else if r.expires_at.is_some_and(|e| e <= now_ms)
        || (r.max_access_count > 0 && r.access_count >= r.max_access_count)
    {
        ShareStatus::Expired
    } else {
        ShareStatus::Active
    };
    let pending = r.pending == 1;
    QueueItem {
        auto_applied: !pending && r.decided_by_name.is_none(),
        share_id: r.share_id,
        recipient_name: r.recipient_name,
        recipient_email: r.recipient_email,
        document_title: r.document_title,
        created_by: r.creator_name,
        created_at: rfc3339(from_millis(r.created_at)),
        expires_at: r.expires_at.map(|t| rfc3339(from_millis(t))),
        access_count: r.access_count,
        max_access_count: r.max_access_count,
        tlp: tlp.label(),
        status,
        flags,
        reviewer: r.reviewer_name,
        decision: r.decision.as_deref().and_then(ReviewDecision::parse),
        reason: r.reason,
        decided_by: r.decided_by_name,
        decided_at: r.decided_at.map(|t| rfc3339(from_millis(t))),
        may_decide: false,
        may_extend: false,
    }
}
