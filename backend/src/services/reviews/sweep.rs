//! What happens to campaigns as time passes: reminders before the due date, the default
//! action at it (one transaction per revoked share, each audited), closing, and the next
//! run of a recurring campaign. Run by every node's background loop; each step is a
//! conditional update, so two nodes never do the same work twice.

use serde_json::json;

use super::super::share_core::{revoke_in, Revoker};
use super::super::{authorize, Result, ServiceError};
use super::reviewers::{mail_pending, Mail};
use super::{open_in, NewCampaign};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::review::{DefaultAction, Recurrence, ReviewDecision};
use crate::domain::Action;
use crate::store::{self, from_millis, reviews::CampaignRow};
use crate::Liaison;

/// Why the default action decided a share.
const DEFAULT_REASON: &str = "no decision by the due date: the review's default action";

/// Sends due reminders, applies the default action of campaigns past their due date (at
/// most `batch` shares per call) and closes those with nothing left undecided. Returns
/// how many shares it decided.
#[tracing::instrument(skip_all)]
pub async fn sweep(core: &Liaison, batch: i64) -> Result<usize> {
    let now = core.now_ms();
    for c in store::reviews::reminders_due(core.db.pool(), now, 20).await? {
        let Some(at) = c.remind_at else { continue };
        let mut tx = core.db.begin().await?;
        if store::reviews::take_reminder(&mut *tx, &c.id, at).await? {
            mail_pending(core, &mut tx, &c, Mail::Reminder).await?;
        }
        tx.commit().await?;
    }
    let mut decided = 0usize;
    for c in store::reviews::due(core.db.pool(), now, 20).await? {
        let left = batch - decided as i64;
        if left <= 0 {
            break;
        }
        decided += apply_default(core, &c, left).await?;
        if store::reviews::pending_shares(core.db.pool(), &c.id, 1)
            .await?
            .is_empty()
        {
            close(core, &c).await?;
        }
    }
    Ok(decided)
}

/// Gives up to `limit` undecided shares the campaign's default action.
async fn apply_default(core: &Liaison, c: &CampaignRow, limit: i64) -> Result<usize> {
    let meta = RequestMeta::default();
    let now = core.now_ms();
    match DefaultAction::parse(&c.default_action) {
        // Keeping changes no share: one statement, counted in `review.closed`.
        Some(DefaultAction::Keep) => {
            let mut tx = core.db.begin().await?;
            let n = store::reviews::keep_pending(&mut *tx, &c.id, DEFAULT_REASON, now).await?;
            tx.commit().await?;
            Ok(n as usize)
        }
        Some(DefaultAction::Revoke) => {
            let mut n = 0;
            for share_id in store::reviews::pending_shares(core.db.pool(), &c.id, limit).await? {
                let mut tx = core.db.begin().await?;
                if !store::reviews::decide(
                    &mut *tx,
                    &c.id,
                    &share_id,
                    ReviewDecision::Revoke.as_str(),
                    DEFAULT_REASON,
                    None,
                    now,
                )
                .await?
                {
                    continue;
                }
                let why = format!("access review \"{}\": {DEFAULT_REASON}", c.name);
                let revoked = revoke_in(
                    core,
                    &mut tx,
                    &c.org_id,
                    Revoker::System,
                    &share_id,
                    &meta,
                    &why,
                )
                .await?;
                let document = store::shares::get(&mut *tx, &c.org_id, &share_id)
                    .await?
                    .map(|s| s.document_id);
                audit::record(
                    &mut tx,
                    NewEvent {
                        org_id: &c.org_id,
                        event_type: EventType::ReviewDecided,
                        actor: AuditActor::System,
                        share_id: Some(&share_id),
                        item_id: document.as_deref(),
                        details: json!({
                            "campaign": c.id,
                            "name": c.name,
                            "decision": ReviewDecision::Revoke,
                            "reason": DEFAULT_REASON,
                            "auto": true,
                        }),
                        meta: &meta,
                        at_ms: now,
                    },
                )
                .await?;
                tx.commit().await?;
                if let Some(r) = revoked {
                    core.revocations.publish(r);
                }
                n += 1;
            }
            Ok(n)
        }
        None => Err(ServiceError::fault(format!(
            "campaign {}: unknown default action",
            c.id
        ))),
    }
}

/// Closes a campaign with its outcome, and starts the next run of a recurring one.
async fn close(core: &Liaison, c: &CampaignRow) -> Result<()> {
    let meta = RequestMeta::default();
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::reviews::close(&mut *tx, &c.org_id, &c.id, now).await? {
        return Ok(());
    }
    let mut outcome = serde_json::Map::new();
    for (decision, auto, n) in store::reviews::outcome(&mut *tx, &c.id).await? {
        let key = if auto == 1 {
            format!("{decision}_by_default")
        } else {
            decision
        };
        outcome.insert(key, n.into());
    }
    let recurrence = Recurrence::parse(&c.recurrence).unwrap_or(Recurrence::Once);
    let next = match recurrence.next_due(from_millis(c.due_at)) {
        Some(due_at) => {
            let scope = serde_json::from_str(&c.scope).map_err(ServiceError::internal)?;
            let run = NewCampaign {
                name: c.name.clone(),
                scope,
                reviewer_rule: crate::domain::review::ReviewerRule::parse(&c.reviewer_rule)
                    .unwrap_or(crate::domain::review::ReviewerRule::Creator),
                reviewer_id: c.reviewer_id.clone(),
                default_action: DefaultAction::parse(&c.default_action)
                    .unwrap_or(DefaultAction::Keep),
                recurrence,
                // A run that closed late still gets its full period ahead.
                due_at: due_at.max(core.now() + (due_at - from_millis(c.due_at))),
                no_response_days: c.no_response_days,
            };
            let id = store::new_id();
            open_in(
                core,
                &mut tx,
                &c.org_id,
                &c.created_by,
                &id,
                &c.series_id,
                &run,
                AuditActor::System,
                &meta,
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
            actor: AuditActor::System,
            share_id: None,
            item_id: None,
            details: json!({
                "campaign": c.id,
                "name": c.name,
                "shares": c.item_count,
                "outcome": outcome,
                "next": next,
            }),
            meta: &meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a campaign now: its due date becomes now, up to [`END_NOW_BATCH`] undecided shares
/// get the default action at once, and it closes if none is left (the background sweep
/// does the rest within a minute). Returns whether it closed. Administrators only.
#[tracing::instrument(skip_all)]
pub async fn end_now(core: &Liaison, who: &Staff, id: &str) -> Result<bool> {
    authorize(who, Action::ManageReviews)?;
    if !store::reviews::bring_due(core.db.pool(), &who.org_id, id, core.now_ms()).await? {
        return Err(ServiceError::Conflict(
            "this review is closed already".into(),
        ));
    }
    let campaign = store::reviews::get_campaign(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("review"))?
        .campaign;
    apply_default(core, &campaign, END_NOW_BATCH).await?;
    if store::reviews::pending_shares(core.db.pool(), id, 1)
        .await?
        .is_empty()
    {
        close(core, &campaign).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Undecided shares "End now" decides before it answers.
pub const END_NOW_BATCH: i64 = 500;
