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
}

const COLUMNS: &str =
    "id, org_id, email, display_name, role, password_hash, created_at, disabled_at";

pub async fn insert<'e, E>(db: E, row: &UserRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO users (id, org_id, email, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.org_id)
    .bind(&row.email)
    .bind(&row.display_name)
    .bind(&row.role)
    .bind(&row.password_hash)
    .bind(row.created_at)
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
