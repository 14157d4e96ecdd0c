//! Files streamed into blob storage as they arrive (document uploads, response
//! attachments): never held whole in memory, stopped the moment they pass
//! `LIAISON_MAX_UPLOAD_BYTES`, typed by their content as it streams, hashed on the way.
//! A refused file leaves nothing behind.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::{Result, ServiceError};
use crate::domain::content_type::Sniffer;
use crate::Liaison;

/// A file now in blob storage under `blob_key`.
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub blob_key: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub content_type: &'static str,
}

/// Streams `pieces` into a new blob at `blob_key` (see the module's invariants). `field`
/// names the input in errors; `allowed` says which types are accepted, for the message.
/// `pieces` may end with an error to pass on (the body limit's 413, a malformed body).
#[tracing::instrument(skip_all)]
pub async fn store_stream<S>(
    core: &Liaison,
    blob_key: String,
    field: &'static str,
    allowed: &str,
    mut pieces: S,
) -> Result<StoredFile>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    let limit = core.settings.max_upload_bytes;
    let mut writer = core.blobs.writer(&blob_key).await?;
    let mut sniffer = Sniffer::default();
    let mut sha = Sha256::new();
    let mut size = 0usize;
    let streamed = async {
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            size += piece.len();
            if size > limit {
                return Err(ServiceError::PayloadTooLarge { limit });
            }
            sniffer.feed(&piece);
            sha.update(&piece);
            writer.write(&piece).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = streamed {
        writer.abort().await.ok();
        return Err(e);
    }
    if let Err(e) = writer.finish().await {
        // The store may have completed the upload and failed to say so: nothing of it may
        // stay visible, since no row will ever refer to it.
        core.blobs.delete(&blob_key).await.ok();
        return Err(e.into());
    }
    let refused = match sniffer.content_type() {
        _ if size == 0 => Some(ServiceError::invalid(field, "the file is empty")),
        None => Some(ServiceError::UnsupportedMedia(format!(
            "only {allowed} files are accepted"
        ))),
        Some(_) => None,
    };
    if let Some(e) = refused {
        core.blobs.delete(&blob_key).await.ok();
        return Err(e);
    }
    Ok(StoredFile {
        blob_key,
        size_bytes: size as i64,
        sha256: crate::crypto::hex_lower(&sha.finalize()),
        content_type: sniffer.content_type().unwrap_or_default(),
    })
}

/// One piece, for bytes already in memory.
pub fn once(bytes: Bytes) -> impl Stream<Item = Result<Bytes>> + Unpin {
    futures::stream::iter([Ok(bytes)])
}

/// The files one request has streamed into storage, removed unless the request adopted
/// them: on an error, and also when the request is dropped halfway (the client went away
/// between a file and the commit). Removal runs in a spawned task and spares any blob that
/// a committed row refers to, so a commit that landed just before the drop loses nothing.
pub struct StagedFiles {
    core: std::sync::Arc<Liaison>,
    keys: Vec<String>,
}

impl StagedFiles {
    pub fn new(core: std::sync::Arc<Liaison>) -> Self {
        Self {
            core,
            keys: Vec::new(),
        }
    }

    pub fn track(&mut self, blob_key: &str) {
        self.keys.push(blob_key.to_owned());
    }

    /// The request's files are now referenced by committed rows: keep them.
    pub fn adopted(mut self) {
        self.keys.clear();
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.keys);
        let core = self.core.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { remove_unreferenced(&core, &keys).await });
        }
    }
}

/// Removes staged files that no committed row refers to — the one cleanup for every path
/// (a refused upload, a failed commit, a request dropped halfway). A commit that reported
/// an error but did land keeps its files.
#[tracing::instrument(skip_all)]
pub async fn remove_unreferenced(core: &Liaison, blob_keys: &[String]) {
    for key in blob_keys {
        match crate::store::documents::blob_referenced(core.db.pool(), key).await {
            Ok(false) => {
                if let Err(e) = core.blobs.delete(key).await {
                    tracing::warn!(error.detail = %e, "could not remove a staged upload");
                }
            }
            Ok(true) => {}
            Err(e) => tracing::warn!(error.detail = %e, "could not check a staged upload"),
        }
    }
}
