//! Portals and their members (the `portals` and `portal_branding` migrations). A member
//! with `removed_at` set is no longer admitted; adding the same email again reactivates the
//! row. Each organisation has exactly one default portal (`is_default = 1`, unique).

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PortalRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    /// 0 or 1.
    pub is_default: i64,
    /// JSON, [`crate::domain::branding::Branding`].
    pub branding: String,
    /// The legal terms a guest of this portal accepts when the share names none.
    pub terms_id: Option<String>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub id: String,
    pub org_id: String,
    pub portal_id: String,
    /// Lower-cased.
    pub email: String,
    pub name: String,
    pub added_by: String,
    pub added_at: i64,
    pub removed_at: Option<i64>,
}

const PORTAL_COLUMNS: &str =
    "id, org_id, name, created_by, created_at, is_default, branding, terms_id";
const MEMBER_COLUMNS: &str = "id, org_id, portal_id, email, name, added_by, added_at, removed_at";

pub async fn insert<'e, E>(db: E, p: &PortalRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO portals (id, org_id, name, created_by, created_at, is_default, branding, \
         terms_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&p.id)
    .bind(&p.org_id)
    .bind(&p.name)
    .bind(&p.created_by)
    .bind(p.created_at)
    .bind(p.is_default)
    .bind(&p.branding)
    .bind(&p.terms_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<PortalRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {PORTAL_COLUMNS} FROM portals WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The organisation's default portal.
pub async fn default_of<'e, E>(db: E, org_id: &str) -> Result<Option<PortalRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {PORTAL_COLUMNS} FROM portals WHERE org_id = $1 AND is_default = 1"
    ))
    .bind(org_id)
    .fetch_optional(db)
    .await?)
}

/// A portal by id alone, for serving its public brand assets (theme and logo).
pub async fn by_id<'e, E>(db: E, id: &str) -> Result<Option<PortalRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {PORTAL_COLUMNS} FROM portals WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Replaces a portal's brand — only if it is still `expected` (what the caller read), so
/// two admins' concurrent changes cannot silently undo each other — and, when `terms` is
/// `Some`, its terms. False when the portal changed meanwhile (or is not in `org_id`).
pub async fn swap_branding<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    expected: &str,
    branding: &str,
    terms: Option<Option<&str>>,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let query = match terms {
        Some(terms_id) => sqlx::query(
            "UPDATE portals SET branding = $4, terms_id = $5 \
             WHERE org_id = $1 AND id = $2 AND branding = $3",
        )
        .bind(org_id)
        .bind(id)
        .bind(expected)
        .bind(branding)
        .bind(terms_id),
        None => sqlx::query(
            "UPDATE portals SET branding = $4 WHERE org_id = $1 AND id = $2 AND branding = $3",
        )
        .bind(org_id)
        .bind(id)
        .bind(expected)
        .bind(branding),
    };
    Ok(query.execute(db).await?.rows_affected() == 1)
}

pub async fn list<'e, E>(db: E, org_id: &str) -> Result<Vec<PortalRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {PORTAL_COLUMNS} FROM portals WHERE org_id = $1 \
         ORDER BY is_default DESC, name, id"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Every member of `org_id`'s portals, removed ones included, by portal then name.
pub async fn members<'e, E>(db: E, org_id: &str) -> Result<Vec<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM portal_members WHERE org_id = $1 \
         ORDER BY portal_id, name, email"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Adds `m`, or reactivates (and renames) the member with the same email.
pub async fn upsert_member<'e, E>(db: E, m: &MemberRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO portal_members (id, org_id, portal_id, email, name, added_by, added_at, removed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) \
         ON CONFLICT (org_id, portal_id, email) DO UPDATE SET name = $5, added_by = $6, \
         added_at = $7, removed_at = NULL",
    )
    .bind(&m.id)
    .bind(&m.org_id)
    .bind(&m.portal_id)
    .bind(&m.email)
    .bind(&m.name)
    .bind(&m.added_by)
    .bind(m.added_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a member removed; returns the row as it was if it was active.
pub async fn remove_member<'e, E>(
    db: E,
    org_id: &str,
    portal_id: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<Option<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "UPDATE portal_members SET removed_at = $4 \
         WHERE org_id = $1 AND portal_id = $2 AND id = $3 AND removed_at IS NULL \
         RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(org_id)
    .bind(portal_id)
    .bind(member_id)
    .bind(now_ms)
    .fetch_optional(db)
    .await?)
}

/// Is `email` an active member of `org_id`'s portal `portal_id`?
pub async fn is_member<'e, E>(db: E, org_id: &str, portal_id: &str, email: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM portal_members \
         WHERE org_id = $1 AND portal_id = $2 AND email = $3 AND removed_at IS NULL",
    )
    .bind(org_id)
    .bind(portal_id)
    .bind(email)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}
