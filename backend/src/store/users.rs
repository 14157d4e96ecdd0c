//! Internal staff accounts.

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// PBKDF2 hash; `None` for accounts that sign in only through the org's IdP.
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    /// `password` or `idp` ([`crate::domain::staff::SignIn`]).
    pub sign_in: String,
    /// Console sessions opened before this epoch are over.
    pub session_epoch: i64,
    /// Who invited the account (`None` for the bootstrap administrator).
    pub created_by: Option<String>,
}

const COLUMNS: &str = "id, org_id, email, display_name, role, password_hash, created_at, \
    disabled_at, sign_in, session_epoch, created_by";

pub async fn insert<'e, E>(db: E, row: &UserRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO users (id, org_id, email, display_name, role, password_hash, created_at, \
         sign_in, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.email)
    .bind(&row.display_name)
    .bind(&row.role)
    .bind(&row.password_hash)
    .bind(row.created_at)
    .bind(&row.sign_in)
    .bind(&row.created_by)
    .execute(db)
    .await?;
    Ok(())
}

/// Looks a user up by (lower-cased) email across organisations: used only by sign-in,
/// which then scopes everything to the user's own organisation.
pub async fn find_by_email<'e, E>(db: E, email: &str) -> Result<Option<UserRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<UserRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Sign-in by session id only knows the user id; the org comes from the row itself.
pub async fn get_any_org<'e, E>(db: E, id: &str) -> Result<Option<UserRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// The organisation's administrators who are not disabled (whom the system tells of
/// problems, such as a suspended domain).
pub async fn active_admins<'e, E>(db: E, org_id: &str) -> Result<Vec<UserRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users \
         WHERE org_id = $1 AND role = 'admin' AND disabled_at IS NULL ORDER BY email"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// The organisation's staff, by email.
pub async fn list<'e, E>(db: E, org_id: &str) -> Result<Vec<UserRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE org_id = $1 ORDER BY email, id"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// How many administrators of the organisation can sign in now: enabled, and with a
/// password set or signing in through the organisation's IdP (an invitation not yet taken
/// up does not count). Read under the organisation's lock by changes that could remove the
/// last one.
pub async fn count_active_admins<'e, E>(db: E, org_id: &str) -> Result<i64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE org_id = $1 AND role = 'admin' AND disabled_at IS NULL \
         AND (password_hash IS NOT NULL OR sign_in = 'idp')",
    )
    .bind(org_id)
    .fetch_one(db)
    .await?)
}

pub async fn set_role<'e, E>(db: E, org_id: &str, id: &str, role: &str) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE users SET role = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(role)
        .execute(db)
        .await?;
    Ok(())
}

/// Disables (`Some(at)`) or re-enables (`None`) an account. Either way the account's
/// console sessions end: a re-enabled account signs in afresh.
pub async fn set_disabled<'e, E>(db: E, org_id: &str, id: &str, at: Option<i64>) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE users SET disabled_at = $3, session_epoch = session_epoch + 1 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces the password (`None`: none until a link sets one) and ends every console
/// session of the account.
pub async fn set_password<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    password_hash: Option<&str>,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE users SET password_hash = $3, session_epoch = session_epoch + 1 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(password_hash)
    .execute(db)
    .await?;
    Ok(())
}
