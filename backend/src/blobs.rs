//! Document bytes, through `object_store` (a local folder by default; S3-compatible
//! stores plug in behind the same trait). Keys are built from ids only, never from
//! user-supplied file names, so no upload can traverse paths.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};

#[derive(Debug, thiserror::Error)]
#[error("blob store: {0}")]
pub struct BlobError(#[from] object_store::Error);

#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl Blobs {
    /// A local folder (created if missing).
    pub fn local(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let store = LocalFileSystem::new_with_prefix(root).map_err(std::io::Error::other)?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    pub fn from_store(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    pub fn document_key(org_id: &str, document_id: &str) -> String {
        format!("org/{org_id}/documents/{document_id}")
    }

    pub fn attachment_key(org_id: &str, attachment_id: &str) -> String {
        format!("org/{org_id}/attachments/{attachment_id}")
    }

    /// A portal logo, named by the SHA-256 of its (re-encoded) bytes.
    pub fn logo_key(org_id: &str, sha256: &str) -> String {
        format!("org/{org_id}/logos/{sha256}.webp")
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// A blob written piece by piece, so an upload is never held whole in memory (at most
    /// [`BlobWriter::BUFFER`] per part in flight). Nothing is visible under `key` until
    /// [`BlobWriter::finish`]; [`BlobWriter::abort`] leaves nothing behind.
    pub async fn writer(&self, key: &str) -> Result<BlobWriter, BlobError> {
        let upload = self.store.put_multipart(&ObjectPath::from(key)).await?;
        Ok(BlobWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, BlobWriter::BUFFER),
        })
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        Ok(self
            .store
            .get(&ObjectPath::from(key))
            .await?
            .bytes()
            .await?)
    }

    /// Removes a blob. Idempotent: a blob that is already gone counts as removed (cleanup
    /// paths may race each other, e.g. a failed response and its request's guard).
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// See [`Blobs::writer`].
pub struct BlobWriter {
    inner: WriteMultipart,
}

impl BlobWriter {
    /// Bytes buffered before a part is sent to the store.
    pub const BUFFER: usize = 1024 * 1024;

    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        // At most two parts in flight: memory stays bounded whatever the upload's size.
        self.inner.wait_for_capacity(2).await?;
        self.inner.write(bytes);
        Ok(())
    }

    pub async fn finish(self) -> Result<(), BlobError> {
        self.inner.finish().await?;
        Ok(())
    }

    pub async fn abort(self) -> Result<(), BlobError> {
        self.inner.abort().await?;
        Ok(())
    }
}
