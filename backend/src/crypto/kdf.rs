//! PBKDF2-HMAC-SHA-256 (RFC 8018) for share tokens, passwords and one-time codes.
//!
//! Hashing is CPU-bound and deliberately slow, so it never runs on the async runtime:
//! each computation takes a permit from a bounded semaphore and runs on a blocking
//! thread. With `permits` < cores, cheap requests keep a core even while a flood of
//! link opens saturates hashing.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};
use tokio::sync::Semaphore;

use super::constant_time_eq;

/// The floor set by policy (OWASP 2023 for PBKDF2-HMAC-SHA-256). Never lowered, not even in tests.
pub const MIN_ITERATIONS: u32 = 600_000;
const SALT_LEN: usize = 16;
const KEY_LEN: usize = 32;
const SCHEME: &str = "pbkdf2-sha256";

#[derive(Debug, thiserror::Error)]
pub enum KdfError {
    #[error("stored hash is malformed")]
    Malformed,
    #[error("the hashing pool has shut down")]
    PoolClosed,
}

/// A stored PBKDF2 hash: `pbkdf2-sha256$<iterations>$<salt b64>$<key b64>`.
/// Not `Serialize`, so it cannot leak into an API response by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct KdfHash(String);

impl KdfHash {
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
    pub fn as_stored(&self) -> &str {
        &self.0
    }
    fn parse(&self) -> Result<(u32, Vec<u8>, Vec<u8>), KdfError> {
        let mut parts = self.0.split('$');
        let (Some(SCHEME), Some(iter), Some(salt), Some(key), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(KdfError::Malformed);
        };
        let iterations: u32 = iter.parse().map_err(|_| KdfError::Malformed)?;
        let salt = B64.decode(salt).map_err(|_| KdfError::Malformed)?;
        let key = B64.decode(key).map_err(|_| KdfError::Malformed)?;
        if iterations == 0 || key.is_empty() {
            return Err(KdfError::Malformed);
        }
        Ok((iterations, salt, key))
    }
}

impl std::fmt::Debug for KdfHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KdfHash(..)")
    }
}

/// Bounded PBKDF2 worker pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Kdf {
    iterations: u32,
    permits: Arc<Semaphore>,
    /// PBKDF2 computations started, for metrics and for tests proving a path avoids them.
    computations: Arc<std::sync::atomic::AtomicU64>,
}

impl Kdf {
    /// `iterations` below [`MIN_ITERATIONS`] are raised to it; `concurrency` is at least 1.
    pub fn new(iterations: u32, concurrency: usize) -> Self {
        Self {
            iterations: iterations.max(MIN_ITERATIONS),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            computations: Arc::default(),
        }
    }

    /// Default concurrency: leave one core for everything else.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .max(1)
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// How many PBKDF2 computations this pool has started.
    pub fn computations(&self) -> u64 {
        self.computations.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hashes `secret` with a fresh random salt.
    pub async fn hash(&self, secret: SecretSlice<u8>) -> Result<KdfHash, KdfError> {
        let mut salt = [0u8; SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let iterations = self.iterations;
        let key = self
            .run(move || derive(secret.expose_secret(), &salt, iterations, KEY_LEN))
            .await?;
        Ok(KdfHash(format!(
            "{SCHEME}${iterations}${}${}",
            B64.encode(salt),
            B64.encode(key)
        )))
    }

    /// Verifies `secret` against `stored` in constant time. A malformed stored hash is an
    /// error, not a mismatch, so data corruption is noticed.
    pub async fn verify(
        &self,
        secret: SecretSlice<u8>,
        stored: &KdfHash,
    ) -> Result<bool, KdfError> {
        let (iterations, salt, expected) = stored.parse()?;
        let len = expected.len();
        let actual = self
            .run(move || derive(secret.expose_secret(), &salt, iterations, len))
            .await?;
        Ok(constant_time_eq(&actual, &expected))
    }

    async fn run<F>(&self, work: F) -> Result<Vec<u8>, KdfError>
    where
        F: FnOnce() -> Vec<u8> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| KdfError::PoolClosed)?;
        self.computations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| KdfError::PoolClosed)
    }
}

/// Raw PBKDF2-HMAC-SHA-256.
pub fn derive(password: &[u8], salt: &[u8], iterations: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    ::kdf::pbkdf2_sha256(password, salt, iterations, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 7914 §11, PBKDF2-HMAC-SHA256 test vectors.
    #[test]
    fn rfc7914_vectors() {
        assert_eq!(
            hex(&derive(b"passwd", b"salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
        assert_eq!(
            hex(&derive(b"Password", b"NaCl", 80_000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    #[tokio::test]
    async fn hash_round_trip_uses_policy_floor() {
        let kdf = Kdf::new(1, 2);
        assert_eq!(kdf.iterations(), MIN_ITERATIONS);
        let stored = kdf
            .hash(SecretSlice::from(b"hunter2".to_vec()))
            .await
            .unwrap();
        assert!(stored.as_stored().starts_with("pbkdf2-sha256$600000$"));
        assert!(kdf
            .verify(SecretSlice::from(b"hunter2".to_vec()), &stored)
            .await
            .unwrap());
        assert!(!kdf
            .verify(SecretSlice::from(b"hunter3".to_vec()), &stored)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn malformed_hash_is_an_error() {
        let kdf = Kdf::new(MIN_ITERATIONS, 1);
        for bad in [
            "",
            "md5$1$a$b",
            "pbkdf2-sha256$x$AAAA$AAAA",
            "pbkdf2-sha256$1$!!$AAAA",
        ] {
            let stored = KdfHash::from_stored(bad.into());
            assert!(
                kdf.verify(SecretSlice::from(b"x".to_vec()), &stored)
                    .await
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_hides_hash() {
        assert_eq!(
            format!("{:?}", KdfHash::from_stored("secret".into())),
            "KdfHash(..)"
        );
    }
}
