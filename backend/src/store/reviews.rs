//! Access review campaigns, their items (one per share under review) and the controllers
//! of projects. A reviewer key is a staff user id or `project:<id>` (that project's
//! controllers); a queue reads the items of the keys a person holds.

use sqlx::Executor;

use super::{Result, Sql};
use crate::domain::review::ReviewScope;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// JSON [`ReviewScope`].
    pub scope: String,
    pub reviewer_rule: String,
    pub reviewer_id: Option<String>,
    pub default_action: String,
    pub recurrence: String,
    pub no_response_days: i64,
    pub due_at: i64,
    pub remind_at: Option<i64>,
    pub status: String,
    pub created_by: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub series_id: String,
    pub item_count: i64,
}

const CAMPAIGN_COLUMNS: &str = "c.id, c.org_id, c.name, c.scope, c.reviewer_rule, \
    c.reviewer_id, c.default_action, c.recurrence, c.no_response_days, c.due_at, c.remind_at, \
    c.status, c.created_by, c.created_at, c.closed_at, c.series_id, c.item_count";

/// A campaign with how many of its items are still undecided.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CampaignListRow {
    #[sqlx(flatten)]
    pub campaign: CampaignRow,
    pub pending: i64,
    pub created_by_name: String,
}

pub async fn insert_campaign<'e, E>(db: E, c: &CampaignRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO review_campaigns (id, org_id, name, scope, reviewer_rule, reviewer_id, \
         default_action, recurrence, no_response_days, due_at, remind_at, status, created_by, \
         created_at, series_id, item_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, $13, $14, 0)",
    )
    .bind(&c.id)
    .bind(&c.org_id)
    .bind(&c.name)
    .bind(&c.scope)
    .bind(&c.reviewer_rule)
    .bind(&c.reviewer_id)
    .bind(&c.default_action)
    .bind(&c.recurrence)
    .bind(c.no_response_days)
    .bind(c.due_at)
    .bind(c.remind_at)
    .bind(&c.created_by)
    .bind(c.created_at)
    .bind(&c.series_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Who reviews a share, as SQL over `s` (the share), `d` (its document) and `u` (its
/// creator): the rule's reviewer, or `fallback` (the campaign's creator) where the rule
/// finds nobody — a disabled creator, a document in no project or a project without
/// controllers.
fn reviewer_expr(sql: &mut Sql, rule: &str, named: Option<&str>, fallback: &str) -> String {
    let fallback = sql.text_arg(fallback);
    match (rule, named) {
        ("named", Some(id)) => {
            let id = sql.text_arg(id);
            format!(
                "CASE WHEN EXISTS (SELECT 1 FROM users nu WHERE nu.org_id = s.org_id \
                 AND nu.id = {id} AND {REVIEWS}) THEN {id} ELSE {fallback} END",
                REVIEWS = may_review("nu")
            )
        }
        ("project_controllers", _) => format!(
            "CASE WHEN COALESCE(d.project_id, rc.project_id) IS NOT NULL AND EXISTS (SELECT 1 FROM project_controllers pc \
             JOIN users pu ON pu.id = pc.user_id AND pu.org_id = pc.org_id \
             WHERE pc.org_id = s.org_id AND pc.project_id = COALESCE(d.project_id, rc.project_id) AND {}) \
             THEN ('project:' || COALESCE(d.project_id, rc.project_id)) ELSE {fallback} END",
            may_review("pu")
        ),
        _ => format!(
            "CASE WHEN {} THEN s.created_by ELSE {fallback} END",
            may_review("u")
        ),
    }
}

/// SQL: the account `alias` is active and its role reviews (administrators and document
/// controllers: `Action::ReviewShares` in the role matrix).
fn may_review(alias: &str) -> String {
    format!("{alias}.disabled_at IS NULL AND {alias}.role IN ('admin', 'controller')")
}

/// Puts every active share of the campaign's scope into its queue in one statement and
/// returns how many.
#[allow(clippy::too_many_arguments)]
pub async fn fill_items<'e, E>(
    db: E,
    org_id: &str,
    campaign_id: &str,
    scope: &ReviewScope,
    rule: &str,
    named: Option<&str>,
    fallback: &str,
    now_ms: i64,
) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let mut sql = Sql::default();
    let campaign = sql.text_arg(campaign_id);
    let reviewer = reviewer_expr(&mut sql, rule, named, fallback);
    let org = sql.text_arg(org_id);
    let now = sql.int_arg(now_ms);
    sql.push(&format!(
        "INSERT INTO review_items (campaign_id, share_id, org_id, reviewer, pending) \
         SELECT {campaign}, s.id, s.org_id, {reviewer}, 1 FROM shares s \
         LEFT JOIN documents d ON d.id = s.document_id AND d.org_id = s.org_id \
         LEFT JOIN records rc ON rc.id = s.record_id AND rc.org_id = s.org_id \
         JOIN users u ON u.id = s.created_by AND u.org_id = s.org_id \
         WHERE s.org_id = {org} AND {}",
        super::shares::active_sql(&now)
    ));
    if let Some(p) = &scope.project_id {
        let p = sql.text_arg(p);
        sql.push(&format!(" AND COALESCE(d.project_id, rc.project_id) = {p}"));
    }
    if let Some(p) = &scope.partner_id {
        let p = sql.text_arg(p);
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM partner_domains pd WHERE pd.org_id = s.org_id \
             AND pd.partner_id = {p} AND s.recipient_email LIKE ('%@' || pd.domain))"
        ));
    }
    if let Some(t) = scope.tlp {
        let t = sql.text_arg(t.as_str());
        sql.push(&format!(" AND s.tlp = {t}"));
    }
    if let Some(u) = &scope.created_by {
        let u = sql.text_arg(u);
        sql.push(&format!(" AND s.created_by = {u}"));
    }
    if let Some(before) = scope.created_before_ms {
        let b = sql.int_arg(before);
        sql.push(&format!(" AND s.created_at < {b}"));
    }
    Ok(sql.query().execute(db).await?.rows_affected())
}

/// Records how many items a new campaign has (all of them undecided).
pub async fn set_item_count<'e, E>(db: E, org_id: &str, id: &str, n: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE review_campaigns SET item_count = $3, pending_count = $3 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(n)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get_campaign<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<CampaignListRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {CAMPAIGN_COLUMNS}, c.pending_count AS pending, u.display_name AS created_by_name \
         FROM review_campaigns c JOIN users u ON u.id = c.created_by AND u.org_id = c.org_id \
         WHERE c.org_id = $1 AND c.id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The organisation's campaigns, open first by due date, then the closed newest first.
/// `keys`: only campaigns with items for these reviewer keys (`None`: all).
pub async fn list_campaigns(
    pool: &sqlx::AnyPool,
    org_id: &str,
    keys: Option<&[String]>,
    limit: i64,
) -> Result<Vec<CampaignListRow>> {
    let mut sql = Sql::default();
    let org = sql.text_arg(org_id);
    sql.push(&format!(
        "SELECT {CAMPAIGN_COLUMNS}, c.pending_count AS pending, u.display_name AS created_by_name \
         FROM review_campaigns c JOIN users u ON u.id = c.created_by AND u.org_id = c.org_id \
         WHERE c.org_id = {org}"
    ));
    if let Some(keys) = keys {
        let list = in_list(&mut sql, keys);
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM review_items i WHERE i.campaign_id = c.id \
             AND i.org_id = c.org_id AND i.reviewer IN ({list}))"
        ));
    }
    let limit = sql.int_arg(limit);
    sql.push(&format!(
        " ORDER BY CASE WHEN c.status = 'open' THEN 0 ELSE 1 END, \
         CASE WHEN c.status = 'open' THEN c.due_at ELSE -c.created_at END, c.id LIMIT {limit}"
    ));
    Ok(sql.query_as().fetch_all(pool).await?)
}

/// `$a, $b, …` for `keys`; never empty (an impossible key stands in for none).
fn in_list(sql: &mut Sql, keys: &[String]) -> String {
    if keys.is_empty() {
        return sql.text_arg("\u{0}none");
    }
    keys.iter()
        .map(|k| sql.text_arg(k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One share in a queue, with what its row and flags need.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct QueueRow {
    pub share_id: String,
    pub reviewer: String,
    /// The reviewer's name, or "Controllers of <project>".
    pub reviewer_name: String,
    pub pending: i64,
    pub decision: Option<String>,
    pub reason: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub recipient_name: String,
    pub recipient_email: String,
    pub document_title: String,
    pub creator_name: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub access_count: i64,
    pub max_access_count: i64,
    pub tlp: String,
    pub may_respond: i64,
    pub response_count: i64,
    /// 1 when the recipient's email domain belongs to a partner.
    pub in_partner_domain: i64,
}

/// Which items of a queue to read.
#[derive(Clone, Debug, Default)]
pub struct QueueQuery {
    pub campaign_id: String,
    /// Reviewer keys (`None`: every item, for administrators).
    pub keys: Option<Vec<String>>,
    /// `Some(true)`: undecided only; `Some(false)`: decided only.
    pub pending: Option<bool>,
    /// Keyset: items after this share id.
    pub after: Option<String>,
    pub limit: i64,
}

/// A page of a queue in share id order (keyset), each item with its share's facts.
pub async fn queue(pool: &sqlx::AnyPool, org_id: &str, q: &QueueQuery) -> Result<Vec<QueueRow>> {
    let mut sql = Sql::default();
    let campaign = sql.text_arg(q.campaign_id.as_str());
    let org = sql.text_arg(org_id);
    sql.push(&format!(
        "SELECT i.share_id, i.reviewer, \
         COALESCE(ru.display_name, 'Controllers of ' || rp.name, i.reviewer) AS reviewer_name, \
         i.pending, i.decision, i.reason, \
         du.display_name AS decided_by_name, i.decided_at, s.recipient_name, s.recipient_email, \
         COALESCE(d.title, rc.title) AS document_title, cu.display_name AS creator_name, s.created_by, s.created_at, \
         s.expires_at, s.revoked_at, s.access_count, s.max_access_count, s.tlp, s.may_respond, \
         s.response_count, \
         CASE WHEN EXISTS (SELECT 1 FROM partner_domains pd WHERE pd.org_id = s.org_id \
           AND s.recipient_email LIKE ('%@' || pd.domain)) THEN 1 ELSE 0 END AS in_partner_domain \
         FROM review_items i \
         JOIN shares s ON s.id = i.share_id AND s.org_id = i.org_id \
         LEFT JOIN documents d ON d.id = s.document_id AND d.org_id = s.org_id \
         LEFT JOIN records rc ON rc.id = s.record_id AND rc.org_id = s.org_id \
         JOIN users cu ON cu.id = s.created_by AND cu.org_id = s.org_id \
         LEFT JOIN users du ON du.id = i.decided_by AND du.org_id = i.org_id \
         LEFT JOIN users ru ON ru.id = i.reviewer AND ru.org_id = i.org_id \
         LEFT JOIN projects rp ON rp.org_id = i.org_id AND i.reviewer = ('project:' || rp.id) \
         WHERE i.campaign_id = {campaign} AND i.org_id = {org}"
    ));
    if let Some(keys) = &q.keys {
        let list = in_list(&mut sql, keys);
        sql.push(&format!(" AND i.reviewer IN ({list})"));
    }
    if let Some(p) = q.pending {
        let p = sql.int_arg(i64::from(p));
        sql.push(&format!(" AND i.pending = {p}"));
    }
    if let Some(after) = &q.after {
        let a = sql.text_arg(after.as_str());
        sql.push(&format!(" AND i.share_id > {a}"));
    }
    let limit = sql.int_arg(q.limit);
    sql.push(&format!(" ORDER BY i.share_id LIMIT {limit}"));
    Ok(sql.query_as().fetch_all(pool).await?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ItemRow {
    pub campaign_id: String,
    pub share_id: String,
    pub reviewer: String,
    pub pending: i64,
    pub decision: Option<String>,
}

pub async fn item<'e, E>(
    db: E,
    org_id: &str,
    campaign_id: &str,
    share_id: &str,
) -> Result<Option<ItemRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT campaign_id, share_id, reviewer, pending, decision FROM review_items \
         WHERE org_id = $1 AND campaign_id = $2 AND share_id = $3",
    )
    .bind(org_id)
    .bind(campaign_id)
    .bind(share_id)
    .fetch_optional(db)
    .await?)
}

/// Decides an undecided item and counts it off its campaign; `by` = `None` for the
/// campaign's default action. `false`: it was decided meanwhile.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    tx: &mut super::Tx,
    org_id: &str,
    campaign_id: &str,
    share_id: &str,
    decision: &str,
    reason: &str,
    by: Option<&str>,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE review_items SET pending = 0, decision = $3, reason = $4, decided_by = $5, \
         decided_at = $6 WHERE campaign_id = $1 AND share_id = $2 AND pending = 1 AND org_id = $7",
    )
    .bind(campaign_id)
    .bind(share_id)
    .bind(decision)
    .bind(reason)
    .bind(by)
    .bind(now_ms)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    count_off(tx, org_id, campaign_id, 1).await?;
    Ok(true)
}

async fn count_off(tx: &mut super::Tx, org_id: &str, campaign_id: &str, n: i64) -> Result<()> {
    sqlx::query(
        "UPDATE review_campaigns SET pending_count = pending_count - $3 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(campaign_id)
    .bind(n)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gives every undecided item of a campaign the decision `keep` in one statement (a
/// default "keep" changes no share). Returns how many.
pub async fn keep_pending(
    tx: &mut super::Tx,
    org_id: &str,
    campaign_id: &str,
    reason: &str,
    now_ms: i64,
) -> Result<u64> {
    let n = sqlx::query(
        "UPDATE review_items SET pending = 0, decision = 'keep', reason = $2, decided_at = $3 \
         WHERE campaign_id = $1 AND pending = 1 AND org_id = $4",
    )
    .bind(campaign_id)
    .bind(reason)
    .bind(now_ms)
    .bind(org_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    count_off(tx, org_id, campaign_id, n as i64).await?;
    Ok(n)
}

/// Up to `limit` undecided share ids of a campaign.
pub async fn pending_shares<'e, E>(
    db: E,
    org_id: &str,
    campaign_id: &str,
    limit: i64,
) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT share_id FROM review_items WHERE campaign_id = $1 AND pending = 1 \
         AND org_id = $3 ORDER BY share_id LIMIT $2",
    )
    .bind(campaign_id)
    .bind(limit)
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Undecided items per reviewer key of a campaign.
pub async fn pending_by_reviewer<'e, E>(
    db: E,
    org_id: &str,
    campaign_id: &str,
) -> Result<Vec<(String, i64)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT reviewer, COUNT(*) FROM review_items WHERE campaign_id = $1 AND pending = 1 \
         AND org_id = $2 GROUP BY reviewer ORDER BY reviewer",
    )
    .bind(campaign_id)
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Decisions of a campaign by kind and by whom: (decision, auto-applied, count).
pub async fn outcome<'e, E>(
    db: E,
    org_id: &str,
    campaign_id: &str,
) -> Result<Vec<(String, i64, i64)>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT decision, CASE WHEN decided_by IS NULL THEN 1 ELSE 0 END AS auto, COUNT(*) \
         FROM review_items WHERE campaign_id = $1 AND pending = 0 AND org_id = $2 \
         GROUP BY decision, CASE WHEN decided_by IS NULL THEN 1 ELSE 0 END ORDER BY 1, 2",
    )
    .bind(campaign_id)
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Open campaigns past their due date, of every organisation (the sweeper's work).
pub async fn due<'e, E>(db: E, now_ms: i64, limit: i64) -> Result<Vec<CampaignRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM review_campaigns c WHERE c.status = 'open' \
         AND c.due_at <= $1 ORDER BY c.due_at LIMIT $2"
    ))
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Open campaigns whose reminder is due, of every organisation.
pub async fn reminders_due<'e, E>(db: E, now_ms: i64, limit: i64) -> Result<Vec<CampaignRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM review_campaigns c WHERE c.remind_at IS NOT NULL \
         AND c.remind_at <= $1 AND c.status = 'open' ORDER BY c.remind_at LIMIT $2"
    ))
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Marks a campaign's reminder sent. `false`: another node sent it.
pub async fn take_reminder<'e, E>(db: E, org_id: &str, id: &str, remind_at: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE review_campaigns SET remind_at = NULL WHERE id = $1 AND remind_at = $2 \
             AND org_id = $3",
    )
    .bind(id)
    .bind(remind_at)
    .bind(org_id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Closes an open campaign. `false`: it was closed already.
pub async fn close<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE review_campaigns SET status = 'closed', closed_at = $3, remind_at = NULL \
         WHERE org_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// A series' first due date and how many runs it has had.
pub async fn series<'e, E>(db: E, org_id: &str, series_id: &str) -> Result<(i64, i64)>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT MIN(due_at), COUNT(*) FROM review_campaigns WHERE org_id = $1 AND series_id = $2",
    )
    .bind(org_id)
    .bind(series_id)
    .fetch_one(db)
    .await?)
}

/// Stops a series: the open run closes as usual, and no next run starts.
pub async fn stop_series<'e, E>(db: E, org_id: &str, series_id: &str) -> Result<u64>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE review_campaigns SET recurrence = 'once' WHERE org_id = $1 AND series_id = $2",
    )
    .bind(org_id)
    .bind(series_id)
    .execute(db)
    .await?
    .rows_affected())
}

/// An active administrator of the organisation (the longest-standing), if any: who a
/// recurring review's next run is started for when its creator no longer can.
pub async fn an_active_admin<'e, E>(db: E, org_id: &str) -> Result<Option<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT id FROM users WHERE org_id = $1 AND role = 'admin' AND disabled_at IS NULL \
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(org_id)
    .fetch_optional(db)
    .await?)
}

/// Makes an open campaign due now. `false`: it is closed.
pub async fn bring_due<'e, E>(db: E, org_id: &str, id: &str, now_ms: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE review_campaigns SET due_at = $3, remind_at = NULL \
         WHERE org_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(org_id)
    .bind(id)
    .bind(now_ms)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Undecided items in the organisation's open campaigns for these reviewer keys.
pub async fn pending_for(pool: &sqlx::AnyPool, org_id: &str, keys: &[String]) -> Result<i64> {
    let mut sql = Sql::default();
    let org = sql.text_arg(org_id);
    let list = in_list(&mut sql, keys);
    sql.push(&format!(
        "SELECT COUNT(*) FROM review_items i \
         JOIN review_campaigns c ON c.id = i.campaign_id AND c.org_id = i.org_id \
         WHERE c.org_id = {org} AND c.status = 'open' AND i.pending = 1 AND i.reviewer IN ({list})"
    ));
    let (n,): (i64,) = sql.query_as().fetch_one(pool).await?;
    Ok(n)
}

/// The projects `user_id` is a controller of.
pub async fn projects_of<'e, E>(db: E, org_id: &str, user_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT project_id FROM project_controllers WHERE org_id = $1 AND user_id = $2 \
         ORDER BY project_id",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_all(db)
    .await?)
}

/// The active staff who control a project (their ids).
pub async fn controllers_of<'e, E>(db: E, org_id: &str, project_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT pc.user_id FROM project_controllers pc \
         JOIN users u ON u.id = pc.user_id AND u.org_id = pc.org_id \
         WHERE pc.org_id = $1 AND pc.project_id = $2 AND u.disabled_at IS NULL ORDER BY pc.user_id",
    )
    .bind(org_id)
    .bind(project_id)
    .fetch_all(db)
    .await?)
}

/// Replaces a project's controllers.
pub async fn set_controllers(
    tx: &mut super::Tx,
    org_id: &str,
    project_id: &str,
    users: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM project_controllers WHERE org_id = $1 AND project_id = $2")
        .bind(org_id)
        .bind(project_id)
        .execute(&mut **tx)
        .await?;
    for u in users {
        sqlx::query(
            "INSERT INTO project_controllers (org_id, project_id, user_id) VALUES ($1, $2, $3)",
        )
        .bind(org_id)
        .bind(project_id)
        .bind(u)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
