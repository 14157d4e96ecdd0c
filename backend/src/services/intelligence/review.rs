//! The five-yearly review of a flagged item (28 CFR 23.20(h)): an administrator retains
//! it for five more years, or purges it. Either decision is kept with its reason and
//! audited. A purge deletes the item's content and files and revokes every share that
//! carries it (its guests lose it on their next request, open pages and sockets
//! included); the dissemination record stays.

use serde::Serialize;
use serde_json::json;

use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::intelligence::{self as intel, IntelItemKind, ReviewDecision};
use crate::domain::Action;
use crate::services::share_core::{revoke_in, Revoker};
use crate::services::{authorize, rfc3339, Result, ServiceError};
use crate::store::{self, from_millis, intelligence::ReviewRow, new_id, to_millis};
use crate::Liaison;

/// A review's reason, trimmed; refused when it says nothing.
pub(super) fn reason(text: &str) -> Result<String> {
    let t = text.trim();
    let n = t.chars().count();
    if n < intel::MIN_REASON_CHARS {
        return Err(ServiceError::invalid(
            "reason",
            format!(
                "say why, in at least {} characters: it is kept with the decision",
                intel::MIN_REASON_CHARS
            ),
        ));
    }
    if n > 2000 {
        return Err(ServiceError::invalid(
            "reason",
            "a reason has at most 2000 characters",
        ));
    }
    Ok(t.to_owned())
}

/// A review's decision as stored (no next review).
fn decision(
    who: &Staff,
    kind: IntelItemKind,
    id: &str,
    decision: ReviewDecision,
    reason: &str,
    at_ms: i64,
) -> ReviewRow {
    ReviewRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        item_kind: kind.as_str().into(),
        item_id: id.to_owned(),
        decision: decision.as_str().into(),
        reason: reason.to_owned(),
        reviewer: who.user_id.clone(),
        decided_at: at_ms,
        next_due: None,
    }
}

/// The live flag on an item, and the item's id as flagged.
async fn live_flag(
    core: &Liaison,
    who: &Staff,
    kind: IntelItemKind,
    id: &str,
) -> Result<(String, store::intelligence::FlagRow)> {
    let (id, _) = super::item(core, &who.org_id, kind, id).await?;
    let flag = store::intelligence::flag(core.db.pool(), &who.org_id, kind.as_str(), &id)
        .await?
        .ok_or(ServiceError::NotFound("criminal intelligence flag"))?;
    if flag.purged_at.is_some() {
        return Err(ServiceError::Conflict(
            "this item was already purged".into(),
        ));
    }
    Ok((id, flag))
}

/// Retains a flagged item: it stays five more years from now, when it is reviewed again.
#[tracing::instrument(skip_all)]
pub async fn retain(
    core: &Liaison,
    who: &Staff,
    kind: IntelItemKind,
    id: &str,
    why: &str,
    meta: &RequestMeta,
) -> Result<super::FlagView> {
    authorize(who, Action::ReviewIntelligence)?;
    let why = reason(why)?;
    let (id, flag) = live_flag(core, who, kind, id).await?;
    let now = core.now();
    let next = to_millis(intel::review_due(now));
    let mut tx = core.db.begin().await?;
    if !store::intelligence::set_review_due(
        &mut *tx,
        &who.org_id,
        kind.as_str(),
        &id,
        next,
        to_millis(now),
    )
    .await?
    {
        return Err(ServiceError::Conflict(
            "this item was purged meanwhile".into(),
        ));
    }
    let row = decision(
        who,
        kind,
        &id,
        ReviewDecision::Retained,
        &why,
        to_millis(now),
    );
    let row = ReviewRow {
        next_due: Some(next),
        ..row
    };
    store::intelligence::insert_review(&mut *tx, &row).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::IntelRetained,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: Some(&id),
            details: json!({
                "item": { "kind": kind, "id": id, "title": flag.title },
                "reason": why,
                "was_due": rfc3339(from_millis(flag.review_due)),
                "next_review": rfc3339(from_millis(next)),
            }),
            meta,
            at_ms: to_millis(now),
        },
    )
    .await?;
    tx.commit().await?;
    let row = store::intelligence::flag(core.db.pool(), &who.org_id, kind.as_str(), &id)
        .await?
        .ok_or(ServiceError::NotFound("criminal intelligence flag"))?;
    super::FlagView::of(row, core.now_ms())
}

/// What a purge did.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Purged {
    pub shares_revoked: usize,
    pub files_deleted: usize,
}

/// Purges a flagged item: content and files deleted, every share carrying it revoked, the
/// flag marked purged (so the item is never shared or flagged again); the dissemination
/// record is kept. Of two concurrent purges one does the work, the other is refused.
#[tracing::instrument(skip_all)]
pub async fn purge(
    core: &Liaison,
    who: &Staff,
    kind: IntelItemKind,
    id: &str,
    why: &str,
    meta: &RequestMeta,
) -> Result<Purged> {
    authorize(who, Action::ReviewIntelligence)?;
    let why = reason(why)?;
    let (id, flag) = live_flag(core, who, kind, id).await?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    // Reserve the purge first: a second purge finds the flag no longer live.
    if !store::intelligence::mark_purged(&mut *tx, &who.org_id, kind.as_str(), &id, now).await? {
        return Err(ServiceError::Conflict(
            "this item was already purged".into(),
        ));
    }
    let shares = match kind {
        IntelItemKind::Document => {
            store::intelligence::shares_carrying_document(&mut *tx, &who.org_id, &id).await?
        }
        IntelItemKind::Record => {
            store::intelligence::shares_carrying_record(&mut *tx, &who.org_id, &id).await?
        }
    };
    let mut revoked = Vec::with_capacity(shares.len());
    for share in &shares {
        if let Some(r) = revoke_in(
            core,
            &mut tx,
            &who.org_id,
            Revoker::Staff(who),
            share,
            meta,
            "purged_under_28_cfr_23",
        )
        .await?
        {
            revoked.push(r);
        }
    }
    let files = match kind {
        IntelItemKind::Document => {
            // Its page images hold its content too.
            crate::viewer::cache::forget_family(core, &mut tx, &who.org_id, &id).await?;
            store::intelligence::purge_document(&mut tx, &who.org_id, &id, now).await?
        }
        IntelItemKind::Record => {
            store::intelligence::purge_record(&mut tx, &who.org_id, &id, now).await?;
            Vec::new()
        }
    };
    let row = decision(who, kind, &id, ReviewDecision::Purged, &why, now);
    store::intelligence::insert_review(&mut *tx, &row).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::IntelPurged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: Some(&id),
            details: json!({
                "item": { "kind": kind, "id": id, "title": flag.title },
                "reason": why,
                "shares_revoked": revoked.len(),
                "files_deleted": files.len(),
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    // The files go before the purge commits (an identical upload may share one, so only
    // those nothing else refers to): a file that cannot be deleted fails the purge, which
    // then changes nothing and can be tried again.
    for key in &files {
        if !store::documents::blob_referenced(&mut *tx, key).await? {
            // The store's own words are logged (by the conversion), never shown.
            core.blobs
                .delete(key)
                .await
                .map_err(|e| match ServiceError::from(e) {
                    ServiceError::Unavailable(_) => ServiceError::Unavailable(
                        "A file of the item could not be deleted: the document store is not \
                     answering. The item was not purged; try again."
                            .into(),
                    ),
                    other => other,
                })?;
        }
    }
    tx.commit().await?;
    if kind == IntelItemKind::Document {
        // A page drawn while the purge ran may have been stored after the purge read the
        // cache: swept once more now that the document is gone (`cache::page` drops one
        // stored later still).
        // The purge has committed: a sweep that fails now is logged, not reported as the
        // purge's failure (its pages keep their rows, so eviction still finds them).
        if let Err(e) = sweep_family(core, &who.org_id, &id).await {
            tracing::error!(error.detail = %e, document = %id, "could not sweep a purged document's cached pages");
        }
    }
    let outcome = Purged {
        shares_revoked: revoked.len(),
        files_deleted: files.len(),
    };
    for r in revoked {
        core.revocations.publish(r);
    }
    Ok(outcome)
}

/// The cached pages of purged document family `id`, deleted in a transaction of their own.
async fn sweep_family(core: &crate::Liaison, org_id: &str, id: &str) -> Result<()> {
    let mut sweep = core.db.begin().await?;
    crate::viewer::cache::forget_family(core, &mut sweep, org_id, id).await?;
    sweep.commit().await?;
    Ok(())
}
