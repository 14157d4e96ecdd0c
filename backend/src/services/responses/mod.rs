//! Guest responses: a decision (approve / approve with comments / reject), comment text and
//! attachments, submitted from the portal where the share's permission allows it; the
//! owner is told by mail when the share asks for it.

mod upload;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{rfc3339, Result, ServiceError};
use crate::actor::{Guest, RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::store::{self, from_millis, new_id, responses::AttachmentRow, responses::ResponseRow};
use crate::Liaison;

pub const MAX_ATTACHMENTS: usize = 5;
pub const MAX_COMMENT: usize = 10_000;
/// Responses one share may receive: a guest cannot fill the owner's inbox and storage.
pub const MAX_RESPONSES_PER_SHARE: i64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    ApproveWithComments,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::ApproveWithComments => "approve_with_comments",
            Decision::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Decision::Approve,
            Decision::ApproveWithComments,
            Decision::Reject,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

pub use upload::{discard, may_respond, stage, stage_bytes, StagedAttachment};

fn cap_reached() -> ServiceError {
    ServiceError::TooMany {
        message: "This share has received as many responses as it accepts; contact the sender.",
        retry_after_secs: None,
    }
}

/// A response as submitted; its attachments are already staged ([`stage`]).
#[derive(Clone, Debug)]
pub struct NewResponse {
    pub decision: Decision,
    pub comment: String,
    pub attachments: Vec<StagedAttachment>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ResponseView {
    pub id: String,
    pub decision: Decision,
    pub comment: String,
    pub created_at: String,
    pub attachments: Vec<AttachmentView>,
}

/// Submits a response. Needs the "comment" permission, and "edit" for attachments (each
/// already streamed into storage, capped and typed, by [`stage`]). The response, its
/// attachments' rows, the audit event and the owner's mail commit together; on any
/// refusal the staged attachments are removed.
#[tracing::instrument(skip_all)]
pub async fn submit(
    core: &Liaison,
    guest: &Guest,
    input: NewResponse,
    meta: &RequestMeta,
) -> Result<ResponseView> {
    let staged = input.attachments.clone();
    let result = record(core, guest, input, meta).await;
    if result.is_err() {
        discard(core, &staged).await;
    }
    result
}

async fn record(
    core: &Liaison,
    guest: &Guest,
    input: NewResponse,
    meta: &RequestMeta,
) -> Result<ResponseView> {
    let share = may_respond(core, guest, !input.attachments.is_empty()).await?;
    let comment = input.comment.trim().to_owned();
    if comment.chars().count() > MAX_COMMENT {
        return Err(ServiceError::invalid(
            "comment",
            format!("the comment must be at most {MAX_COMMENT} characters"),
        ));
    }
    if comment.is_empty() && input.decision != Decision::Approve {
        return Err(ServiceError::invalid(
            "comment",
            "say why: this decision needs a comment",
        ));
    }
    if input.attachments.len() > MAX_ATTACHMENTS {
        return Err(ServiceError::invalid(
            "attachments",
            format!("at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    let now = core.now_ms();
    let response_id = new_id();
    let rows: Vec<AttachmentRow> = input
        .attachments
        .into_iter()
        .map(|a| AttachmentRow {
            id: a.id,
            org_id: guest.org_id.clone(),
            response_id: response_id.clone(),
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            blob_key: a.blob_key,
            created_at: now,
        })
        .collect();
    let response = ResponseRow {
        id: response_id,
        org_id: guest.org_id.clone(),
        share_id: guest.share_id.clone(),
        decision: input.decision.as_str().into(),
        comment,
        portal_session: guest.session_id.clone(),
        created_at: now,
    };
    let mut tx = core.db.begin().await?;
    if !store::responses::take_slot(
        &mut *tx,
        &guest.org_id,
        &guest.share_id,
        MAX_RESPONSES_PER_SHARE,
    )
    .await?
    {
        tx.rollback().await?;
        return Err(cap_reached());
    }
    store::responses::insert(&mut *tx, &response).await?;
    for row in &rows {
        store::responses::insert_attachment(&mut *tx, row).await?;
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &guest.org_id,
            event_type: EventType::ResponseSubmitted,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(share.item_id()),
            details: json!({
                "response": response.id,
                "decision": response.decision,
                "comment": response.comment,
                "attachments": rows.iter().map(|r| json!({ "name": r.file_name, "sha256": r.sha256, "size_bytes": r.size_bytes })).collect::<Vec<_>>(),
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    if share.settings.notify_owner_on_response {
        super::notify::owner_response(core, &mut tx, &share, input.decision.as_str()).await?;
    }
    tx.commit().await?;
    Ok(view(response, rows))
}

fn view(r: ResponseRow, attachments: Vec<AttachmentRow>) -> ResponseView {
    ResponseView {
        decision: Decision::parse(&r.decision).unwrap_or(Decision::Reject),
        comment: r.comment,
        created_at: rfc3339(from_millis(r.created_at)),
        attachments: attachments
            .into_iter()
            .map(|a| AttachmentView {
                id: a.id,
                file_name: a.file_name,
                content_type: a.content_type,
                size_bytes: a.size_bytes,
                sha256: a.sha256,
            })
            .collect(),
        id: r.id,
    }
}

/// A share's responses (staff who may see the share).
#[tracing::instrument(skip_all)]
pub async fn for_share(core: &Liaison, who: &Staff, share_id: &str) -> Result<Vec<ResponseView>> {
    super::shares::get(core, who, share_id).await?;
    let mut out = Vec::new();
    for r in store::responses::for_share(core.db.pool(), &who.org_id, share_id).await? {
        let attachments = store::responses::attachments(core.db.pool(), &who.org_id, &r.id).await?;
        out.push(view(r, attachments));
    }
    Ok(out)
}

/// A file a guest attached to a response on the share `share_id`, for staff who may see
/// the share: its description and bytes. Audited `share.attachment_downloaded`.
#[tracing::instrument(skip_all)]
pub async fn attachment(
    core: &Liaison,
    who: &Staff,
    share_id: &str,
    id: &str,
    meta: &RequestMeta,
) -> Result<(AttachmentView, bytes::Bytes)> {
    super::shares::get(core, who, share_id).await?;
    // The event is about the share's (first) document, as the response's own event is.
    let item_id = store::shares::get(core.db.pool(), &who.org_id, share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?
        .item_id()
        .to_owned();
    let a = store::responses::attachment(core.db.pool(), &who.org_id, share_id, id)
        .await?
        .ok_or(ServiceError::NotFound("attachment"))?;
    let bytes = core.blobs.get(&a.blob_key).await?;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::AttachmentDownloaded,
            actor: AuditActor::Staff(who),
            share_id: Some(share_id),
            item_id: Some(&item_id),
            details: json!({ "attachment": a.id, "response": a.response_id,
                             "file_name": a.file_name, "sha256": a.sha256 }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok((
        AttachmentView {
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
        },
        bytes,
    ))
}

/// The guest's own responses on their share.
#[tracing::instrument(skip_all)]
pub async fn mine(core: &Liaison, guest: &Guest) -> Result<Vec<ResponseView>> {
    let mut out = Vec::new();
    for r in store::responses::for_share(core.db.pool(), &guest.org_id, &guest.share_id).await? {
        let attachments =
            store::responses::attachments(core.db.pool(), &guest.org_id, &r.id).await?;
        out.push(view(r, attachments));
    }
    Ok(out)
}
