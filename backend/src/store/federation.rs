//! Sign-ins in flight at an IdP and the SAML replay cache (the `federation` migration).

use sqlx::Executor;

use super::Result;
use crate::federation::LoginPurpose;

/// One sign-in, from the redirect to the IdP to its use. Found by the SHA-256 of the random
/// state (OIDC `state`, SAML `RelayState`); the state itself is never stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LoginRow {
    pub state_hash: String,
    pub org_id: String,
    pub idp_id: String,
    #[sqlx(try_from = "String")]
    pub purpose: LoginPurpose,
    pub share_id: Option<String>,
    /// SHA-256 of the browser's device cookie: the completed sign-in is usable only there.
    pub device_hash: Option<String>,
    /// The administrator running "test connection".
    pub user_id: Option<String>,
    pub saml_request_id: Option<String>,
    pub oidc_nonce: Option<String>,
    /// The PKCE verifier sealed under the master key (context `pkce:<state_hash>`).
    pub pkce_verifier_sealed: Option<Vec<u8>>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed_at: Option<i64>,
    /// JSON of the verified identity, once the IdP's answer passed every check.
    pub identity: Option<String>,
    pub consumed_at: Option<i64>,
    /// SAML: SHA-256 of the one-time delivery cookie set on the ACS response.
    pub delivery_hash: Option<String>,
    /// SAML: when the ACS accepted the answer (the identity is held, not yet applied).
    pub delivered_at: Option<i64>,
}

impl LoginRow {
    /// A sign-in just sent to the IdP: usable for [`LOGIN_TTL_MS`], nothing bound,
    /// delivered, completed or used yet.
    ///
    /// [`LOGIN_TTL_MS`]: crate::federation::LOGIN_TTL_MS
    pub fn started(
        state_hash: String,
        org_id: String,
        idp_id: String,
        purpose: LoginPurpose,
        now_ms: i64,
    ) -> Self {
        Self {
            state_hash,
            org_id,
            idp_id,
            purpose,
            share_id: None,
            device_hash: None,
            user_id: None,
            saml_request_id: None,
            oidc_nonce: None,
            pkce_verifier_sealed: None,
            created_at: now_ms,
            expires_at: now_ms + crate::federation::LOGIN_TTL_MS,
            completed_at: None,
            identity: None,
            consumed_at: None,
            delivery_hash: None,
            delivered_at: None,
        }
    }
}

const COLUMNS: &str = "state_hash, org_id, idp_id, purpose, share_id, device_hash, user_id, \
    saml_request_id, oidc_nonce, pkce_verifier_sealed, created_at, expires_at, completed_at, \
    identity, consumed_at, delivery_hash, delivered_at";

pub async fn insert<'e, E>(db: E, l: &LoginRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO federation_logins ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL, NULL, NULL)"
    ))
    .bind(&l.state_hash)
    .bind(&l.org_id)
    .bind(&l.idp_id)
    .bind(l.purpose.as_str())
    .bind(&l.share_id)
    .bind(&l.device_hash)
    .bind(&l.user_id)
    .bind(&l.saml_request_id)
    .bind(&l.oidc_nonce)
    .bind(&l.pkce_verifier_sealed)
    .bind(l.created_at)
    .bind(l.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// A sign-in still waiting for the IdP's answer (not delivered, not completed, not expired).
pub async fn pending<'e, E>(db: E, state_hash: &str, now_ms: i64) -> Result<Option<LoginRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM federation_logins \
         WHERE state_hash = $1 AND delivered_at IS NULL AND completed_at IS NULL \
         AND expires_at > $2"
    ))
    .bind(state_hash)
    .bind(now_ms)
    .fetch_optional(db)
    .await?)
}

/// Marks a pending sign-in completed with the verified identity. Returns false when it was
/// already completed (the IdP's answer was replayed) or has expired.
pub async fn complete<'e, E>(
    db: E,
    state_hash: &str,
    identity_json: &str,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE federation_logins SET completed_at = $2, identity = $3, pkce_verifier_sealed = NULL \
         WHERE state_hash = $1 AND completed_at IS NULL AND expires_at > $2",
    )
    .bind(state_hash)
    .bind(now_ms)
    .bind(identity_json)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// SAML: holds a verified identity for the browser that posted it (`delivery_hash` of its
/// one-time delivery cookie). Returns false when the sign-in was already delivered,
/// completed or has expired (a second answer for the same RelayState).
pub async fn deliver<'e, E>(
    db: E,
    state_hash: &str,
    delivery_hash: &str,
    identity_json: &str,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE federation_logins SET delivered_at = $2, delivery_hash = $3, identity = $4 \
         WHERE state_hash = $1 AND delivered_at IS NULL AND completed_at IS NULL \
         AND expires_at > $2",
    )
    .bind(state_hash)
    .bind(now_ms)
    .bind(delivery_hash)
    .bind(identity_json)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// SAML: a delivered sign-in waiting for its same-site continuation.
pub async fn delivered<'e, E>(db: E, state_hash: &str, now_ms: i64) -> Result<Option<LoginRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM federation_logins \
         WHERE state_hash = $1 AND delivered_at IS NOT NULL AND completed_at IS NULL \
         AND expires_at > $2"
    ))
    .bind(state_hash)
    .bind(now_ms)
    .fetch_optional(db)
    .await?)
}

/// Any sign-in by its state, whatever its stage (to audit a refused step against its
/// organisation).
pub async fn by_state<'e, E>(db: E, state_hash: &str) -> Result<Option<LoginRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM federation_logins WHERE state_hash = $1"
    ))
    .bind(state_hash)
    .fetch_optional(db)
    .await?)
}

/// The newest completed, unused, unexpired sign-in of this browser in this organisation.
pub async fn completed_for_device<'e, E>(
    db: E,
    org_id: &str,
    device_hash: &str,
    now_ms: i64,
) -> Result<Option<LoginRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM federation_logins \
         WHERE org_id = $1 AND device_hash = $2 AND completed_at IS NOT NULL \
         AND consumed_at IS NULL AND expires_at > $3 AND purpose = 'share' \
         ORDER BY completed_at DESC LIMIT 1"
    ))
    .bind(org_id)
    .bind(device_hash)
    .bind(now_ms)
    .fetch_optional(db)
    .await?)
}

/// Uses a completed sign-in once. Returns false if another request used it first.
pub async fn consume<'e, E>(db: E, org_id: &str, state_hash: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE federation_logins SET consumed_at = $3 \
         WHERE org_id = $1 AND state_hash = $2 AND completed_at IS NOT NULL \
         AND consumed_at IS NULL AND expires_at > $3",
    )
    .bind(org_id)
    .bind(state_hash)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers a SAML assertion id until it expires. Returns false if it was seen before
/// (a replay); the primary key makes this atomic across nodes.
pub async fn remember_assertion<'e, E>(
    db: E,
    org_id: &str,
    idp_id: &str,
    assertion_id: &str,
    expires_at_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "INSERT INTO saml_replay (idp_id, assertion_id, org_id, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (idp_id, assertion_id) DO NOTHING",
    )
    .bind(idp_id)
    .bind(assertion_id)
    .bind(org_id)
    .bind(expires_at_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops expired sign-ins and replay entries (run by the sweeper).
pub async fn sweep<'e, E>(db: E, now_ms: i64) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    let a = sqlx::query("DELETE FROM federation_logins WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(db)
        .await?
        .rows_affected();
    let b = sqlx::query("DELETE FROM saml_replay WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(db)
        .await?
        .rows_affected();
    Ok(a + b)
}
