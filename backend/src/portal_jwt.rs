//! Portal session tokens: RS256 JWTs (RFC 7519/7518) with bound `iss` and `aud`.
//!
//! Security invariants:
//! - the algorithm is pinned to RS256: `alg: none` and HS256 tokens "signed" with the
//!   public key are rejected before any signature check (algorithm-confusion attacks);
//! - `iss`, `aud`, `exp` and `sub` are required and checked, with 5 s of clock leeway;
//! - the key is chosen by `kid` among our own live keys only, never from the token;
//! - private keys are stored sealed under the master key; the public keys are published
//!   as a JWKS so third parties can verify;
//! - rotation ([`PortalKeys::rotate`]) publishes the new key at once but signs with it
//!   only from its activation time, so every node and JWKS consumer knows it before any
//!   token carries it; the key it replaces keeps verifying until every token it signed has
//!   expired ([`PortalKeys::retire_expired`]), then verifies nothing.
//!
//! A valid token proves only who the session was issued to: callers must still check the
//! share on every request (revocation takes effect at once).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::crypto::{sha256_hex, Sealer};
use crate::store::{self, signing_keys, Db};

const SEAL_CONTEXT: &str = "liaison/portal-signing-key/v1";
const LEEWAY_SECS: u64 = 5;
/// An unknown `kid` makes us re-read the key table (another node may have rotated),
/// but at most this often, so forged `kid`s cannot hammer the database.
const RELOAD_INTERVAL: Duration = Duration::from_secs(10);
/// Nodes re-read the key table at least this often (the housekeeping loop), so a retiring
/// key's last tokens may have been issued this long after its successor activated.
pub const REFRESH_SLACK_MS: i64 = 2 * 60_000;

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is signed with an unknown key")]
    UnknownKey,
    #[error("the token's algorithm is not RS256")]
    WrongAlgorithm,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued for another audience")]
    WrongAudience,
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token's signature is invalid")]
    BadSignature,
    #[error("the token lacks a required claim")]
    MissingClaim,
    #[error("the token is not a portal session")]
    WrongType,
    #[error("signing key store: {0}")]
    Store(#[from] store::StoreError),
    #[error("signing key: {0}")]
    Key(String),
}

impl JwtError {
    /// Whether the fault is the token's (401) rather than ours (500).
    pub fn is_token_fault(&self) -> bool {
        !matches!(self, JwtError::Store(_) | JwtError::Key(_))
    }
}

/// What a token signed with the portal key is, as its header's `typ` says: a verifier of
/// one kind refuses the other (RFC 8725 §3.11), though both share one key and JWKS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    /// A portal session (`JWT`, as every session ever issued carries).
    Session,
    /// A guest's signed export of a shared record.
    RecordExport,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "JWT",
            Self::RecordExport => "liaison-record+jwt",
        }
    }
}

/// Claims of a portal session.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PortalClaims {
    pub iss: String,
    pub aud: String,
    /// The share id.
    pub sub: String,
    /// The share's organisation.
    pub org: String,
    /// Unique id of this portal session (also names it in audit events).
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    /// When the guest passed the share's checks (Unix seconds). Renewal keeps it, so a
    /// session cannot be renewed past its maximum age without passing them again.
    #[serde(default)]
    pub auth_time: i64,
    /// SHA-256 (hex) of the browser's device id bound at open; renewal requires that
    /// device still to be approved. Absent for sessions made before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    /// Federated guests: the IdP they signed in with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// Federated guests: the partner organisation of that IdP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
}

struct KeySet {
    /// Keys that sign from their activation time: (activates_at ms, kid, key), newest first.
    signing: Vec<(i64, String, EncodingKey)>,
    verifying: HashMap<String, DecodingKey>,
    jwks: serde_json::Value,
    loaded_at: Instant,
}

/// The live signing keys, cached in memory.
pub struct PortalKeys {
    db: Db,
    sealer: Sealer,
    keys: RwLock<KeySet>,
    /// Tokens whose RS256 signature and claims were already verified, by SHA-256 of
    /// (token, issuer, audience), until they expire. Skips the RSA work on repeat requests;
    /// the share itself is still re-read on every request, so revocation is unaffected.
    /// Cleared whenever the key set changes.
    verified: std::sync::Mutex<std::collections::HashMap<[u8; 32], PortalClaims>>,
}

/// Most verified tokens remembered at once (beyond it, expired ones are dropped, then all).
const VERIFIED_CACHE_MAX: usize = 50_000;

impl std::fmt::Debug for PortalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PortalKeys(..)")
    }
}

impl PortalKeys {
    /// Loads the live keys, generating the first RSA-2048 key if there is none.
    pub async fn load_or_create(db: Db, sealer: Sealer, now_ms: i64) -> Result<Self, JwtError> {
        let mut rows = signing_keys::list_live(db.pool()).await?;
        if rows.is_empty() {
            rows.push(Self::generate(&db, &sealer, now_ms, now_ms).await?);
        }
        let keys = Self::build(&sealer, &rows)?;
        Ok(Self {
            db,
            sealer,
            keys: RwLock::new(keys),
            verified: Default::default(),
        })
    }

    /// Adds a new signing key, published in the JWKS now and signing from `now + lead`;
    /// older keys keep verifying until [`Self::retire_expired`] retires them. Returns the
    /// new key's id and activation time.
    pub async fn rotate(&self, now_ms: i64, lead_ms: i64) -> Result<(String, i64), JwtError> {
        let activates_at = now_ms + lead_ms.max(0);
        let row = Self::generate(&self.db, &self.sealer, now_ms, activates_at).await?;
        self.reload().await?;
        Ok((row.kid, activates_at))
    }

    /// Retires every key that stopped signing more than `max_token_ms` (the longest
    /// portal session) plus [`REFRESH_SLACK_MS`] ago: no token it signed is still valid.
    /// Returns the retired kids.
    pub async fn retire_expired(
        &self,
        now_ms: i64,
        max_token_ms: i64,
    ) -> Result<Vec<String>, JwtError> {
        let live = signing_keys::list_live(self.db.pool()).await?;
        // Newest first: each key stopped signing when the next newer one activated.
        let mut retired = Vec::new();
        for pair in live.windows(2) {
            let (newer, older) = (&pair[0], &pair[1]);
            if newer.activates_at <= now_ms
                && now_ms >= newer.activates_at + max_token_ms + REFRESH_SLACK_MS
            {
                signing_keys::retire(self.db.pool(), &older.kid, now_ms).await?;
                retired.push(older.kid.clone());
            }
        }
        if !retired.is_empty() {
            self.reload().await?;
        }
        Ok(retired)
    }

    /// Re-reads the key table (every node does, periodically, so a rotation made on another
    /// node is known before its key activates). Rebuilds the key set — unsealing every key
    /// and forgetting every verified token — only when the live keys changed.
    pub async fn refresh(&self) -> Result<(), JwtError> {
        let rows = signing_keys::list_live(self.db.pool()).await?;
        let unchanged = {
            let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
            keys.signing.len() == rows.len()
                && keys
                    .signing
                    .iter()
                    .zip(&rows)
                    .all(|((activates_at, kid, _), row)| {
                        *kid == row.kid && *activates_at == row.activates_at
                    })
        };
        if unchanged {
            self.keys
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .loaded_at = Instant::now();
            return Ok(());
        }
        self.install(&rows)
    }

    async fn generate(
        db: &Db,
        sealer: &Sealer,
        now_ms: i64,
        activates_at: i64,
    ) -> Result<signing_keys::SigningKeyRow, JwtError> {
        let key =
            tokio::task::spawn_blocking(|| rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048))
                .await
                .map_err(|e| JwtError::Key(e.to_string()))?
                .map_err(|e| JwtError::Key(e.to_string()))?;
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| JwtError::Key(e.to_string()))?;
        let n = B64URL.encode(key.n().to_bytes_be());
        let e = B64URL.encode(key.e().to_bytes_be());
        let kid = sha256_hex(format!("{n}.{e}").as_bytes())[..24].to_owned();
        let row = signing_keys::SigningKeyRow {
            private_key_sealed: sealer.seal(&format!("{SEAL_CONTEXT}/{kid}"), pem.as_bytes()),
            kid,
            public_n: n,
            public_e: e,
            created_at: now_ms,
            retired_at: None,
            activates_at,
        };
        signing_keys::insert(db.pool(), &row).await?;
        Ok(row)
    }

    fn build(sealer: &Sealer, rows: &[signing_keys::SigningKeyRow]) -> Result<KeySet, JwtError> {
        if rows.is_empty() {
            return Err(JwtError::Key("no live signing key".into()));
        }
        let mut signing = Vec::new();
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        for row in rows {
            let pem = sealer
                .open(
                    &format!("{SEAL_CONTEXT}/{}", row.kid),
                    &row.private_key_sealed,
                )
                .map_err(|e| JwtError::Key(e.to_string()))?;
            let key = EncodingKey::from_rsa_pem(pem.expose_secret())
                .map_err(|e| JwtError::Key(e.to_string()))?;
            signing.push((row.activates_at, row.kid.clone(), key));
            let key = DecodingKey::from_rsa_components(&row.public_n, &row.public_e)
                .map_err(|e| JwtError::Key(e.to_string()))?;
            verifying.insert(row.kid.clone(), key);
            jwks.push(serde_json::json!({
                "kty": "RSA", "use": "sig", "alg": "RS256",
                "kid": row.kid, "n": row.public_n, "e": row.public_e,
            }));
        }
        Ok(KeySet {
            signing,
            verifying,
            jwks: serde_json::json!({ "keys": jwks }),
            loaded_at: Instant::now(),
        })
    }

    async fn reload(&self) -> Result<(), JwtError> {
        let rows = signing_keys::list_live(self.db.pool()).await?;
        self.install(&rows)
    }

    fn install(&self, rows: &[signing_keys::SigningKeyRow]) -> Result<(), JwtError> {
        let set = Self::build(&self.sealer, rows)?;
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = set;
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }

    /// The public keys as a JWK Set (RFC 7517).
    pub fn jwks(&self) -> serde_json::Value {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .jwks
            .clone()
    }

    /// Signs with the newest key active at the token's issue time (`iat`).
    pub fn issue(&self, claims: &PortalClaims) -> Result<String, JwtError> {
        self.sign(claims, claims.iat, TokenType::Session)
    }

    /// Signs any claims (RS256, the `kid` of the key in the JWKS, `typ` saying what it is)
    /// with the newest key active at `iat` (Unix seconds): portal sessions and signed
    /// exports alike, verifiable by anyone holding the published JWKS.
    pub fn sign<T: Serialize>(
        &self,
        claims: &T,
        iat: i64,
        typ: TokenType,
    ) -> Result<String, JwtError> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let at_ms = iat.saturating_mul(1000);
        let (_, kid, key) = keys
            .signing
            .iter()
            .find(|(activates_at, _, _)| *activates_at <= at_ms)
            .or_else(|| keys.signing.last())
            .ok_or_else(|| JwtError::Key("no live signing key".into()))?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.clone());
        header.typ = Some(typ.as_str().into());
        jsonwebtoken::encode(&header, claims, key).map_err(|e| JwtError::Key(e.to_string()))
    }

    /// Verifies signature, algorithm, `iss`, `aud` and `exp`.
    pub async fn verify(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<PortalClaims, JwtError> {
        use sha2::Digest;
        let fingerprint: [u8; 32] = sha2::Sha256::new()
            .chain_update(token.as_bytes())
            .chain_update([0])
            .chain_update(issuer.as_bytes())
            .chain_update([0])
            .chain_update(audience.as_bytes())
            .finalize()
            .into();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&fingerprint)
            .cloned();
        if let Some(claims) = cached {
            // The same expiry rule as the full check (exp plus the leeway).
            if claims.exp + i64::try_from(LEEWAY_SECS).unwrap_or(0) >= now {
                return Ok(claims);
            }
            return Err(JwtError::Expired);
        }
        let claims = self.verify_uncached(token, issuer, audience).await?;
        let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= VERIFIED_CACHE_MAX {
            cache.retain(|_, c| c.exp >= now);
            if cache.len() >= VERIFIED_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(fingerprint, claims.clone());
        Ok(claims)
    }

    async fn verify_uncached(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<PortalClaims, JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(JwtError::WrongAlgorithm);
        }
        // Explicit typing (RFC 8725 §3.11): a signed export is never a session.
        if header.typ.as_deref() != Some(TokenType::Session.as_str()) {
            return Err(JwtError::WrongType);
        }
        let kid = header.kid.ok_or(JwtError::UnknownKey)?;
        if !self.has_kid(&kid) {
            let stale = self
                .keys
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .loaded_at
                .elapsed()
                > RELOAD_INTERVAL;
            if stale {
                // A forged kid must not buy a rebuild: only a real change rebuilds.
                self.refresh().await?;
            }
            if !self.has_kid(&kid) {
                return Err(JwtError::UnknownKey);
            }
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = vec![Algorithm::RS256];
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let key = keys.verifying.get(&kid).ok_or(JwtError::UnknownKey)?;
        jsonwebtoken::decode::<PortalClaims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                match e.kind() {
                    K::ExpiredSignature => JwtError::Expired,
                    K::InvalidAudience => JwtError::WrongAudience,
                    K::InvalidIssuer => JwtError::WrongIssuer,
                    K::InvalidSignature => JwtError::BadSignature,
                    K::InvalidAlgorithm => JwtError::WrongAlgorithm,
                    K::MissingRequiredClaim(_) => JwtError::MissingClaim,
                    _ => JwtError::Malformed,
                }
            })
    }

    fn has_kid(&self, kid: &str) -> bool {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .verifying
            .contains_key(kid)
    }
}
