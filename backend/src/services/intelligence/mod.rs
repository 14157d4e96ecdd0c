//! 28 CFR Part 23 for documents and records: flag an item as criminal intelligence (the
//! submitting agency, source reliability and content validity), the review queue, and
//! the review's decisions ([`review`]); a share of a flagged item is screened and its
//! dissemination recorded by [`dissemination`].
//!
//! A document is flagged by family, so every revision is covered. A flag is set by staff
//! who may flag ([`Action::FlagIntelligence`]), reviewed only by administrators
//! ([`Action::ReviewIntelligence`]); a purged item's flag stays, marked purged, so it is
//! never flagged, shared or purged again.

pub(crate) mod clearance;
pub mod dissemination;
pub mod review;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::intelligence::{self as intel, IntelItemKind, Reliability, Validity};
use crate::domain::Action;
use crate::services::{authorize, rfc3339, validate, Result, ServiceError};
use crate::store::{self, from_millis, intelligence::FlagRow, to_millis};
use crate::Liaison;

pub use dissemination::{
    disseminations, export_disseminations, DisseminationFilter, DisseminationFormat,
    DisseminationView,
};
pub use review::{purge, retain, Purged};

/// A flag as the API and the console send it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagInput {
    /// The agency that submitted the information (at most 200 characters).
    pub submitting_agency: String,
    pub reliability: Reliability,
    pub validity: Validity,
    /// When the agency submitted it (RFC 3339); the review falls five years later. Left
    /// out: now, or the date already recorded when changing a flag.
    #[serde(default)]
    pub submitted_at: Option<String>,
}

/// A flag as staff see it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FlagView {
    pub item_kind: IntelItemKind,
    pub item_id: String,
    pub title: String,
    pub submitting_agency: String,
    pub reliability: Reliability,
    pub validity: Validity,
    pub submitted_at: String,
    pub review_due: String,
    pub purged_at: Option<String>,
    /// The review date has passed.
    pub due: bool,
}

impl FlagView {
    fn of(row: FlagRow, now_ms: i64) -> Result<Self> {
        let bad = || {
            ServiceError::internal(std::io::Error::other(
                "a stored intelligence flag has an unknown code",
            ))
        };
        Ok(Self {
            item_kind: IntelItemKind::parse(&row.item_kind).ok_or_else(bad)?,
            reliability: Reliability::parse(&row.reliability).ok_or_else(bad)?,
            validity: Validity::parse(&row.validity).ok_or_else(bad)?,
            due: row.purged_at.is_none() && row.review_due <= now_ms,
            item_id: row.item_id,
            title: row.title,
            submitting_agency: row.submitting_agency,
            submitted_at: rfc3339(from_millis(row.submitted_at)),
            review_due: rfc3339(from_millis(row.review_due)),
            purged_at: row.purged_at.map(|t| rfc3339(from_millis(t))),
        })
    }
}

/// The item a flag is on, found in `org_id`: its id as flagged (a document's family) and
/// its title now.
pub(crate) async fn item(
    core: &Liaison,
    org_id: &str,
    kind: IntelItemKind,
    id: &str,
) -> Result<(String, String)> {
    let pool = core.db.pool();
    match kind {
        IntelItemKind::Document => {
            let d = store::documents::get(pool, org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("document"))?;
            // Revisions come newest first.
            let latest = store::documents::revisions(pool, org_id, &d.family_id)
                .await?
                .into_iter()
                .next()
                .map_or(d.title, |r| r.title);
            Ok((d.family_id, latest))
        }
        IntelItemKind::Record => {
            let r = store::records::get(pool, org_id, id)
                .await?
                .ok_or(ServiceError::NotFound("record"))?;
            Ok((r.id, r.title))
        }
    }
}

/// An item's flag, if it has one (a document by any revision's id).
#[tracing::instrument(skip_all)]
pub async fn flag_of(
    core: &Liaison,
    who: &Staff,
    kind: IntelItemKind,
    id: &str,
) -> Result<Option<FlagView>> {
    authorize(who, Action::ViewIntelligence)?;
    let (id, _) = item(core, &who.org_id, kind, id).await?;
    store::intelligence::flag(core.db.pool(), &who.org_id, kind.as_str(), &id)
        .await?
        .map(|f| FlagView::of(f, core.now_ms()))
        .transpose()
}

/// Flags an item as criminal intelligence, or changes its flags. A purged item is refused.
#[tracing::instrument(skip_all)]
pub async fn set_flag(
    core: &Liaison,
    who: &Staff,
    kind: IntelItemKind,
    id: &str,
    input: FlagInput,
    meta: &RequestMeta,
) -> Result<FlagView> {
    authorize(who, Action::FlagIntelligence)?;
    let agency = validate::text("submitting_agency", &input.submitting_agency, 200)?;
    let (id, title) = item(core, &who.org_id, kind, id).await?;
    let pool = core.db.pool();
    let before = store::intelligence::flag(pool, &who.org_id, kind.as_str(), &id).await?;
    if before.as_ref().is_some_and(|b| b.purged_at.is_some()) {
        return Err(ServiceError::Conflict(
            "this item was purged under 28 CFR Part 23 and cannot be flagged again".into(),
        ));
    }
    let now = core.now();
    let submitted = match input.submitted_at.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => {
            let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    ServiceError::invalid(
                        "submitted_at",
                        "is an RFC 3339 time such as 2026-11-23T10:00:00Z",
                    )
                })?;
            if at > now {
                return Err(ServiceError::invalid(
                    "submitted_at",
                    "the submission date cannot be in the future",
                ));
            }
            at
        }
        _ => before.as_ref().map_or(now, |b| from_millis(b.submitted_at)),
    };
    // A changed submission date moves the review, which is a reviewer's decision: only
    // they change the date of an item already flagged. Otherwise a review that retained
    // the item keeps the date it set.
    let review_due = match &before {
        Some(b) if b.submitted_at == to_millis(submitted) => b.review_due,
        Some(_) if !who.role.permits(Action::ReviewIntelligence) => {
            return Err(ServiceError::invalid(
                "submitted_at",
                "only an administrator changes the submission date of a flagged item \
                 (it sets the review date)",
            ))
        }
        _ => to_millis(intel::review_due(submitted)),
    };
    let row = FlagRow {
        org_id: who.org_id.clone(),
        item_kind: kind.as_str().into(),
        item_id: id.clone(),
        title,
        submitting_agency: agency,
        reliability: input.reliability.as_str().into(),
        validity: input.validity.as_str().into(),
        submitted_at: to_millis(submitted),
        review_due,
        flagged_by: who.user_id.clone(),
        updated_at: to_millis(now),
        purged_at: None,
    };
    let mut tx = core.db.begin().await?;
    if !store::intelligence::upsert_flag(&mut *tx, &row).await? {
        return Err(ServiceError::Conflict(
            "this item was purged under 28 CFR Part 23 and cannot be flagged again".into(),
        ));
    }
    // Open guest sessions and live channels check again: a share not cleared for the item
    // ends now.
    crate::services::partners::recheck_guests(&mut tx, &who.org_id);
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::IntelFlagged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: Some(&id),
            details: json!({
                "item": { "kind": kind, "id": id, "title": row.title },
                "submitting_agency": row.submitting_agency,
                "reliability": row.reliability,
                "validity": row.validity,
                "submitted_at": rfc3339(submitted),
                "review_due": rfc3339(from_millis(review_due)),
                "before": before.as_ref().map(|b| json!({
                    "submitting_agency": b.submitting_agency,
                    "reliability": b.reliability,
                    "validity": b.validity,
                })),
            }),
            meta,
            at_ms: to_millis(now),
        },
    )
    .await?;
    tx.commit().await?;
    FlagView::of(row, core.now_ms())
}

/// Takes an item's flag off (it was flagged in error), with the reason. A purged item's
/// flag stays.
#[tracing::instrument(skip_all)]
pub async fn remove_flag(
    core: &Liaison,
    who: &Staff,
    kind: IntelItemKind,
    id: &str,
    reason: &str,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, Action::ReviewIntelligence)?;
    let reason = review::reason(reason)?;
    let (id, title) = item(core, &who.org_id, kind, id).await?;
    let mut tx = core.db.begin().await?;
    if !store::intelligence::remove_flag(&mut *tx, &who.org_id, kind.as_str(), &id).await? {
        return Err(ServiceError::NotFound("criminal intelligence flag"));
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::IntelUnflagged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: Some(&id),
            details: json!({
                "item": { "kind": kind, "id": id, "title": title },
                "reason": reason,
            }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Most flags one read of the queue returns.
pub const QUEUE_PAGE: usize = 1000;

/// The review queue: the soonest reviews first.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FlagQueue {
    /// At most [`QUEUE_PAGE`].
    pub items: Vec<FlagView>,
    /// Later reviews follow: deciding these (or a narrower window) shows them.
    pub more: bool,
}

/// The flagged items, the soonest review first: all that are live, or (`due_within_days`)
/// those due for review within that many days (0: due now).
#[tracing::instrument(skip_all)]
pub async fn queue(core: &Liaison, who: &Staff, due_within_days: Option<i64>) -> Result<FlagQueue> {
    authorize(who, Action::ViewIntelligence)?;
    let now = core.now_ms();
    let due_by = due_within_days
        .map(|d| {
            if (0..=3650).contains(&d) {
                Ok(now + d * 86_400_000)
            } else {
                Err(ServiceError::invalid(
                    "due_within_days",
                    "name between 0 and 3650 days",
                ))
            }
        })
        .transpose()?;
    let mut rows =
        store::intelligence::flags(core.db.pool(), &who.org_id, due_by, QUEUE_PAGE + 1).await?;
    let more = rows.len() > QUEUE_PAGE;
    rows.truncate(QUEUE_PAGE);
    Ok(FlagQueue {
        items: rows
            .into_iter()
            .map(|f| FlagView::of(f, now))
            .collect::<Result<_>>()?,
        more,
    })
}
