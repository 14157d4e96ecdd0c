//! A reviewer's decision on one share: keep, extend (within the policy) or revoke, with a
//! reason. The decision, its effect on the share and `review.decided` commit together.

use serde_json::json;

use super::super::share_core::{revoke_in, Revoker};
use super::super::shares::{self, Expiry, ShareChange};
use super::super::{authorize, Result, ServiceError};
use super::reviewers::keys_of;
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::review::{CampaignStatus, ReviewDecision};
use crate::domain::Action;
use crate::store;
use crate::Liaison;

/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// What a reviewer decides for one share.
#[derive(Clone, Debug)]
pub struct Decision {
    pub decision: ReviewDecision,
    /// Required to revoke; kept with the decision and in the audit log.
    pub reason: String,
    /// How much more time, for `Extend`.
    pub extend: Option<Expiry>,
}

/// Decides share `share_id` of an open campaign. The share's reviewer decides (an
/// administrator may decide any); extending follows the rules of changing a share (the
/// policy; controllers change only their own shares), revoking those of revocation.
#[tracing::instrument(skip_all)]
pub async fn decide(
    core: &Liaison,
    who: &Staff,
    campaign_id: &str,
    share_id: &str,
    d: Decision,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, Action::ReviewShares)?;
    let reason = d.reason.trim().to_owned();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ServiceError::Invalid {
            field: "reason",
            message: format!("at most {MAX_REASON_CHARS} characters"),
        });
    }
    if d.decision == ReviewDecision::Revoke && reason.is_empty() {
        return Err(ServiceError::Invalid {
            field: "reason",
            message: "say why the share is revoked".into(),
        });
    }
    let pool = core.db.pool();
    let campaign = store::reviews::get_campaign(pool, &who.org_id, campaign_id)
        .await?
        .ok_or(ServiceError::NotFound("review"))?
        .campaign;
    if campaign.status != CampaignStatus::Open.as_str() {
        return Err(ServiceError::Conflict("this review is closed".into()));
    }
    if campaign.due_at <= core.now_ms() {
        return Err(ServiceError::Conflict(
            "this review is past its due date: undecided shares get its default action".into(),
        ));
    }
    let item = store::reviews::item(pool, &who.org_id, campaign_id, share_id)
        .await?
        .ok_or(ServiceError::NotFound("share under review"))?;
    let admin = authorize(who, Action::ManageReviews).is_ok();
    if !admin && !keys_of(core, who).await?.contains(&item.reviewer) {
        return Err(ServiceError::Forbidden(
            "This share is in another reviewer's queue.",
        ));
    }
    if item.pending == 0 {
        return Err(ServiceError::Conflict(
            "this share has been decided already".into(),
        ));
    }
    let planned = match d.decision {
        ReviewDecision::Extend => {
            let expiry = d.extend.ok_or(ServiceError::Invalid {
                field: "extend",
                message: "choose how much more time".into(),
            })?;
            let change = ShareChange {
                expiry: Some(expiry),
                ..ShareChange::default()
            };
            let planned = shares::plan(core, who, share_id, change).await?;
            if !planned.as_ref().is_some_and(|p| p.lengthens()) {
                return Err(ServiceError::Invalid {
                    field: "extend",
                    message: "the share already runs at least that long; keep it instead".into(),
                });
            }
            planned
        }
        ReviewDecision::Revoke => {
            authorize(who, Action::RevokeAnyShare)?;
            None
        }
        ReviewDecision::Keep => None,
    };
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::reviews::decide(
        &mut tx,
        &who.org_id,
        campaign_id,
        share_id,
        d.decision.as_str(),
        &reason,
        Some(&who.user_id),
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict(
            "this share was decided meanwhile".into(),
        ));
    }
    let mut revoked = None;
    match d.decision {
        ReviewDecision::Extend => {
            if let Some(p) = &planned {
                shares::apply(core, &mut tx, who, p, meta).await?;
            }
        }
        ReviewDecision::Revoke => {
            let why = format!("access review \"{}\": {reason}", campaign.name);
            revoked = revoke_in(
                core,
                &mut tx,
                &who.org_id,
                Revoker::Staff(who),
                share_id,
                meta,
                &why,
            )
            .await?;
        }
        ReviewDecision::Keep => {}
    }
    let document = store::shares::get(&mut *tx, &who.org_id, share_id)
        .await?
        .map(|s| s.item_id().to_owned());
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::ReviewDecided,
            actor: AuditActor::Staff(who),
            share_id: Some(share_id),
            item_id: document.as_deref(),
            details: json!({
                "campaign": campaign_id,
                "name": campaign.name,
                "decision": d.decision,
                "reason": reason,
                "auto": false,
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
    if planned.is_some() {
        core.revocations.shares().forget(share_id);
    }
    Ok(())
}
