//! Changing a live share: expiry, access limit, permissions, under the rules of creation.

use serde_json::json;
use time::OffsetDateTime;

use super::create::{resolve_expiry, resolve_max_access_count};
use super::view::get;
use super::{remind_at, Expiry, ShareView};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::policy::ShareFacts;
use crate::domain::{RenewalStatus, Share, ShareSettings};
use crate::services::{policy, rfc3339, Result, ServiceError};
use crate::store::{self, to_millis};
use crate::Liaison;

/// A change to a live share: extend or shorten it, change its access limit or what the
/// recipient may do. `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShareChange {
    pub expiry: Option<Expiry>,
    /// 0 = unlimited; a limit at or below the accesses already used ends the share.
    pub max_access_count: Option<i64>,
    pub permission: Option<crate::domain::Permission>,
    pub allow_download: Option<bool>,
    pub allow_print: Option<bool>,
    pub watermark: Option<bool>,
}

/// Changes a share that is not revoked (an expired one may be extended, which makes it
/// active again). Every rule of creation applies, with the policy as it is now: the
/// expiry ceiling counts from the share's creation, controllers change expiry and limit
/// only where the policy lets them, and the TLP rules hold (TLP:RED: no download, always a
/// watermark). Audited with before and after; the next request sees the change.
#[tracing::instrument(skip_all)]
pub async fn change(
    core: &Liaison,
    who: &Staff,
    id: &str,
    change: ShareChange,
    meta: &RequestMeta,
) -> Result<ShareView> {
    let Some(planned) = plan(core, who, id, change).await? else {
        return get(core, who, id).await;
    };
    let mut tx = core.db.begin().await?;
    apply(core, &mut tx, who, &planned, meta).await?;
    tx.commit().await?;
    // This node's portal reads see the change on their next request.
    core.revocations.shares().forget(id);
    get(core, who, id).await
}

/// A change checked against the role matrix and the policy, ready to write.
#[derive(Debug)]
pub(crate) struct PlannedChange {
    pub share: Share,
    /// The share's limits and settings as the plan read them.
    was: store::shares::Stored,
    limits: store::shares::Limits,
    details: serde_json::Value,
}

impl PlannedChange {
    /// Whether the share opens again once the change is written.
    pub fn reopens(&self) -> bool {
        self.limits.active
    }

    /// Whether the change moves the expiry later.
    pub fn lengthens(&self) -> bool {
        self.share
            .expires_at
            .is_some_and(|before| to_millis(before) < self.limits.expires_at)
    }
}

/// Checks `change` to share `id` as [`change`] does, writing nothing. `None`: the change
/// changes nothing.
pub(crate) async fn plan(
    core: &Liaison,
    who: &Staff,
    id: &str,
    change: ShareChange,
) -> Result<Option<PlannedChange>> {
    crate::services::authorize(who, crate::domain::Action::ManageOwnShare)?;
    let (share, was) = store::shares::get_for_change(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    super::authorize_manage(who, &share.created_by)?;
    if share.revoked_at.is_some() {
        return Err(ServiceError::Conflict(
            "a revoked share cannot be changed; share the item again instead".into(),
        ));
    }
    // Every share lists its documents (creation writes them; older shares were backfilled
    // by the packages migration); the first document's policy sets the defaults, and every
    // covered document's policy must allow the result.
    // A record share is bound by its record's policy.
    let mut policies = Vec::new();
    if let Some(record) = &share.record_id {
        policies = policy::effective_for_record_share(core, &who.org_id, record).await?;
    }
    let mut covered = store::packages::share_documents(core.db.pool(), &who.org_id, id).await?;
    if covered.is_empty() {
        covered.extend(share.document_id.clone());
    }
    for doc in &covered {
        policies.push(policy::effective_for_document(core, &who.org_id, doc).await?);
    }
    let policy = &policies[0];
    let may_override = policy.lets_override(who.role);
    let now = core.now();
    let expires_at = match change.expiry {
        Some(e) => resolve_expiry(policy, may_override, e, now)?,
        None => share
            .expires_at
            .ok_or_else(|| ServiceError::fault(format!("share {id} has no expiry date")))?,
    };
    let max_access_count = resolve_max_access_count(
        may_override,
        change.max_access_count,
        share.max_access_count,
    )?;
    let mut settings = share.settings.clone();
    if let Some(p) = change.permission {
        settings.permission = p;
    }
    if let Some(v) = change.allow_download {
        settings.allow_download = v;
    }
    if let Some(v) = change.allow_print {
        settings.allow_print = v;
    }
    if let Some(v) = change.watermark {
        settings.watermark = v;
    }
    let expires_at_ms = to_millis(expires_at);
    let facts = ShareFacts {
        method: share.method,
        scope: settings.scope,
        tlp: share.tlp,
        allow_download: settings.allow_download,
        watermark: settings.watermark,
        created_at_ms: to_millis(share.created_at),
        expires_at_ms: Some(expires_at_ms),
    };
    for p in &policies {
        p.check(&facts)?;
    }
    let expiry_moved = share.expires_at != Some(expires_at);
    if !expiry_moved && max_access_count == share.max_access_count && settings == share.settings {
        return Ok(None);
    }
    let limits = store::shares::Limits {
        expires_at: expires_at_ms,
        max_access_count,
        settings: serde_json::to_string(&settings).map_err(ServiceError::internal)?,
        remind_at: remind_at(expires_at_ms, settings.expiry_reminder_days),
        reset_reminder: expiry_moved,
        active: expires_at > now
            && (max_access_count == 0 || share.access_count < max_access_count),
    };
    let summary = |expires_at: Option<OffsetDateTime>, max: i64, s: &ShareSettings| {
        json!({
            "expires_at": expires_at.map(rfc3339),
            "max_access_count": max,
            "permission": s.permission,
            "allow_download": s.allow_download,
            "allow_print": s.allow_print,
            "watermark": s.watermark,
        })
    };
    let details = json!({
        "before": summary(share.expires_at, share.max_access_count, &share.settings),
        "after": summary(Some(expires_at), max_access_count, &settings),
    });
    Ok(Some(PlannedChange {
        share,
        was,
        limits,
        details,
    }))
}

/// Writes a planned change inside `tx` with its `share.changed` event. A change that opens
/// the share again settles its open renewal request (the guest has their time). Callers
/// forget the share in this node's cache once `tx` has committed.
pub(crate) async fn apply(
    core: &Liaison,
    tx: &mut store::Tx,
    who: &Staff,
    planned: &PlannedChange,
    meta: &RequestMeta,
) -> Result<()> {
    let share = &planned.share;
    let written = store::shares::change_limits(
        &mut **tx,
        &who.org_id,
        &share.id,
        &planned.was,
        &planned.limits,
    )
    .await?;
    if !written {
        return Err(ServiceError::Conflict(
            "the share was revoked or changed meanwhile; reload it and try again".into(),
        ));
    }
    let now = core.now_ms();
    if planned.reopens() {
        store::renewals::close_open_for_share(
            &mut **tx,
            &who.org_id,
            &share.id,
            RenewalStatus::Closed.as_str(),
            "the share was changed and opens again",
            now,
        )
        .await?;
    }
    audit::record(
        tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::ShareChanged,
            actor: AuditActor::Staff(who),
            share_id: Some(&share.id),
            item_id: Some(share.item_id()),
            details: planned.details.clone(),
            meta,
            at_ms: now,
        },
    )
    .await?;
    Ok(())
}
