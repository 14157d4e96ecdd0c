//! Document bytes, attachments, logos and the page cache, through `object_store`: a local
//! folder by default, or S3-compatible object storage shared by several nodes
//! (`LIAISON_BLOB_URL=s3://bucket/prefix`). Keys are built from ids only, never from
//! user-supplied file names, so no upload can traverse paths.
//!
//! A remote store that does not answer (after a short, bounded retry) is reported as
//! [`BlobError::is_unavailable`], which services turn into a 503 that says nothing was
//! changed; a request is never left waiting minutes on a store that is down.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{
    BackoffConfig, ClientConfigKey, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
};

/// An operation on the blob store failed. Its message holds the store's error whole (not
/// as a `source`, which would print it twice); it is for the log, never for a caller.
#[derive(Debug, thiserror::Error)]
#[error("blob store ({location}): {cause}")]
pub struct BlobError {
    location: Arc<str>,
    remote: bool,
    cause: object_store::Error,
}

impl BlobError {
    /// The store could not be reached or did not answer in time (a remote store's
    /// transport or server failure): asking again later may succeed, and nothing was
    /// changed by this operation. A store that refuses our credentials is not this: that
    /// is a fault to fix, not to wait out.
    pub fn is_unavailable(&self) -> bool {
        use object_store::Error as E;
        self.remote
            && !matches!(
                self.cause,
                E::NotFound { .. }
                    | E::AlreadyExists { .. }
                    | E::Precondition { .. }
                    | E::NotModified { .. }
                    | E::InvalidPath { .. }
                    | E::NotSupported { .. }
                    | E::NotImplemented
                    | E::UnknownConfigurationKey { .. }
                    | E::PermissionDenied { .. }
                    | E::Unauthenticated { .. }
            )
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self.cause, object_store::Error::NotFound { .. })
    }
}

/// `LIAISON_BLOB_URL` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BlobConfigError {
    #[error("LIAISON_BLOB_URL: {0}")]
    Url(String),
    #[error("LIAISON_BLOB_URL: cannot open {url}")]
    Open {
        url: String,
        #[source]
        source: object_store::Error,
    },
    #[error("cannot open the blob folder {path}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// How long a remote store is retried before an operation fails as unavailable.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    /// Retries of one request, in all (transport errors, 5xx, throttling).
    pub retry_for: Duration,
    /// Connecting to the store.
    pub connect: Duration,
    /// One request, from sending to the last byte of the answer.
    pub request: Duration,
}

impl Default for Patience {
    /// A store that is down or refuses connections costs a caller about 10 s of retries;
    /// one that accepts connections but never answers, at most 30 s a request.
    fn default() -> Self {
        Self {
            retry_for: Duration::from_secs(10),
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// Where the blobs live, for errors and the start-up log (never credentials).
    location: Arc<str>,
    remote: bool,
}

impl Blobs {
    /// A local folder (created if missing).
    pub fn local(root: &Path) -> Result<Self, BlobConfigError> {
        let folder = |source| BlobConfigError::Folder {
            path: root.display().to_string(),
            source,
        };
        std::fs::create_dir_all(root).map_err(folder)?;
        let store =
            LocalFileSystem::new_with_prefix(root).map_err(|e| folder(std::io::Error::other(e)))?;
        Ok(Self {
            store: Arc::new(store),
            location: root.display().to_string().into(),
            remote: false,
        })
    }

    /// The store `url` names: `s3://bucket[/prefix]` (endpoint, region and credentials
    /// from the `AWS_*` environment, as the AWS tools read them: `AWS_ENDPOINT_URL`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`…) or
    /// `file:///absolute/folder`. Nothing is contacted yet: see [`Blobs::check`].
    pub fn open(url: &str, patience: Patience) -> Result<Self, BlobConfigError> {
        let parsed = url::Url::parse(url).map_err(|e| {
            BlobConfigError::Url(format!(
                "{e}; expected s3://bucket/prefix or file:///absolute/folder"
            ))
        })?;
        match parsed.scheme() {
            "file" => {
                let path = parsed.to_file_path().map_err(|()| {
                    BlobConfigError::Url("a file:// URL needs an absolute local path".into())
                })?;
                Self::local(&path)
            }
            "s3" => {
                let bucket = parsed.host_str().unwrap_or_default();
                if bucket.is_empty() {
                    return Err(BlobConfigError::Url("s3:// needs a bucket: s3://bucket/prefix".into()));
                }
                if !parsed.username().is_empty() || parsed.password().is_some() {
                    return Err(BlobConfigError::Url(
                        "put credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL"
                            .into(),
                    ));
                }
                let prefix = parsed.path().trim_matches('/').to_owned();
                let location = format!("s3://{bucket}/{prefix}");
                let s3 = s3_store(bucket, patience)
                    .map_err(|source| BlobConfigError::Open {
                        url: location.clone(),
                        source,
                    })?;
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix.as_str()))
                };
                Ok(Self {
                    store,
                    location: location.into(),
                    remote: true,
                })
            }
            other => Err(BlobConfigError::Url(format!(
                "unsupported scheme {other}:; expected s3://bucket/prefix or file:///absolute/folder"
            ))),
        }
    }

    /// Where the blobs live (`s3://bucket/prefix` or a folder), without credentials.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Proves the store answers and the credentials may list it (at start, so a wrong
    /// bucket or key fails the start rather than the first upload).
    pub async fn check(&self) -> Result<(), BlobError> {
        self.store
            .list_with_delimiter(Some(&ObjectPath::from("org")))
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Whether `key` is in the store.
    pub async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        match self.store.head(&self.path(key)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error(e)),
        }
    }

    fn error(&self, cause: object_store::Error) -> BlobError {
        BlobError {
            location: self.location.clone(),
            remote: self.remote,
            cause,
        }
    }

    /// The store path of `key`. An empty key is refused: on a bucket without a prefix it
    /// would name the bucket itself (purged documents keep an empty key).
    fn path(&self, key: &str) -> Result<ObjectPath, BlobError> {
        if key.is_empty() {
            return Err(self.error(object_store::Error::InvalidPath {
                source: object_store::path::Error::EmptySegment {
                    path: String::new(),
                },
            }));
        }
        Ok(ObjectPath::from(key))
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
            .put(&self.path(key)?, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// A blob written piece by piece, so an upload is never held whole in memory (at most
    /// two parts in flight, [`BlobWriter::REMOTE_PART`] or [`BlobWriter::LOCAL_PART`] each). Nothing is visible under `key` until
    /// [`BlobWriter::finish`]; [`BlobWriter::abort`] leaves nothing behind (on S3, a
    /// multipart upload whose abort could not reach the store is invisible and is removed
    /// by the bucket's `AbortIncompleteMultipartUpload` lifecycle rule; see the README).
    pub async fn writer(&self, key: &str) -> Result<BlobWriter, BlobError> {
        let upload = self
            .store
            .put_multipart(&self.path(key)?)
            .await
            .map_err(|e| self.error(e))?;
        let part = if self.remote {
            BlobWriter::REMOTE_PART
        } else {
            BlobWriter::LOCAL_PART
        };
        Ok(BlobWriter {
            inner: Some(WriteMultipart::new_with_chunk_size(upload, part)),
            blobs: self.clone(),
        })
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        let found = self
            .store
            .get(&self.path(key)?)
            .await
            .map_err(|e| self.error(e))?;
        found.bytes().await.map_err(|e| self.error(e))
    }

    /// Removes a blob. Idempotent: a blob that is already gone counts as removed (cleanup
    /// paths may race each other, e.g. a failed response and its request's guard).
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&self.path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }
}

/// An S3 client for `bucket`: the `AWS_*` environment read as `AmazonS3Builder::from_env`
/// reads it (endpoint, region, credentials, TLS), then our timeouts and retries.
fn s3_store(bucket: &str, patience: Patience) -> Result<AmazonS3, object_store::Error> {
    let mut s3 = AmazonS3Builder::new();
    for (key, value) in std::env::vars_os() {
        let (Some(key), Some(value)) = (key.to_str(), value.to_str()) else {
            continue;
        };
        if key.starts_with("AWS_") {
            if let Ok(key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                s3 = s3.with_config(key, value);
            }
        }
    }
    // Ours last: how long a caller may be kept waiting is not the environment's to change.
    let millis = |d: Duration| format!("{}ms", d.as_millis());
    s3.with_config(
        AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
        millis(patience.connect),
    )
    .with_config(
        AmazonS3ConfigKey::Client(ClientConfigKey::Timeout),
        millis(patience.request),
    )
    .with_retry(RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 10,
        retry_timeout: patience.retry_for,
    })
    .with_bucket_name(bucket)
    .build()
}

/// See [`Blobs::writer`]. Dropped unfinished (the request went away halfway), it aborts
/// the upload in the background, so no parts are left in the store.
pub struct BlobWriter {
    /// `None` once finished or aborted.
    inner: Option<WriteMultipart>,
    blobs: Blobs,
}

impl BlobWriter {
    /// Bytes buffered before a part is sent to a remote store: S3's smallest part (every
    /// part but the last must be at least 5 MiB).
    pub const REMOTE_PART: usize = 5 * 1024 * 1024;
    /// The same for a local folder, which has no minimum: less memory per upload.
    pub const LOCAL_PART: usize = 1024 * 1024;

    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        let Self { inner, blobs } = self;
        // `None` only after finish or abort, which take the writer: cannot happen here.
        let upload = inner.as_mut().ok_or_else(|| {
            blobs.error(object_store::Error::Generic {
                store: "Liaison",
                source: "the upload has already ended".into(),
            })
        })?;
        // At most two parts in flight: memory stays bounded whatever the upload's size.
        upload
            .wait_for_capacity(2)
            .await
            .map_err(|e| blobs.error(e))?;
        upload.write(bytes);
        Ok(())
    }

    pub async fn finish(mut self) -> Result<(), BlobError> {
        match self.inner.take() {
            Some(upload) => upload
                .finish()
                .await
                .map(drop)
                .map_err(|e| self.blobs.error(e)),
            None => Ok(()),
        }
    }

    pub async fn abort(mut self) -> Result<(), BlobError> {
        match self.inner.take() {
            Some(upload) => upload.abort().await.map_err(|e| self.blobs.error(e)),
            None => Ok(()),
        }
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let (Some(upload), Ok(runtime)) =
            (self.inner.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move {
                if let Err(e) = upload.abort().await {
                    tracing::warn!(error.detail = %e, "could not abort an unfinished upload");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Blobs, Patience};

    fn refusal(url: &str) -> String {
        Blobs::open(url, Patience::default())
            .err()
            .unwrap_or_else(|| panic!("{url} was accepted"))
            .to_string()
    }

    /// A URL that cannot name a store is refused at start, saying what to write instead;
    /// credentials are never taken from (or echoed back out of) the URL.
    #[test]
    fn a_bad_blob_url_says_what_is_wrong() {
        assert!(refusal("gs://bucket/x").contains("unsupported scheme gs:"));
        assert!(refusal("not a url").contains("expected s3://bucket/prefix"));
        assert!(refusal("s3:///prefix").contains("needs a bucket"));
        let with_key = refusal("s3://AKIA:secretvalue@bucket/prefix");
        assert!(with_key.contains("AWS_ACCESS_KEY_ID"), "{with_key}");
        assert!(!with_key.contains("secretvalue"), "{with_key}");
        for url in ["gs://b", "s3:///p"] {
            assert!(refusal(url).starts_with("LIAISON_BLOB_URL: "), "{url}");
        }
    }

    /// A purged document keeps an empty key: it must never reach the store, where it would
    /// name the whole bucket.
    #[tokio::test]
    async fn an_empty_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local(dir.path()).unwrap();
        assert!(blobs.get("").await.is_err());
        assert!(blobs.delete("").await.is_err());
        assert!(blobs
            .put("", bytes::Bytes::from_static(b"x"))
            .await
            .is_err());
        assert!(blobs.writer("").await.is_err());
    }

    #[test]
    fn s3_and_folder_urls_open_without_contacting_anything() {
        let s3 = Blobs::open("s3://bucket/deep/prefix/", Patience::default()).unwrap();
        assert_eq!(s3.location(), "s3://bucket/deep/prefix");
        let dir = tempfile::tempdir().unwrap();
        let url = url::Url::from_directory_path(dir.path()).unwrap();
        let local = Blobs::open(url.as_str(), Patience::default()).unwrap();
        assert!(!local.remote);
    }
}
