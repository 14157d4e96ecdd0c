//! Shares: creation, lookup, the active shares table and the atomic state changes
//! (counting an access, revoking, marking expired) that must not race.

use sqlx::Executor;

use super::sql::Sql;
use super::{Result, StoreError};
use crate::crypto::KdfHash;
use crate::domain::{Method, Share, ShareSettings, ShareStatus, Tlp};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ShareRow {
    pub id: String,
    pub org_id: String,
    pub selector: String,
    pub verifier_hash: String,
    /// The token sealed under the master key (see the `share_controls` migration).
    pub token_sealed: Option<Vec<u8>>,
    pub method: String,
    /// Exactly one of `document_id` and `record_id` is set.
    pub document_id: Option<String>,
    pub record_id: Option<String>,
    pub recipient_name: String,
    pub recipient_email: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub max_access_count: i64,
    pub access_count: i64,
    /// 0 or 1.
    pub require_acknowledgement: i64,
    pub tlp: String,
    /// JSON, [`ShareSettings`].
    pub settings: String,
    pub password_hash: Option<String>,
    pub terms_id: Option<String>,
    /// Never NULL once the `portal_branding` migration has run (NOT NULL on PostgreSQL).
    pub portal_id: Option<String>,
    /// When the expiry reminder is due (if the share asks for one).
    pub remind_at: Option<i64>,
    pub last_activity_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub expired_at: Option<i64>,
}

const COLUMNS: &str = "s.id, s.org_id, s.selector, s.verifier_hash, s.token_sealed, s.method, \
    s.document_id, s.record_id, s.recipient_name, s.recipient_email, s.created_by, s.created_at, s.expires_at, \
    s.max_access_count, s.access_count, s.require_acknowledgement, s.tlp, s.settings, \
    s.password_hash, s.terms_id, s.portal_id, s.remind_at, s.last_activity_at, s.revoked_at, s.revoked_by, \
    s.expired_at";

impl TryFrom<ShareRow> for Share {
    type Error = StoreError;

    fn try_from(r: ShareRow) -> Result<Self> {
        use super::from_millis as t;
        let corrupt = |what: &str| StoreError::Corrupt(format!("share {}: {what}", r.id));
        let method = Method::parse(&r.method).ok_or_else(|| corrupt("unknown method"))?;
        let tlp = Tlp::parse(&r.tlp).ok_or_else(|| corrupt("unknown TLP marking"))?;
        let settings: ShareSettings =
            serde_json::from_str(&r.settings).map_err(|e| corrupt(&format!("settings: {e}")))?;
        let portal_id = r.portal_id.clone().ok_or_else(|| corrupt("no portal"))?;
        Ok(Share {
            id: r.id,
            org_id: r.org_id,
            selector: r.selector,
            verifier_hash: KdfHash::from_stored(r.verifier_hash),
            method,
            tlp,
            settings,
            password_hash: r.password_hash.map(KdfHash::from_stored),
            terms_id: r.terms_id,
            portal_id,
            document_id: r.document_id,
            record_id: r.record_id,
            recipient_name: r.recipient_name,
            recipient_email: r.recipient_email,
            created_by: r.created_by,
            created_at: t(r.created_at),
            expires_at: r.expires_at.map(t),
            max_access_count: r.max_access_count,
            access_count: r.access_count,
            require_acknowledgement: r.require_acknowledgement != 0,
            last_activity_at: r.last_activity_at.map(t),
            revoked_at: r.revoked_at.map(t),
            revoked_by: r.revoked_by,
            expired_at: r.expired_at.map(t),
        })
    }
}

/// The form a recipient's name is searched by (and stored as `recipient_name_key`).
pub fn search_key(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The `may_respond` column of a share with these settings (JSON): 1 when its permission
/// lets the guest respond.
fn may_respond(settings: &str) -> Result<i64> {
    let s: ShareSettings = serde_json::from_str(settings)
        .map_err(|e| StoreError::Corrupt(format!("share settings: {e}")))?;
    Ok(i64::from(s.permission.may_respond()))
}

pub async fn insert<'e, E>(db: E, r: &ShareRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO shares (id, org_id, selector, verifier_hash, method, document_id, \
         recipient_name, recipient_email, created_by, created_at, expires_at, max_access_count, \
         access_count, require_acknowledgement, token_sealed, tlp, settings, password_hash, \
         terms_id, remind_at, recipient_name_key, portal_id, may_respond, record_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.selector)
    .bind(&r.verifier_hash)
    .bind(&r.method)
    .bind(&r.document_id)
    .bind(&r.recipient_name)
    .bind(&r.recipient_email)
    .bind(&r.created_by)
    .bind(r.created_at)
    .bind(r.expires_at)
    .bind(r.max_access_count)
    .bind(r.require_acknowledgement)
    .bind(&r.token_sealed)
    .bind(&r.tlp)
    .bind(&r.settings)
    .bind(&r.password_hash)
    .bind(&r.terms_id)
    .bind(r.remind_at)
    .bind(search_key(&r.recipient_name))
    .bind(&r.portal_id)
    .bind(may_respond(&r.settings)?)
    .bind(&r.record_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<Share>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(get_for_change(db, org_id, id)
        .await?
        .map(|(share, _)| share))
}

/// A share as [`get`] reads it, with its settings exactly as stored: what a change
/// compares against when it writes ([`change_limits`]).
pub async fn get_for_change<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<(Share, Stored)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let row: Option<ShareRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shares s WHERE s.org_id = $1 AND s.id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        let stored = Stored {
            expires_at: r.expires_at,
            max_access_count: r.max_access_count,
            settings: r.settings.clone(),
        };
        Share::try_from(r).map(|s| (s, stored))
    })
    .transpose()
}

/// A share's limits and settings as read, to write a change only over what was read.
#[derive(Clone, Debug)]
pub struct Stored {
    pub expires_at: Option<i64>,
    pub max_access_count: i64,
    /// The settings JSON, byte for byte.
    pub settings: String,
}

/// `org_id`'s unrevoked shares of `method` sent to `email` (lower-cased), via the
/// `(org_id, recipient_email)` index.
pub async fn unrevoked_for_recipient<'e, E>(
    db: E,
    org_id: &str,
    method: &str,
    email: &str,
) -> Result<Vec<Share>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let rows: Vec<ShareRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shares s WHERE s.org_id = $1 AND s.recipient_email = $2 \
         AND s.method = $3 AND s.revoked_at IS NULL"
    ))
    .bind(org_id)
    .bind(email)
    .bind(method)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(Share::try_from).collect()
}

/// Finds a share by its link selector. The only share lookup without an org id: the
/// selector is how a guest's link names its tenant. Callers must still verify the verifier.
pub async fn find_by_selector<'e, E>(db: E, selector: &str) -> Result<Option<Share>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let row: Option<ShareRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shares s WHERE s.selector = $1"
    ))
    .bind(selector)
    .fetch_optional(db)
    .await?;
    row.map(Share::try_from).transpose()
}

/// The sealed link token of a share, if it has one.
pub async fn sealed_token<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<Vec<u8>>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let sealed: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT token_sealed FROM shares WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(sealed.flatten())
}

/// Counts one access if, at `now_ms`, the share is still openable. Atomic: two opens racing
/// for the last allowed access cannot both win. Returns the new count, or `None` if the
/// share was revoked, expired or used up in the meantime.
pub async fn try_count_access<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<Option<i64>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE shares SET access_count = access_count + 1, last_activity_at = $3 \
         WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL \
           AND (expires_at IS NULL OR expires_at > $3) \
           AND (max_access_count = 0 OR access_count < max_access_count) \
         RETURNING access_count",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(n,)| n))
}

/// Revokes if not already revoked. Returns whether this call did it.
pub async fn revoke<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    by_user: Option<&str>,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE shares SET revoked_at = $3, revoked_by = $4 \
         WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .bind(by_user)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What [`change_limits`] writes.
#[derive(Clone, Debug)]
pub struct Limits {
    pub expires_at: i64,
    pub max_access_count: i64,
    /// The settings JSON.
    pub settings: String,
    pub remind_at: Option<i64>,
    /// Whether the reminder (and the "expired" mark) start over: the expiry moved.
    pub reset_reminder: bool,
    /// Whether the share is active under the new limits (its "expired" mark is cleared,
    /// so a later expiry is recorded again).
    pub active: bool,
}

/// Changes an unrevoked share's expiry, access limit and settings. Returns whether it did
/// (false: no such share, or revoked meanwhile).
pub async fn change_limits<'e, E>(
    db: E,
    org_id: &str,
    id: &str,
    was: &Stored,
    l: &Limits,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    // Written only over what the change was planned from: a concurrent change (another
    // admin, a renewal, a review) makes this one update nothing instead of undoing it.
    let done = sqlx::query(
        "UPDATE shares SET expires_at = $3, max_access_count = $4, settings = $5, \
         remind_at = $6, \
         reminder_sent_at = CASE WHEN $7 = 1 THEN NULL ELSE reminder_sent_at END, \
         expired_at = CASE WHEN $8 = 1 THEN NULL ELSE expired_at END, may_respond = $9 \
         WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL \
           AND settings = $10 AND max_access_count = $11 \
           AND (expires_at = $12 OR (expires_at IS NULL AND $13 = 1))",
    )
    .bind(org_id)
    .bind(id)
    .bind(l.expires_at)
    .bind(l.max_access_count)
    .bind(&l.settings)
    .bind(l.remind_at)
    .bind(i64::from(l.reset_reminder))
    .bind(i64::from(l.active))
    .bind(may_respond(&l.settings)?)
    .bind(&was.settings)
    .bind(was.max_access_count)
    .bind(was.expires_at.unwrap_or(i64::MIN))
    .bind(i64::from(was.expires_at.is_none()))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that the share has expired, once. Returns whether this call recorded it
/// (so the "share expired" audit event is written exactly once).
pub async fn mark_expired<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE shares SET expired_at = $3 \
         WHERE org_id = $1 AND id = $2 AND expired_at IS NULL AND revoked_at IS NULL \
           AND ((expires_at IS NOT NULL AND expires_at <= $3) \
             OR (max_access_count > 0 AND access_count >= max_access_count))",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Shares whose expiry reminder is due and not yet sent (still active).
pub async fn due_for_reminder<'e, E>(
    db: E,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<(String, String)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT org_id, id FROM shares WHERE remind_at IS NOT NULL AND remind_at <= $1 \
         AND reminder_sent_at IS NULL AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $1) LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Marks the reminder sent; true only for the one call that did (so it goes out once).
pub async fn mark_reminded<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE shares SET reminder_sent_at = $3 WHERE org_id = $1 AND id = $2 \
         AND reminder_sent_at IS NULL",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Shares that have expired but were not yet marked so, oldest expiry first (for the sweeper).
pub async fn due_for_expiry<'e, E>(db: E, now_ms: i64, limit: i64) -> Result<Vec<(String, String)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT org_id, id FROM shares \
         WHERE expired_at IS NULL AND revoked_at IS NULL \
           AND ((expires_at IS NOT NULL AND expires_at <= $1) \
             OR (max_access_count > 0 AND access_count >= max_access_count)) \
         LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    CreatedAt,
    /// Shares without an expiry date sort after every dated one.
    ExpiresAt,
    AccessCount,
}

impl SortKey {
    fn expr(self) -> &'static str {
        match self {
            SortKey::CreatedAt => "s.created_at",
            SortKey::ExpiresAt => "COALESCE(s.expires_at, 9223372036854775807)",
            SortKey::AccessCount => "s.access_count",
        }
    }
}

/// A keyset position: the sort value and id of the last row of the previous page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyset {
    pub value: i64,
    pub id: String,
}

#[derive(Clone, Debug)]
pub struct ListQuery {
    pub org_id: String,
    pub status: Option<ShareStatus>,
    pub document_id: Option<String>,
    pub created_by: Option<String>,
    /// Prefix of the recipient's email or (case-insensitive) name.
    pub recipient: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<Keyset>,
    /// Just this share (used to render one share with the same joins as the table).
    pub id: Option<String>,
    pub response: Option<ResponseFilter>,
    /// Active shares expiring at or before this time (milliseconds).
    pub expires_before: Option<i64>,
    pub limit: i64,
    pub now_ms: i64,
}

/// The condition that a share (`s`) is active at `now` (a bound parameter): not revoked,
/// not past its expiry, opens left. The one definition the table's filters, the
/// dashboard's counts and review campaigns use.
pub(crate) fn active_sql(now: &str) -> String {
    format!(
        "s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > {now}) \
         AND (s.max_access_count = 0 OR s.access_count < s.max_access_count)"
    )
}

/// The console home's counts of the organisation's shares.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Summary {
    pub active: i64,
    /// Active and expiring at or before the given time.
    pub expiring: i64,
    /// Active, may be answered and has not been.
    pub awaiting_response: i64,
}

/// Counts the organisation's active shares, those expiring by `expiring_by_ms` and those
/// awaiting a response, in one pass over its active shares.
pub async fn summary<'e, E>(
    db: E,
    org_id: &str,
    now_ms: i64,
    expiring_by_ms: i64,
) -> Result<Summary>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT COUNT(*) AS active, \
         COALESCE(SUM(CASE WHEN s.expires_at IS NOT NULL AND s.expires_at <= $3 THEN 1 ELSE 0 END), 0) \
           AS expiring, \
         COALESCE(SUM(CASE WHEN s.may_respond = 1 AND s.response_count = 0 THEN 1 ELSE 0 END), 0) \
           AS awaiting_response \
         FROM shares s WHERE s.org_id = $1 AND {}",
        active_sql("$2")
    ))
    .bind(org_id)
    .bind(now_ms)
    .bind(expiring_by_ms)
    .fetch_one(db)
    .await?)
}

/// The shares table's response filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseFilter {
    /// Its guest has responded at least once.
    Responded,
    /// The share is active, its guest may respond and has not, and it was made at least
    /// this long ago (milliseconds; 0 = any age).
    Awaiting { older_than_ms: i64 },
}

/// A row of the active shares table.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ShareListRow {
    #[sqlx(flatten)]
    pub share: ShareRow,
    pub document_title: String,
    pub creator_name: String,
    pub sort_value: i64,
    /// 1 when a document the share covers has a newer revision than the one it pins, else 0.
    pub revised: i64,
    /// How many responses its guest has sent.
    pub response_count: i64,
    /// 1 when its permission lets the guest respond.
    pub may_respond: i64,
}

/// Whether one of the share's documents has a newer revision (see [`ShareListRow::revised`]).
const REVISED: &str = "(SELECT COUNT(*) FROM (SELECT 1 FROM share_documents sd \
     JOIN documents o ON o.org_id = sd.org_id AND o.id = sd.document_id \
     JOIN documents n ON n.org_id = o.org_id AND n.family_id = o.family_id \
      AND n.revision > o.revision \
     WHERE sd.org_id = s.org_id AND sd.share_id = s.id LIMIT 1) newer)";

/// Recipient searches matching at least this many shares walk the sort order and filter
/// (a page needs few rows when matches are dense); narrower ones collect their matches
/// from the two prefix indexes first (cheap when they are few).
const BROAD_SEARCH: i64 = 5_000;

/// Does the prefix `lo..hi` match at least [`BROAD_SEARCH`] of the organisation's shares?
/// Two index range scans, each stopped at the threshold.
async fn is_broad_search(pool: &sqlx::AnyPool, org_id: &str, lo: &str, hi: &str) -> Result<bool> {
    let (by_email, by_name): (i64, i64) = sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM (SELECT 1 FROM shares WHERE org_id = $1 \
              AND recipient_email >= $2 AND recipient_email < $3 LIMIT $4) e), \
           (SELECT COUNT(*) FROM (SELECT 1 FROM shares WHERE org_id = $1 \
              AND recipient_name_key >= $2 AND recipient_name_key < $3 LIMIT $4) n)",
    )
    .bind(org_id)
    .bind(lo)
    .bind(hi)
    .bind(BROAD_SEARCH)
    .fetch_one(pool)
    .await?;
    Ok(by_email + by_name >= BROAD_SEARCH)
}

pub async fn list(pool: &sqlx::AnyPool, q: &ListQuery) -> Result<Vec<ShareListRow>> {
    let mut sql = Sql::default();
    let org = sql.text_arg(&q.org_id);
    let sort = q.sort.expr();
    sql.push(&format!(
        "SELECT {COLUMNS}, COALESCE(d.title, rc.title) AS document_title, \
         u.display_name AS creator_name, \
         {sort} AS sort_value, {REVISED} AS revised, s.response_count, s.may_respond \
         FROM shares s LEFT JOIN documents d ON d.id = s.document_id AND d.org_id = s.org_id \
         LEFT JOIN records rc ON rc.id = s.record_id AND rc.org_id = s.org_id \
         JOIN users u ON u.id = s.created_by \
         WHERE s.org_id = {org}"
    ));
    if let Some(status) = q.status {
        let now = sql.int_arg(q.now_ms);
        let cond = match status {
            ShareStatus::Revoked => "s.revoked_at IS NOT NULL".to_owned(),
            ShareStatus::Active => active_sql(&now),
            ShareStatus::Expired => format!(
                "s.revoked_at IS NULL AND ((s.expires_at IS NOT NULL AND s.expires_at <= {now}) \
                 OR (s.max_access_count > 0 AND s.access_count >= s.max_access_count))"
            ),
        };
        sql.push(&format!(" AND {cond}"));
    }
    if let Some(before) = q.expires_before {
        let now = sql.int_arg(q.now_ms);
        let p = sql.int_arg(before);
        sql.push(&format!(
            " AND s.expires_at IS NOT NULL AND s.expires_at <= {p} AND {}",
            active_sql(&now)
        ));
    }
    if let Some(doc) = &q.document_id {
        let p = sql.text_arg(doc);
        // Every share of the record, or covering any revision of the document, packages
        // included.
        sql.push(&format!(
            " AND (s.record_id = {p} OR s.id IN (SELECT share_id FROM share_documents \
             WHERE org_id = {org} AND document_id IN (SELECT id FROM documents \
             WHERE org_id = {org} AND family_id = (SELECT family_id FROM documents \
             WHERE org_id = {org} AND id = {p}))))"
        ));
    }
    if let Some(id) = &q.id {
        let p = sql.text_arg(id);
        sql.push(&format!(" AND s.id = {p}"));
    }
    match q.response {
        None => {}
        Some(ResponseFilter::Responded) => {
            sql.push(" AND s.response_count > 0");
        }
        Some(ResponseFilter::Awaiting { older_than_ms }) => {
            // Only shares that can still be answered: not revoked, not expired.
            let before = sql.int_arg(q.now_ms - older_than_ms);
            let now = sql.int_arg(q.now_ms);
            sql.push(&format!(
                " AND s.may_respond = 1 AND s.response_count = 0 AND s.created_at <= {before} \
                 AND {}",
                active_sql(&now)
            ));
        }
    }
    if let Some(user) = &q.created_by {
        let p = sql.text_arg(user);
        sql.push(&format!(" AND s.created_by = {p}"));
    }
    if let Some(text) = q.recipient.as_deref().map(search_key) {
        // "Email or name starts with": `prefix..prefix + U+10FFFF` is "starts with" under
        // bytewise order (see the recipient_search migration).
        let upper = format!("{text}\u{10FFFF}");
        let broad = is_broad_search(pool, &q.org_id, &text, &upper).await?;
        let lo = sql.text_arg(text);
        let hi = sql.text_arg(upper);
        if broad {
            sql.push(&format!(
                " AND ((s.recipient_email >= {lo} AND s.recipient_email < {hi}) \
                 OR (s.recipient_name_key >= {lo} AND s.recipient_name_key < {hi}))"
            ));
        } else {
            // Two index ranges (email, name key), merged by id.
            sql.push(&format!(
                " AND s.id IN (SELECT id FROM shares WHERE org_id = {org} \
                 AND recipient_email >= {lo} AND recipient_email < {hi} \
                 UNION SELECT id FROM shares WHERE org_id = {org} \
                 AND recipient_name_key >= {lo} AND recipient_name_key < {hi})"
            ));
        }
    }
    let (cmp, dir) = if q.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(after) = &q.after {
        let v = sql.int_arg(after.value);
        let id = sql.text_arg(&after.id);
        sql.push(&format!(" AND ({sort}, s.id) {cmp} ({v}, {id})"));
    }
    let limit = sql.int_arg(q.limit);
    sql.push(&format!(" ORDER BY {sort} {dir}, s.id {dir} LIMIT {limit}"));
    sql.query_as()
        .fetch_all(pool)
        .await
        .map_err(StoreError::from)
}
