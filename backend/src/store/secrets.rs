//! End-to-end encrypted secrets: one row each, its ciphertext kept only while active.
//!
//! Invariant: a view is *reserved* by one conditional update ([`take_view`]) before the
//! ciphertext is read, so of two concurrent opens of a view-once secret exactly one wins,
//! on both engines (the row lock, or SQLite's single writer, orders them; the loser's
//! condition no longer holds).

use sqlx::Executor;

use super::Result;

/// A secret without its ciphertext (what lists and checks need).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SecretRow {
    pub id: String,
    pub org_id: String,
    pub created_by: String,
    /// [`crate::domain::secrets::SecretKind`]
    pub kind: String,
    pub label: String,
    pub tlp: String,
    /// [`crate::domain::secrets::Delivery`]
    pub delivery: String,
    pub recipient_email: Option<String>,
    pub selector: String,
    pub verifier_hash: String,
    pub proof_hash: String,
    pub nonce: Vec<u8>,
    pub salt: Option<Vec<u8>>,
    /// Ciphertext bytes, kept after the ciphertext is gone.
    pub size: i64,
    pub max_views: i64,
    pub views: i64,
    pub expires_at: i64,
    pub created_at: i64,
    /// [`crate::domain::secrets::SecretState`]
    pub state: String,
    pub ended_at: Option<i64>,
    /// The creator's name, for lists (read, never written).
    pub created_by_name: String,
}

const COLUMNS: &str = "id, org_id, created_by, kind, label, tlp, delivery, recipient_email, \
    selector, verifier_hash, proof_hash, nonce, salt, size, max_views, views, expires_at, \
    created_at, state, ended_at, \
    COALESCE((SELECT display_name FROM users WHERE users.id = secrets.created_by), '') \
    AS created_by_name";

pub async fn insert<'e, E>(db: E, row: &SecretRow, ciphertext: &[u8]) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO secrets (id, org_id, created_by, kind, label, tlp, delivery, \
         recipient_email, selector, verifier_hash, proof_hash, ciphertext, nonce, salt, size, \
         max_views, views, expires_at, created_at, state, ended_at) VALUES ($1, $2, $3, $4, $5, \
         $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
    )
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.created_by)
    .bind(&row.kind)
    .bind(&row.label)
    .bind(&row.tlp)
    .bind(&row.delivery)
    .bind(&row.recipient_email)
    .bind(&row.selector)
    .bind(&row.verifier_hash)
    .bind(&row.proof_hash)
    .bind(ciphertext)
    .bind(&row.nonce)
    .bind(&row.salt)
    .bind(row.size)
    .bind(row.max_views)
    .bind(row.views)
    .bind(row.expires_at)
    .bind(row.created_at)
    .bind(&row.state)
    .bind(row.ended_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_by_selector<'e, E>(db: E, selector: &str) -> Result<Option<SecretRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM secrets WHERE selector = $1"
    ))
    .bind(selector)
    .fetch_optional(db)
    .await?)
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<SecretRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM secrets WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The organisation's secrets, newest first: at most `limit`, created before `before`
/// (a keyset cursor of (created_at, id)), optionally of one creator.
pub async fn list<'e, E>(
    db: E,
    org_id: &str,
    created_by: Option<&str>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<SecretRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM secrets WHERE org_id = $1 \
         AND ($2 IS NULL OR created_by = $2) \
         AND (created_at < $3 OR (created_at = $3 AND ($4 = '' OR id < $4))) \
         ORDER BY created_at DESC, id DESC LIMIT $5"
    ))
    .bind(org_id)
    .bind(created_by)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Reserves one view of an active, unexpired secret. `false`: nothing was left to take
/// (or another open took the last view first).
pub async fn take_view<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE secrets SET views = views + 1 WHERE org_id = $1 AND id = $2 \
         AND state = 'active' AND views < max_views AND expires_at > $3",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// The ciphertext and the views taken so far (after [`take_view`], in its transaction).
pub async fn ciphertext<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<(Vec<u8>, i64)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let row: Option<(Option<Vec<u8>>, i64)> =
        sqlx::query_as("SELECT ciphertext, views FROM secrets WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(c, views)| c.map(|c| (c, views))))
}

/// Ends an active secret in `state` (burned, revoked or expired) and deletes its
/// ciphertext. `false`: it was no longer active.
pub async fn end<'e, E>(db: E, org_id: &str, id: &str, state: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE secrets SET state = $3, ciphertext = NULL, ended_at = $4 \
         WHERE org_id = $1 AND id = $2 AND state = 'active'",
    )
    .bind(org_id)
    .bind(id)
    .bind(state)
    .bind(now_ms)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Active secrets whose time is up, oldest expiry first: (org, id), at most `limit`.
pub async fn due_to_expire<'e, E>(db: E, now_ms: i64, limit: i64) -> Result<Vec<(String, String)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT org_id, id FROM secrets WHERE state = 'active' AND expires_at <= $1 \
         ORDER BY expires_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
