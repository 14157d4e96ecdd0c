//! What happens to campaigns as time passes: reminders before the due date, the default
//! action at it (one transaction per revoked share, each audited), closing, and the next
//! run of a recurring campaign. Run by every node's background loop; each step is a
//! conditional update, so two nodes never do the same work twice. One campaign (or share)
//! that fails is logged by id and skipped: it never holds up the others.

use serde_json::json;

use super::super::share_core::{revoke_in, Revoker};
use super::super::{authorize, Result, ServiceError};
use super::reviewers::{mail_pending, Mail};
use super::{open_in, NewCampaign};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::review::{DefaultAction, Recurrence, ReviewDecision, ReviewScope, ReviewerRule};
use crate::domain::{Action, Role};
use crate::store::{self, from_millis, reviews::CampaignRow};
use crate::Liaison;

/// Why the default action decided a share.
const DEFAULT_REASON: &str = "no decision by the due date: the review's default action";

/// Undecided shares "End now" decides before it answers.
pub const END_NOW_BATCH: i64 = 500;

/// Who carries out a campaign's default action: the sweeper at the due date, or the
/// administrator who chose "End now" (named in the audit log as the actor).
#[derive(Clone, Copy)]
enum By<'a> {
    Sweeper,
    Staff(&'a Staff),
}

impl<'a> By<'a> {
    fn actor(self) -> AuditActor<'a> {
        match self {
            By::Sweeper => AuditActor::System,
            By::Staff(who) => AuditActor::Staff(who),
        }
    }

    fn revoker(self) -> Revoker<'a> {
        match self {
            By::Sweeper => Revoker::System,
            By::Staff(who) => Revoker::Staff(who),
        }
    }
}

/// Sends due reminders, applies the default action of campaigns past their due date (at
/// most `batch` shares per call) and closes those with nothing left undecided. Returns
/// how many shares it decided.
#[tracing::instrument(skip_all)]
pub async fn sweep(core: &Liaison, batch: i64) -> Result<usize> {
    let now = core.now_ms();
    for c in store::reviews::reminders_due(core.db.pool(), now, 20).await? {
        if let Err(e) = remind(core, &c).await {
            tracing::warn!(campaign = %c.id, error.detail = %e, "review reminder failed");
        }
    }
    let meta = RequestMeta::default();
    let mut decided = 0usize;
    for c in store::reviews::due(core.db.pool(), now, 20).await? {
        let left = batch - decided as i64;
        if left <= 0 {
            break;
        }
        match finish(core, &c, left, By::Sweeper, &meta).await {
            Ok((n, _)) => decided += n,
            Err(e) => {
                tracing::warn!(campaign = %c.id, error.detail = %e, "applying a review's default failed")
            }
        }
    }
    Ok(decided)
}

async fn remind(core: &Liaison, c: &CampaignRow) -> Result<()> {
    let Some(at) = c.remind_at else {
        return Ok(());
    };
    let mut tx = core.db.begin().await?;
    if store::reviews::take_reminder(&mut *tx, &c.org_id, &c.id, at).await? {
        mail_pending(core, &mut tx, c, Mail::Reminder).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Applies the default to up to `limit` undecided shares and closes the campaign when none
/// is left. Returns how many it decided and whether it closed.
async fn finish(
    core: &Liaison,
    c: &CampaignRow,
    limit: i64,
    by: By<'_>,
    meta: &RequestMeta,
) -> Result<(usize, bool)> {
    let n = apply_default(core, c, limit, by, meta).await?;
    let done = store::reviews::pending_shares(core.db.pool(), &c.org_id, &c.id, 1)
        .await?
        .is_empty();
    if done {
        close(core, c, by, meta).await?;
    }
    Ok((n, done))
}

/// Gives up to `limit` undecided shares the campaign's default action. A share whose
/// revocation fails is logged and left for the next pass.
async fn apply_default(
    core: &Liaison,
    c: &CampaignRow,
    limit: i64,
    by: By<'_>,
    meta: &RequestMeta,
) -> Result<usize> {
    let now = core.now_ms();
    match DefaultAction::parse(&c.default_action) {
        // Keeping changes no share: one statement, counted in `review.closed`.
        Some(DefaultAction::Keep) => {
            let mut tx = core.db.begin().await?;
            let n = store::reviews::keep_pending(&mut tx, &c.org_id, &c.id, DEFAULT_REASON, now)
                .await?;
            tx.commit().await?;
            Ok(n as usize)
        }
        Some(DefaultAction::Revoke) => {
            let mut n = 0;
            let pending =
                store::reviews::pending_shares(core.db.pool(), &c.org_id, &c.id, limit).await?;
            for share_id in pending {
                match revoke_by_default(core, c, &share_id, by, meta).await {
                    Ok(true) => n += 1,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(
                        campaign = %c.id, share = %share_id, error.detail = %e,
                        "a review's default revocation failed"
                    ),
                }
            }
            Ok(n)
        }
        None => Err(ServiceError::fault(format!(
            "campaign {}: unknown default action",
            c.id
        ))),
    }
}

/// One share's default revocation: the decision, the revocation and `review.decided`
/// (`auto: true`) in one transaction. `false`: decided meanwhile.
async fn revoke_by_default(
    core: &Liaison,
    c: &CampaignRow,
    share_id: &str,
    by: By<'_>,
    meta: &RequestMeta,
) -> Result<bool> {
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::reviews::decide(
        &mut tx,
        &c.org_id,
        &c.id,
        share_id,
        ReviewDecision::Revoke.as_str(),
        DEFAULT_REASON,
        None,
        now,
    )
    .await?
    {
        return Ok(false);
    }
    let why = format!("access review \"{}\": {DEFAULT_REASON}", c.name);
    let revoked = revoke_in(core, &mut tx, &c.org_id, by.revoker(), share_id, meta, &why).await?;
    let document = store::shares::get(&mut *tx, &c.org_id, share_id)
        .await?
        .map(|s| s.item_id().to_owned());
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &c.org_id,
            event_type: EventType::ReviewDecided,
            actor: by.actor(),
            share_id: Some(share_id),
            item_id: document.as_deref(),
            details: json!({
                "campaign": c.id,
                "name": c.name,
                "decision": ReviewDecision::Revoke,
                "reason": DEFAULT_REASON,
                "auto": true,
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    if let Some(r) = revoked {
        core.revocations.publish(r);
    }
    Ok(true)
}

/// The next run of a recurring campaign, or `None` when there is none: a one-off, a
/// stopped series, or nobody left to start it for (its creator no longer an active
/// administrator, and no other). A named reviewer who can no longer review is dropped for
/// the creator rule (whose fallback is the run's creator).
async fn next_run(core: &Liaison, c: &CampaignRow) -> Result<Option<(String, NewCampaign)>> {
    let recurrence = Recurrence::parse(&c.recurrence).unwrap_or(Recurrence::Once);
    if recurrence == Recurrence::Once {
        return Ok(None);
    }
    let pool = core.db.pool();
    let (first_due, runs) = store::reviews::series(pool, &c.org_id, &c.series_id).await?;
    let period_after = |n: i64| recurrence.nth_due(from_millis(first_due), n as u32);
    // The first run due after now (a series that fell behind skips the runs it missed).
    let mut n = runs;
    let due_at = loop {
        match period_after(n) {
            Some(d) if d > core.now() + time::Duration::hours(1) => break d,
            Some(_) if n < runs + 1000 => n += 1,
            _ => return Ok(None),
        }
    };
    let is_active_admin =
        |id: &str| {
            let id = id.to_owned();
            async move {
                Ok::<_, ServiceError>(store::users::get(pool, &c.org_id, &id).await?.is_some_and(
                    |u| {
                        u.disabled_at.is_none()
                            && Role::parse(&u.role)
                                .is_some_and(|r| r.permits(Action::ManageReviews))
                    },
                ))
            }
        };
    let creator = if is_active_admin(&c.created_by).await? {
        c.created_by.clone()
    } else {
        match store::reviews::an_active_admin(pool, &c.org_id).await? {
            Some(admin) => admin,
            None => return Ok(None),
        }
    };
    let mut rule = ReviewerRule::parse(&c.reviewer_rule).unwrap_or(ReviewerRule::Creator);
    let mut reviewer_id = c.reviewer_id.clone();
    if rule == ReviewerRule::Named {
        let still_reviews = match &reviewer_id {
            Some(id) => store::users::get(pool, &c.org_id, id)
                .await?
                .is_some_and(|u| {
                    u.disabled_at.is_none()
                        && crate::domain::Role::parse(&u.role)
                            .is_some_and(|r| r.permits(Action::ReviewShares))
                }),
            None => false,
        };
        if !still_reviews {
            rule = ReviewerRule::Creator;
            reviewer_id = None;
        }
    }
    let scope: ReviewScope = serde_json::from_str(&c.scope).map_err(ServiceError::internal)?;
    Ok(Some((
        creator,
        NewCampaign {
            name: c.name.clone(),
            scope,
            reviewer_rule: rule,
            reviewer_id,
            default_action: DefaultAction::parse(&c.default_action).unwrap_or(DefaultAction::Keep),
            recurrence,
            due_at,
            no_response_days: c.no_response_days,
        },
    )))
}

/// Closes a campaign with its outcome, and starts the next run of a recurring one.
async fn close(core: &Liaison, c: &CampaignRow, by: By<'_>, meta: &RequestMeta) -> Result<()> {
    let now = core.now_ms();
    let next = next_run(core, c).await?;
    let mut tx = core.db.begin().await?;
    if !store::reviews::close(&mut *tx, &c.org_id, &c.id, now).await? {
        return Ok(());
    }
    let mut outcome = serde_json::Map::new();
    for (decision, auto, n) in store::reviews::outcome(&mut *tx, &c.org_id, &c.id).await? {
        let key = if auto == 1 {
            format!("{decision}_by_default")
        } else {
            decision
        };
        outcome.insert(key, n.into());
    }
    let next_id = match next {
        Some((creator, run)) => {
            let id = store::new_id();
            open_in(
                core,
                &mut tx,
                &c.org_id,
                &creator,
                &id,
                &c.series_id,
                &run,
                AuditActor::System,
                meta,
            )
            .await?;
            Some(id)
        }
        None => None,
    };
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &c.org_id,
            event_type: EventType::ReviewClosed,
            actor: by.actor(),
            share_id: None,
            item_id: None,
            details: json!({
                "campaign": c.id,
                "name": c.name,
                "shares": c.item_count,
                "outcome": outcome,
                "ended_early": matches!(by, By::Staff(_)),
                "next": next_id,
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What "End now" does besides ending this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// A recurring review starts its next run as usual.
    ThisRun,
    /// No further run starts.
    Series,
}

/// Ends a campaign now, as the administrator `who` (the actor of every decision and
/// revocation it makes): its due date becomes now, up to [`END_NOW_BATCH`] undecided
/// shares get the default action at once, and it closes if none is left (the background
/// sweep does the rest within a minute). Returns whether it closed.
#[tracing::instrument(skip_all)]
pub async fn end_now(
    core: &Liaison,
    who: &Staff,
    id: &str,
    ending: Ending,
    meta: &RequestMeta,
) -> Result<bool> {
    authorize(who, Action::ManageReviews)?;
    let pool = core.db.pool();
    let mut campaign = store::reviews::get_campaign(pool, &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("review"))?
        .campaign;
    let now = core.now_ms();
    if !store::reviews::bring_due(pool, &who.org_id, id, now).await? {
        return Err(ServiceError::Conflict(
            "this review is closed already".into(),
        ));
    }
    // The row as the two writes left it (no second read).
    campaign.due_at = now;
    campaign.remind_at = None;
    if ending == Ending::Series {
        store::reviews::stop_series(pool, &who.org_id, &campaign.series_id).await?;
        campaign.recurrence = Recurrence::Once.as_str().into();
    }
    let (_, closed) = finish(core, &campaign, END_NOW_BATCH, By::Staff(who), meta).await?;
    Ok(closed)
}
