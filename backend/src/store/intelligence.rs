//! 28 CFR Part 23: flags on documents and records, review decisions and the dissemination
//! record. A dissemination row names its share and item by id and copies their titles,
//! with no foreign key, so it is kept when they are purged.

use sqlx::Executor;

use super::Result;

/// A flag as stored; the codes are [`crate::domain::intelligence`]'s.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FlagRow {
    pub org_id: String,
    /// document (a family id) or record.
    pub item_kind: String,
    pub item_id: String,
    pub title: String,
    pub submitting_agency: String,
    pub reliability: String,
    pub validity: String,
    pub submitted_at: i64,
    pub review_due: i64,
    pub flagged_by: String,
    pub updated_at: i64,
    pub purged_at: Option<i64>,
}

const FLAG_COLUMNS: &str = "org_id, item_kind, item_id, title, submitting_agency, reliability, \
    validity, submitted_at, review_due, flagged_by, updated_at, purged_at";

/// Inserts a flag or replaces the flags of an item that is not purged; `false` when the
/// item was purged (a purged item is never flagged again).
pub async fn upsert_flag<'e, E>(db: E, f: &FlagRow) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "INSERT INTO intel_flags (org_id, item_kind, item_id, title, submitting_agency, \
         reliability, validity, submitted_at, review_due, flagged_by, updated_at, purged_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL) \
         ON CONFLICT (org_id, item_kind, item_id) DO UPDATE SET title = excluded.title, \
         submitting_agency = excluded.submitting_agency, reliability = excluded.reliability, \
         validity = excluded.validity, submitted_at = excluded.submitted_at, \
         review_due = excluded.review_due, updated_at = excluded.updated_at \
         WHERE intel_flags.purged_at IS NULL",
    )
    .bind(&f.org_id)
    .bind(&f.item_kind)
    .bind(&f.item_id)
    .bind(&f.title)
    .bind(&f.submitting_agency)
    .bind(&f.reliability)
    .bind(&f.validity)
    .bind(f.submitted_at)
    .bind(f.review_due)
    .bind(&f.flagged_by)
    .bind(f.updated_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the organisation has any flag at all (purged ones included: a purged item
/// must stay closed).
pub async fn any_live<'e, E>(db: E, org_id: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM intel_flags WHERE org_id = $1 LIMIT 1")
            .bind(org_id)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

/// Removes the flag of an item that is not purged.
pub async fn remove_flag<'e, E>(db: E, org_id: &str, kind: &str, id: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "DELETE FROM intel_flags WHERE org_id = $1 AND item_kind = $2 AND item_id = $3 \
         AND purged_at IS NULL",
    )
    .bind(org_id)
    .bind(kind)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn flag<'e, E>(db: E, org_id: &str, kind: &str, id: &str) -> Result<Option<FlagRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {FLAG_COLUMNS} FROM intel_flags WHERE org_id = $1 AND item_kind = $2 \
         AND item_id = $3"
    ))
    .bind(org_id)
    .bind(kind)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The flags among `ids` of one kind (a share's items), live or purged.
pub async fn flags_of<'e, E>(
    db: E,
    org_id: &str,
    kind: crate::domain::intelligence::IntelItemKind,
    ids: &[&str],
) -> Result<Vec<FlagRow>>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
{
    // The kind is the vocabulary's own text, never input.
    super::sql::for_ids(
        db,
        org_id,
        ids,
        &format!(
            "SELECT {FLAG_COLUMNS} FROM intel_flags WHERE org_id = $1 AND item_kind = '{}' \
             AND item_id IN ({{ids}})",
            kind.as_str()
        ),
    )
    .await
}

/// The first `limit` live flags, the soonest review first; with `due_by`, only those due
/// by then.
pub async fn flags<'e, E>(
    db: E,
    org_id: &str,
    due_by: Option<i64>,
    limit: usize,
) -> Result<Vec<FlagRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {FLAG_COLUMNS} FROM intel_flags WHERE org_id = $1 AND purged_at IS NULL \
         AND review_due <= $2 ORDER BY review_due, item_id LIMIT $3"
    ))
    .bind(org_id)
    .bind(due_by.unwrap_or(i64::MAX))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(db)
    .await?)
}

/// Sets the next review of a live flag (a review that retained it).
pub async fn set_review_due<'e, E>(
    db: E,
    org_id: &str,
    kind: &str,
    id: &str,
    due: i64,
    now: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE intel_flags SET review_due = $4, updated_at = $5 WHERE org_id = $1 \
         AND item_kind = $2 AND item_id = $3 AND purged_at IS NULL",
    )
    .bind(org_id)
    .bind(kind)
    .bind(id)
    .bind(due)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a live flag purged; `false` when it was not live (a concurrent purge won).
pub async fn mark_purged<'e, E>(db: E, org_id: &str, kind: &str, id: &str, now: i64) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE intel_flags SET purged_at = $4, updated_at = $4 WHERE org_id = $1 \
         AND item_kind = $2 AND item_id = $3 AND purged_at IS NULL",
    )
    .bind(org_id)
    .bind(kind)
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: String,
    pub org_id: String,
    pub item_kind: String,
    pub item_id: String,
    /// [`crate::domain::intelligence::ReviewDecision`]
    pub decision: String,
    pub reason: String,
    pub reviewer: String,
    pub decided_at: i64,
    pub next_due: Option<i64>,
}

pub async fn insert_review<'e, E>(db: E, r: &ReviewRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO intel_reviews (id, org_id, item_kind, item_id, decision, reason, reviewer, \
         decided_at, next_due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.item_kind)
    .bind(&r.item_id)
    .bind(&r.decision)
    .bind(&r.reason)
    .bind(&r.reviewer)
    .bind(r.decided_at)
    .bind(r.next_due)
    .execute(db)
    .await?;
    Ok(())
}

/// An item's reviews, the latest first.
pub async fn reviews<'e, E>(db: E, org_id: &str, kind: &str, id: &str) -> Result<Vec<ReviewRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, item_kind, item_id, decision, reason, reviewer, decided_at, \
         next_due FROM intel_reviews WHERE org_id = $1 AND item_kind = $2 AND item_id = $3 \
         ORDER BY decided_at DESC, id DESC",
    )
    .bind(org_id)
    .bind(kind)
    .bind(id)
    .fetch_all(db)
    .await?)
}

/// One recipient's receipt of one flagged item.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DisseminationRow {
    pub id: String,
    pub org_id: String,
    pub share_id: String,
    pub item_kind: String,
    pub item_id: String,
    pub item_title: String,
    pub submitting_agency: String,
    pub reliability: String,
    pub validity: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub partner_id: String,
    pub partner_name: String,
    pub justification: String,
    pub shared_by: String,
    pub shared_by_name: String,
    pub shared_at: i64,
}

const DISSEMINATION_COLUMNS: &str = "id, org_id, share_id, item_kind, item_id, item_title, \
    submitting_agency, reliability, validity, recipient_name, recipient_email, partner_id, \
    partner_name, justification, shared_by, shared_by_name, shared_at";

pub async fn insert_dissemination<'e, E>(db: E, d: &DisseminationRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO disseminations ({DISSEMINATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(&d.id)
    .bind(&d.org_id)
    .bind(&d.share_id)
    .bind(&d.item_kind)
    .bind(&d.item_id)
    .bind(&d.item_title)
    .bind(&d.submitting_agency)
    .bind(&d.reliability)
    .bind(&d.validity)
    .bind(&d.recipient_name)
    .bind(&d.recipient_email)
    .bind(&d.partner_id)
    .bind(&d.partner_name)
    .bind(&d.justification)
    .bind(&d.shared_by)
    .bind(&d.shared_by_name)
    .bind(d.shared_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Whether share `share_id` has a dissemination record of the item to a partner that is
/// still an enabled law-enforcement agency.
pub async fn cleared<'e, E>(
    db: E,
    org_id: &str,
    share_id: &str,
    kind: &str,
    item_id: &str,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM disseminations x JOIN partners p ON p.id = x.partner_id \
         AND p.org_id = x.org_id WHERE x.org_id = $1 AND x.share_id = $2 \
         AND x.item_kind = $3 AND x.item_id = $4 AND p.law_enforcement = 1 \
         AND p.disabled_at IS NULL",
    )
    .bind(org_id)
    .bind(share_id)
    .bind(kind)
    .bind(item_id)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// The dissemination record between `from` and `to` (ms, `to` exclusive), newest first;
/// with `item`, only that item's.
pub async fn disseminations<'e, E>(
    db: E,
    org_id: &str,
    from: i64,
    to: i64,
    item: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<DisseminationRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let (kind, id) = item.unwrap_or(("", ""));
    Ok(sqlx::query_as(&format!(
        "SELECT {DISSEMINATION_COLUMNS} FROM disseminations WHERE org_id = $1 \
         AND shared_at >= $2 AND shared_at < $3 AND ($4 = '' OR (item_kind = $4 AND item_id = $5)) \
         ORDER BY shared_at DESC, id DESC LIMIT $6"
    ))
    .bind(org_id)
    .bind(from)
    .bind(to)
    .bind(kind)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// What a purge shows in place of an item's title.
pub const PURGED_TITLE: &str = "Purged (28 CFR Part 23)";

/// The live shares that carry a document family: directly, in a bundle, or through a
/// record it is attached to.
pub async fn shares_carrying_document<'e, E>(
    db: E,
    org_id: &str,
    family: &str,
) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT id FROM shares WHERE org_id = $1 AND revoked_at IS NULL AND ( \
           document_id IN (SELECT id FROM documents WHERE org_id = $1 AND COALESCE(family_id, id) = $2) \
           OR id IN (SELECT share_id FROM share_documents WHERE org_id = $1 AND document_id IN \
             (SELECT id FROM documents WHERE org_id = $1 AND COALESCE(family_id, id) = $2)) \
           OR record_id IN (SELECT record_id FROM record_documents WHERE org_id = $1 AND family_id = $2)) \
         ORDER BY id",
    )
    .bind(org_id)
    .bind(family)
    .fetch_all(db)
    .await?)
}

/// The live shares that carry a record: its own, and those of records that link to it or
/// name it in their history.
pub async fn shares_carrying_record<'e, E>(db: E, org_id: &str, id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT id FROM shares WHERE org_id = $1 AND revoked_at IS NULL AND ( \
           record_id = $2 \
           OR record_id IN (SELECT record_id FROM record_links WHERE org_id = $1 AND target_id = $2) \
           OR record_id IN (SELECT record_id FROM record_events WHERE org_id = $1 \
                            AND (holder_id = $2 OR location_id = $2))) \
         ORDER BY id",
    )
    .bind(org_id)
    .bind(id)
    .fetch_all(db)
    .await?)
}

/// Deletes a document family's content: every revision's descriptive data and file
/// reference, its comments' text (each deletion numbered as any other), its attachment to records. Returns the file keys it
/// held (the caller deletes the files once the transaction commits).
pub async fn purge_document(
    tx: &mut super::Tx,
    org_id: &str,
    family: &str,
    now: i64,
) -> Result<Vec<String>> {
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT blob_key FROM documents WHERE org_id = $1 AND COALESCE(family_id, id) = $2 \
         AND blob_key <> ''",
    )
    .bind(org_id)
    .bind(family)
    .fetch_all(&mut **tx)
    .await?;
    // Each comment's deletion takes its document's next change number, as any deletion
    // does, so staff following the document learn of it.
    let live: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, document_id FROM comments WHERE org_id = $1 AND deleted_at IS NULL \
         AND document_id IN (SELECT id FROM documents WHERE org_id = $1 \
         AND COALESCE(family_id, id) = $2) ORDER BY rev",
    )
    .bind(org_id)
    .bind(family)
    .fetch_all(&mut **tx)
    .await?;
    let mut touched: Vec<&str> = Vec::new();
    for (id, document_id) in &live {
        let rev = super::comments::next_rev(tx, org_id, document_id).await?;
        super::comments::mark_deleted(tx, org_id, id, "moderator", rev, now).await?;
        if !touched.contains(&document_id.as_str()) {
            touched.push(document_id);
        }
    }
    for document_id in touched {
        tx.note(super::Committed::Comments {
            org_id: org_id.to_owned(),
            document_id: document_id.to_owned(),
        });
    }
    sqlx::query("DELETE FROM record_documents WHERE org_id = $1 AND family_id = $2")
        .bind(org_id)
        .bind(family)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE documents SET title = $3, file_name = 'purged', size_bytes = 0, sha256 = '', \
         blob_key = '', number = NULL WHERE org_id = $1 AND COALESCE(family_id, id) = $2",
    )
    .bind(org_id)
    .bind(family)
    .bind(PURGED_TITLE)
    .execute(&mut **tx)
    .await?;
    Ok(keys)
}

/// Deletes a record's content: its fields, marks, reference, history and links (both
/// ways), and detaches its documents (a document is purged under its own flag); the row
/// stays as a tombstone others' history may name.
pub async fn purge_record(tx: &mut super::Tx, org_id: &str, id: &str, now: i64) -> Result<()> {
    for sql in [
        "DELETE FROM record_events WHERE org_id = $1 AND record_id = $2",
        "DELETE FROM record_links WHERE org_id = $1 AND (record_id = $2 OR target_id = $2)",
        "DELETE FROM record_documents WHERE org_id = $1 AND record_id = $2",
    ] {
        sqlx::query(sql)
            .bind(org_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "UPDATE records SET title = $3, reference = NULL, fields = '{}', redacted = '[]', \
         version = version + 1, updated_at = $4 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(PURGED_TITLE)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
