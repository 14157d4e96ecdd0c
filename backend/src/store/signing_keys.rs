//! Portal JWT signing keys.

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    /// AES-256-GCM sealed PKCS#8 PEM.
    pub private_key_sealed: Vec<u8>,
    /// base64url big-endian modulus and exponent, as in a JWK.
    pub public_n: String,
    pub public_e: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    /// When it starts signing; published (verifying) from its creation.
    pub activates_at: i64,
}

pub async fn insert<'e, E>(db: E, r: &SigningKeyRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_key_sealed, public_n, public_e, created_at, \
         activates_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.kid)
    .bind(&r.private_key_sealed)
    .bind(&r.public_n)
    .bind(&r.public_e)
    .bind(r.created_at)
    .bind(r.activates_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Keys that still verify tokens (not retired), newest first.
pub async fn list_live<'e, E>(db: E) -> Result<Vec<SigningKeyRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT kid, private_key_sealed, public_n, public_e, created_at, retired_at, activates_at \
         FROM signing_keys WHERE retired_at IS NULL ORDER BY activates_at DESC, created_at DESC, kid DESC",
    )
    .fetch_all(db)
    .await?)
}

/// Every key, retired ones too, newest first (for the key list).
pub async fn list_all<'e, E>(db: E) -> Result<Vec<SigningKeyRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT kid, private_key_sealed, public_n, public_e, created_at, retired_at, activates_at \
         FROM signing_keys ORDER BY activates_at DESC, created_at DESC, kid DESC",
    )
    .fetch_all(db)
    .await?)
}

/// Retires a key: it verifies nothing from now on.
pub async fn retire<'e, E>(db: E, kid: &str, now_ms: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL")
        .bind(kid)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}
