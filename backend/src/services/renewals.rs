//! Renewal requests: a guest whose share expired or used up its opens asks for more time
//! from the denial page; the share's owner (or an administrator) approves — the same link
//! works again and the guest is mailed — or declines. Audited both ways.
//!
//! Invariants: the request proves the whole link (PBKDF2 under the share's and the
//! address's attempt limits), so knowing a selector is not enough; a share has at most one
//! open request (a unique index) and at most [`MAX_PER_SHARE`] in all; approving and the
//! share's change commit together, so a request is never "approved" on a share that did
//! not change. Revoking the share, or changing it so that it opens again, closes its open
//! request.

use serde::Serialize;
use serde_json::json;

use super::notify::Renewal;
use super::share_core::{self, proven_token};
use super::shares::{self, Expiry, ShareChange};
use super::{authorize, on_unique, rfc3339, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::{Action, Denial, RenewalStatus};
use crate::store::{self, from_millis, renewals::RenewalListRow, Tx};
use crate::Liaison;

/// Longest reason a guest may give, in characters.
pub const MAX_REASON_CHARS: usize = 1000;
/// Longest note staff may send with a decision, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;
/// Requests one share may have in all: enough to ask again after a decline, not enough to
/// fill an owner's mailbox.
pub const MAX_PER_SHARE: i64 = 3;
/// Decided requests the console lists below the open ones.
const DECIDED_SHOWN: i64 = 50;

/// A renewal request as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenewalView {
    pub id: String,
    pub share_id: String,
    pub status: RenewalStatus,
    pub reason: String,
    /// RFC 3339.
    pub requested_at: String,
    pub decided_at: Option<String>,
    /// Who decided (absent while open, and for a request the share's revocation closed).
    pub decided_by: Option<String>,
    pub decision_note: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub document_title: String,
    pub owner_name: String,
    /// Whether the caller may approve or decline it (the role matrix on the share).
    pub may_decide: bool,
}

fn view(who: &Staff, r: RenewalListRow) -> RenewalView {
    let may_decide = r.request.status == RenewalStatus::Open.as_str()
        && shares::authorize_manage(who, &r.share_created_by).is_ok();
    RenewalView {
        id: r.request.id,
        share_id: r.request.share_id,
        status: RenewalStatus::parse(&r.request.status).unwrap_or(RenewalStatus::Closed),
        reason: r.request.reason,
        requested_at: rfc3339(from_millis(r.request.requested_at)),
        decided_at: r.request.decided_at.map(|t| rfc3339(from_millis(t))),
        decided_by: r.decided_by_name,
        decision_note: r.request.decision_note,
        recipient_name: r.recipient_name,
        recipient_email: r.recipient_email,
        document_title: r.document_title,
        owner_name: r.owner_name,
        may_decide,
    }
}

/// Text from a form field: trimmed, required or not, at most `max` characters.
fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<String> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(ServiceError::Invalid {
            field,
            message: "say why you need more time".into(),
        });
    }
    if value.chars().count() > max {
        return Err(ServiceError::Invalid {
            field,
            message: format!("at most {max} characters"),
        });
    }
    Ok(value.to_owned())
}

/// A guest asks for more time on the share its link names. Only a share that expired or
/// used up its opens may be asked about, and only from where it would open; any other
/// denial (revoked, outside its networks) answers as an open would.
#[tracing::instrument(skip_all)]
pub async fn request(
    core: &Liaison,
    token_text: &str,
    reason: &str,
    meta: &RequestMeta,
) -> Result<()> {
    let reason = text("reason", reason, MAX_REASON_CHARS, true)?;
    let share = proven_token(core, token_text, meta).await?;
    match share.check_new_open(core.now()) {
        Err(Denial::Expired | Denial::AccessCountExceeded) => {}
        Err(denial) => return Err(share_core::deny(core, &share, denial, meta).await),
        Ok(()) => {
            return Err(ServiceError::Conflict(
                "this link still opens; reload the page to continue".into(),
            ))
        }
    }
    // Only from where the link would open: the policy as it is now, the network, the
    // country and (for a portal share) the membership.
    if let Err(denial) = share_core::check_policy_and_place(core, &share, meta).await {
        return Err(share_core::deny(core, &share, denial, meta).await);
    }
    if store::renewals::count_for_share(core.db.pool(), &share.org_id, &share.id).await?
        >= MAX_PER_SHARE
    {
        return Err(ServiceError::TooMany {
            message: "this share has been asked about too often; contact the person who shared it",
            retry_after_secs: None,
        });
    }
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let inserted = store::renewals::insert(
        &mut *tx,
        &store::renewals::RenewalRow {
            id: store::new_id(),
            org_id: share.org_id.clone(),
            share_id: share.id.clone(),
            reason: reason.clone(),
            status: RenewalStatus::Open.as_str().into(),
            requested_at: now,
            requested_ip: meta.ip.map(|ip| ip.to_string()),
            decided_at: None,
            decided_by: None,
            decision_note: String::new(),
        },
    )
    .await
    .map_err(on_unique(|| {
        "your request for more time is already waiting for the sender's answer".into()
    }))?;
    if !inserted {
        // Revoked since it was read.
        drop(tx);
        return Err(share_core::deny(core, &share, Denial::Revoked, meta).await);
    }
    super::notify::renewal_requested(core, &mut tx, &share, &reason).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &share.org_id,
            event_type: EventType::RenewalRequested,
            actor: AuditActor::LinkHolder {
                recipient_name: &share.recipient_name,
            },
            share_id: Some(&share.id),
            item_id: Some(share.item_id()),
            details: json!({ "reason": reason }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The organisation's requests: every open one (oldest first), then the latest decided.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<RenewalView>> {
    authorize(who, Action::ViewShares)?;
    let rows = store::renewals::list(core.db.pool(), &who.org_id, DECIDED_SHOWN).await?;
    Ok(rows.into_iter().map(|r| view(who, r)).collect())
}

/// A share's requests: the open one first, then the rest newest first.
#[tracing::instrument(skip_all)]
pub async fn for_share(core: &Liaison, who: &Staff, share_id: &str) -> Result<Vec<RenewalView>> {
    authorize(who, Action::ViewShares)?;
    let rows = store::renewals::for_share(core.db.pool(), &who.org_id, share_id).await?;
    Ok(rows.into_iter().map(|r| view(who, r)).collect())
}

/// Open requests the caller may decide: all of them for a role that manages any share,
/// those on one's own shares otherwise; `None` for a role that manages no share.
pub async fn open_count(core: &Liaison, who: &Staff) -> Result<Option<i64>> {
    if authorize(who, Action::ManageOwnShare).is_err() {
        return Ok(None);
    }
    let owner = authorize(who, Action::ManageAnyShare)
        .is_err()
        .then_some(who.user_id.as_str());
    Ok(Some(
        store::renewals::count_open(core.db.pool(), &who.org_id, owner).await?,
    ))
}

/// What staff grant: a new expiry, a new access limit, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    pub expiry: Option<Expiry>,
    /// 0 = unlimited.
    pub max_access_count: Option<i64>,
    /// Sent to the guest with the good news.
    pub note: String,
}

async fn open_request(
    core: &Liaison,
    who: &Staff,
    id: &str,
) -> Result<store::renewals::RenewalRow> {
    let r = store::renewals::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("renewal request"))?;
    if r.status != RenewalStatus::Open.as_str() {
        return Err(ServiceError::Conflict(format!(
            "this request is already {}",
            r.status
        )));
    }
    Ok(r)
}

/// Grants an open request: changes the share as [`shares::change`] would (the policy, the
/// role matrix), which must open it again; marks the request approved; mails the guest
/// the same link. One transaction.
#[tracing::instrument(skip_all)]
pub async fn approve(
    core: &Liaison,
    who: &Staff,
    id: &str,
    grant: Grant,
    meta: &RequestMeta,
) -> Result<RenewalView> {
    authorize(who, Action::ManageOwnShare)?;
    let note = text("note", &grant.note, MAX_NOTE_CHARS, false)?;
    let request = open_request(core, who, id).await?;
    let planned = shares::plan(
        core,
        who,
        &request.share_id,
        ShareChange {
            expiry: grant.expiry,
            max_access_count: grant.max_access_count,
            ..ShareChange::default()
        },
    )
    .await?
    .filter(|p| p.reopens())
    .ok_or(ServiceError::Invalid {
        field: "expiry",
        message: "the share would still not open: choose a later expiry or more opens".into(),
    })?;
    // The guest holds the link already (they asked from it). It is mailed again only for a
    // share that proves who opens it; a bare link share may have been handed over by
    // other means on purpose, so its link is not put in a mail it never went by.
    let url = if planned.share.method.verifies_identity() {
        Some(share_core::share_link(core, &who.org_id, &request.share_id).await?)
    } else {
        None
    };
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    claim(&mut tx, who, id, RenewalStatus::Approved, &note, now).await?;
    shares::apply(core, &mut tx, who, &planned, meta).await?;
    let share = store::shares::get(&mut *tx, &who.org_id, &request.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    super::notify::renewal_decided(
        core,
        &mut tx,
        &share,
        Renewal::Approved(url.as_ref()),
        &note,
    )
    .await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::RenewalApproved,
            actor: AuditActor::Staff(who),
            share_id: Some(&share.id),
            item_id: Some(share.item_id()),
            details: json!({
                "request": id,
                "expires_at": share.expires_at.map(rfc3339),
                "max_access_count": share.max_access_count,
                "note": note,
                "link_mailed": url.is_some(),
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    core.revocations.shares().forget(&request.share_id);
    decided(core, who, &request.share_id, id).await
}

/// Declines an open request and mails the guest, with `note` if any.
#[tracing::instrument(skip_all)]
pub async fn decline(
    core: &Liaison,
    who: &Staff,
    id: &str,
    note: &str,
    meta: &RequestMeta,
) -> Result<RenewalView> {
    authorize(who, Action::ManageOwnShare)?;
    let note = text("note", note, MAX_NOTE_CHARS, false)?;
    let request = open_request(core, who, id).await?;
    let share = store::shares::get(core.db.pool(), &who.org_id, &request.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    shares::authorize_manage(who, &share.created_by)?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    claim(&mut tx, who, id, RenewalStatus::Declined, &note, now).await?;
    super::notify::renewal_decided(core, &mut tx, &share, Renewal::Declined, &note).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::RenewalDeclined,
            actor: AuditActor::Staff(who),
            share_id: Some(&share.id),
            item_id: Some(share.item_id()),
            details: json!({ "request": id, "note": note }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    decided(core, who, &request.share_id, id).await
}

/// Marks open request `id` decided in `tx`; one decided meanwhile is a conflict.
async fn claim(
    tx: &mut Tx,
    who: &Staff,
    id: &str,
    status: RenewalStatus,
    note: &str,
    now: i64,
) -> Result<()> {
    let open = store::renewals::decide(
        &mut **tx,
        &who.org_id,
        id,
        status.as_str(),
        &who.user_id,
        note,
        now,
    )
    .await?;
    if !open {
        return Err(ServiceError::Conflict(
            "this request was decided meanwhile".into(),
        ));
    }
    Ok(())
}

async fn decided(core: &Liaison, who: &Staff, share_id: &str, id: &str) -> Result<RenewalView> {
    for_share(core, who, share_id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(ServiceError::NotFound("renewal request"))
}
