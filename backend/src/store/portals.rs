//! Portals and their members (the `portals`, `portal_branding` and `portal_structure`
//! migrations). A member is admitted while `removed_at` is unset and `expires_at` (if any)
//! is still ahead; adding the same email again reactivates the row. Each organisation has
//! exactly one default portal (`is_default = 1`, unique).

use sqlx::Executor;

use super::Result;
use crate::domain::MemberRole;

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
    /// JSON array of lower-case domains its managers may add members from.
    pub member_domains: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub id: String,
    pub org_id: String,
    pub portal_id: String,
    /// Lower-cased.
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: MemberRole,
    /// The staff user who added the member; `None` when a manager did.
    pub added_by: Option<String>,
    /// The membership of the manager who added this member.
    pub invited_by: Option<String>,
    pub added_at: i64,
    pub expires_at: Option<i64>,
    pub removed_at: Option<i64>,
    /// `removed` or `expired` once `removed_at` is set.
    pub ended_reason: Option<String>,
}

impl MemberRow {
    /// Is the membership admitted at `now_ms`?
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.removed_at.is_none() && self.expires_at.is_none_or(|e| e > now_ms)
    }
}

const PORTAL_COLUMNS: &str =
    "id, org_id, name, created_by, created_at, is_default, branding, terms_id, member_domains";
const MEMBER_COLUMNS: &str = "id, org_id, portal_id, email, name, role, added_by, invited_by, \
     added_at, expires_at, removed_at, ended_reason";

/// The SQL condition "admitted at `$now`" on `portal_members`, `$n` naming the bind.
macro_rules! active_at {
    ($n:literal) => {
        concat!(
            "removed_at IS NULL AND (expires_at IS NULL OR expires_at > $",
            $n,
            ")"
        )
    };
}

pub async fn insert<'e, E>(db: E, p: &PortalRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO portals (id, org_id, name, created_by, created_at, is_default, branding, \
         terms_id, member_domains) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&p.id)
    .bind(&p.org_id)
    .bind(&p.name)
    .bind(&p.created_by)
    .bind(p.created_at)
    .bind(p.is_default)
    .bind(&p.branding)
    .bind(&p.terms_id)
    .bind(&p.member_domains)
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

/// Replaces the domains a portal's managers may add members from (a JSON array).
pub async fn set_member_domains<'e, E>(db: E, org_id: &str, id: &str, domains: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("UPDATE portals SET member_domains = $3 WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .bind(domains)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Adds `m`, or reactivates the member with the same email (with `m`'s name, role, expiry
/// and adder). Returns false, writing nothing, when `only_if_new` and a row for that email
/// exists already (active or ended): managers never bring back someone an administrator
/// removed.
pub async fn upsert_member<'e, E>(db: E, m: &MemberRow, only_if_new: bool) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let on_conflict = if only_if_new {
        "DO NOTHING"
    } else {
        "DO UPDATE SET name = $5, role = $6, added_by = $7, invited_by = $8, added_at = $9, \
         expires_at = $10, removed_at = NULL, ended_reason = NULL"
    };
    let done = sqlx::query(&format!(
        "INSERT INTO portal_members (id, org_id, portal_id, email, name, role, added_by, \
         invited_by, added_at, expires_at, removed_at, ended_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL) \
         ON CONFLICT (org_id, portal_id, email) {on_conflict}"
    ))
    .bind(&m.id)
    .bind(&m.org_id)
    .bind(&m.portal_id)
    .bind(&m.email)
    .bind(&m.name)
    .bind(m.role.as_str())
    .bind(&m.added_by)
    .bind(&m.invited_by)
    .bind(m.added_at)
    .bind(m.expires_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes an active member's role and expiry; returns the row as it now is, or `None`
/// when there is no such active member.
pub async fn change_member<'e, E>(
    db: E,
    org_id: &str,
    portal_id: &str,
    member_id: &str,
    role: MemberRole,
    expires_at: Option<i64>,
) -> Result<Option<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "UPDATE portal_members SET role = $4, expires_at = $5 \
         WHERE org_id = $1 AND portal_id = $2 AND id = $3 AND removed_at IS NULL \
         RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(org_id)
    .bind(portal_id)
    .bind(member_id)
    .bind(role.as_str())
    .bind(expires_at)
    .fetch_optional(db)
    .await?)
}

/// Ends a membership that has not ended yet (`removed_at = now_ms`, with the reason);
/// returns the row as it was. Of two concurrent calls, one gets the row.
pub async fn end_member<'e, E>(
    db: E,
    org_id: &str,
    member_id: &str,
    reason: &str,
    now_ms: i64,
) -> Result<Option<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "UPDATE portal_members SET removed_at = $3, ended_reason = $4 \
         WHERE org_id = $1 AND id = $2 AND removed_at IS NULL \
         RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(org_id)
    .bind(member_id)
    .bind(now_ms)
    .bind(reason)
    .fetch_optional(db)
    .await?)
}

/// Ends a membership whose expiry has come by `now_ms` (and that has not ended otherwise):
/// `removed_at` is its expiry. Returns the row as it now is; `None` when it ended already
/// or was meanwhile given a later expiry (or none) — an administrator's change wins.
pub async fn end_expired_member<'e, E>(
    db: E,
    org_id: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<Option<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "UPDATE portal_members SET removed_at = expires_at, ended_reason = 'expired' \
         WHERE org_id = $1 AND id = $2 AND removed_at IS NULL \
         AND expires_at IS NOT NULL AND expires_at <= $3 \
         RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(org_id)
    .bind(member_id)
    .bind(now_ms)
    .fetch_optional(db)
    .await?)
}

/// A member of `org_id`'s portal by id, ended or not.
pub async fn member<'e, E>(
    db: E,
    org_id: &str,
    portal_id: &str,
    member_id: &str,
) -> Result<Option<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM portal_members \
         WHERE org_id = $1 AND portal_id = $2 AND id = $3"
    ))
    .bind(org_id)
    .bind(portal_id)
    .bind(member_id)
    .fetch_optional(db)
    .await?)
}

/// The membership of `email` in the portal admitted at `now_ms`, if any.
pub async fn active_member<'e, E>(
    db: E,
    org_id: &str,
    portal_id: &str,
    email: &str,
    now_ms: i64,
) -> Result<Option<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM portal_members \
         WHERE org_id = $1 AND portal_id = $2 AND email = $3 AND {}",
        active_at!("4")
    ))
    .bind(org_id)
    .bind(portal_id)
    .bind(email)
    .bind(now_ms)
    .fetch_optional(db)
    .await?)
}

/// Is `email` a member of `org_id`'s portal `portal_id` admitted at `now_ms`?
pub async fn is_member<'e, E>(
    db: E,
    org_id: &str,
    portal_id: &str,
    email: &str,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(active_member(db, org_id, portal_id, email, now_ms)
        .await?
        .is_some())
}

/// Members the manager `invited_by` added, newest first (at most `limit`).
pub async fn invited_by<'e, E>(
    db: E,
    org_id: &str,
    invited_by: &str,
    limit: i64,
) -> Result<Vec<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM portal_members WHERE org_id = $1 AND invited_by = $2 \
         ORDER BY added_at DESC, id LIMIT $3"
    ))
    .bind(org_id)
    .bind(invited_by)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Shortens the current memberships a manager added that would outlast `until` (or never
/// end) to end at `until`; returns them as they now are. Members an administrator has since
/// made managers are theirs to date, and left alone.
pub async fn cap_invited<'e, E>(
    db: E,
    org_id: &str,
    manager_id: &str,
    until: i64,
) -> Result<Vec<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "UPDATE portal_members SET expires_at = $3 \
         WHERE org_id = $1 AND invited_by = $2 AND role = 'member' AND removed_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $3) RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(org_id)
    .bind(manager_id)
    .bind(until)
    .fetch_all(db)
    .await?)
}

/// Memberships of every organisation that have reached their expiry at `now_ms` but not
/// ended yet, soonest first (at most `limit`).
pub async fn expired<'e, E>(db: E, now_ms: i64, limit: i64) -> Result<Vec<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM portal_members \
         WHERE removed_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1 \
         ORDER BY expires_at, id LIMIT $2"
    ))
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// When the next active membership expires, if any does.
pub async fn next_expiry<'e, E>(db: E) -> Result<Option<i64>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT MIN(expires_at) FROM portal_members \
         WHERE removed_at IS NULL AND expires_at IS NOT NULL",
    )
    .fetch_one(db)
    .await?)
}

/// Takes the write lock on a portal's row for the rest of the transaction (on SQLite, the
/// database's write lock): changes to one portal's structure then run one after another.
/// False when the organisation has no such portal.
pub async fn lock_portal<'e, E>(db: E, org_id: &str, portal_id: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("UPDATE portals SET name = name WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(portal_id)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Takes the write lock on a member's row for the rest of the transaction (on SQLite, the
/// database's write lock), so that what the transaction reads next cannot change under it;
/// returns the row as it is under the lock.
pub async fn lock_member<'e, E>(db: E, org_id: &str, member_id: &str) -> Result<Option<MemberRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "UPDATE portal_members SET name = name WHERE org_id = $1 AND id = $2 \
         RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(org_id)
    .bind(member_id)
    .fetch_optional(db)
    .await?)
}
