//! Attachments streamed into blob storage as they arrive, before the response exists.
//!
//! Invariants: the guest's permission is checked before a byte of the file is read (a
//! view-only or comment-only guest's upload is refused at its first part); a file is
//! never held whole in memory (pieces go straight to a [`crate::blobs::BlobWriter`]); the
//! size cap (`LIAISON_MAX_UPLOAD_BYTES`) stops the transfer the moment it is passed and
//! leaves nothing behind; the type is decided from the content as it streams.

use bytes::Bytes;
use futures::Stream;

use super::super::{uploads, validate, Result, ServiceError};
use crate::actor::Guest;
use crate::blobs::Blobs;
use crate::domain::{Permission, Share};
use crate::store::{self, new_id};
use crate::Liaison;

/// An attachment in blob storage, not yet part of a response: [`super::submit`] adopts it,
/// [`discard`] removes it.
#[derive(Clone, Debug)]
pub struct StagedAttachment {
    pub id: String,
    pub blob_key: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// May this guest respond, and (with `attachments`) attach files? Checked before any of
/// the request body is read. Returns the share as it stands now.
#[tracing::instrument(skip_all)]
pub async fn may_respond(core: &Liaison, guest: &Guest, attachments: bool) -> Result<Share> {
    let share = store::shares::get(core.db.pool(), &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let permission = share.settings.permission;
    if !permission.may_respond() {
        return Err(ServiceError::Forbidden(
            "This share is view-only: responses are not allowed.",
        ));
    }
    if attachments && permission < Permission::Edit {
        return Err(ServiceError::Forbidden(
            "This share does not allow attachments.",
        ));
    }
    // Refused before any upload is read; `take_slot` holds the cap under concurrency.
    if store::responses::taken_slots(core.db.pool(), &guest.org_id, &guest.share_id).await?
        >= super::MAX_RESPONSES_PER_SHARE
    {
        return Err(super::cap_reached());
    }
    Ok(share)
}

/// Streams one attachment into blob storage (see the module's invariants). `pieces` ends
/// with an error to pass on (a 413 from the body limit, a malformed body).
#[tracing::instrument(skip_all)]
pub async fn stage<S>(
    core: &Liaison,
    guest: &Guest,
    file_name: &str,
    pieces: S,
) -> Result<StagedAttachment>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    may_respond(core, guest, true).await?;
    let id = new_id();
    let stored = uploads::store_stream(
        core,
        Blobs::attachment_key(&guest.org_id, &id),
        "attachments",
        "PDF, PNG, JPEG, GIF, WebP or plain-text",
        pieces,
    )
    .await?;
    Ok(StagedAttachment {
        id,
        blob_key: stored.blob_key,
        file_name: validate::file_name(file_name),
        content_type: stored.content_type.to_owned(),
        size_bytes: stored.size_bytes,
        sha256: stored.sha256,
    })
}

/// [`stage`] for bytes already in memory (tests, small API clients).
#[tracing::instrument(skip_all)]
pub async fn stage_bytes(
    core: &Liaison,
    guest: &Guest,
    file_name: &str,
    bytes: Bytes,
) -> Result<StagedAttachment> {
    stage(core, guest, file_name, uploads::once(bytes)).await
}

/// Removes staged attachments a response did not adopt (see
/// [`uploads::remove_unreferenced`]).
#[tracing::instrument(skip_all)]
pub async fn discard(core: &Liaison, staged: &[StagedAttachment]) {
    let keys: Vec<String> = staged.iter().map(|a| a.blob_key.clone()).collect();
    uploads::remove_unreferenced(core, &keys).await;
}
