//! A portal's sections and the items placed in them (the `portal_structure` migration).
//! Positions order sections within their portal and items within their section; they
//! need not be consecutive, only distinct. An item is in at most one section of a portal
//! (the primary key).

use sqlx::Executor;

use super::Result;
use crate::domain::ItemKind;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SectionRow {
    pub id: String,
    pub org_id: String,
    pub portal_id: String,
    pub name: String,
    pub position: i64,
    pub created_at: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PlacedRow {
    pub portal_id: String,
    pub section_id: String,
    #[sqlx(try_from = "String")]
    pub item_kind: ItemKind,
    pub item_id: String,
    pub position: i64,
}

const SECTION_COLUMNS: &str = "id, org_id, portal_id, name, position, created_at";
const PLACED_COLUMNS: &str = "portal_id, section_id, item_kind, item_id, position";

/// The sections of the given portals of `org_id`, each portal's in order.
pub async fn list<'e, E>(db: E, org_id: &str, portal_ids: &[&str]) -> Result<Vec<SectionRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    if portal_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = placeholders(2, portal_ids.len());
    let sql = format!(
        "SELECT {SECTION_COLUMNS} FROM portal_sections WHERE org_id = $1 AND portal_id IN ({marks}) \
         ORDER BY portal_id, position, id"
    );
    let mut q = sqlx::query_as(&sql).bind(org_id);
    for p in portal_ids {
        q = q.bind(*p);
    }
    Ok(q.fetch_all(db).await?)
}

/// The items placed in the given portals of `org_id`, each section's in order.
pub async fn placed<'e, E>(db: E, org_id: &str, portal_ids: &[&str]) -> Result<Vec<PlacedRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    if portal_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = placeholders(2, portal_ids.len());
    let sql = format!(
        "SELECT {PLACED_COLUMNS} FROM portal_section_items \
         WHERE org_id = $1 AND portal_id IN ({marks}) ORDER BY section_id, position"
    );
    let mut q = sqlx::query_as(&sql).bind(org_id);
    for p in portal_ids {
        q = q.bind(*p);
    }
    Ok(q.fetch_all(db).await?)
}

fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn get<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<SectionRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {SECTION_COLUMNS} FROM portal_sections WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Inserts `s` at the end of its portal's sections (its `position` is ignored).
pub async fn insert<'e, E>(db: E, s: &SectionRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO portal_sections (id, org_id, portal_id, name, position, created_at) \
         SELECT $1, $2, $3, $4, COALESCE(MAX(position), 0) + 1, $5 FROM portal_sections \
         WHERE portal_id = $3",
    )
    .bind(&s.id)
    .bind(&s.org_id)
    .bind(&s.portal_id)
    .bind(&s.name)
    .bind(s.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn rename<'e, E>(db: E, org_id: &str, id: &str, name: &str) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("UPDATE portal_sections SET name = $3 WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .bind(name)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Deletes a section and takes its items out of it (they are then in no section).
pub async fn delete(tx: &mut super::Tx, org_id: &str, id: &str) -> Result<bool> {
    sqlx::query("DELETE FROM portal_section_items WHERE org_id = $1 AND section_id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(
        sqlx::query("DELETE FROM portal_sections WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Sets a section's position.
pub async fn set_position<'e, E>(db: E, org_id: &str, id: &str, position: i64) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE portal_sections SET position = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(position)
        .execute(db)
        .await?;
    Ok(())
}

/// Puts an item at the end of `section`, taking it out of any other section of the same
/// portal.
pub async fn place(
    tx: &mut super::Tx,
    section: &SectionRow,
    kind: ItemKind,
    item_id: &str,
) -> Result<()> {
    unplace(tx, &section.org_id, &section.portal_id, kind, item_id).await?;
    sqlx::query(
        "INSERT INTO portal_section_items (org_id, portal_id, section_id, item_kind, item_id, \
         position) SELECT $1, $2, $3, $4, $5, COALESCE(MAX(position), 0) + 1 \
         FROM portal_section_items WHERE section_id = $3",
    )
    .bind(&section.org_id)
    .bind(&section.portal_id)
    .bind(&section.id)
    .bind(kind.as_str())
    .bind(item_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes an item out of its section in the portal; false when it was in none.
pub async fn unplace(
    tx: &mut super::Tx,
    org_id: &str,
    portal_id: &str,
    kind: ItemKind,
    item_id: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "DELETE FROM portal_section_items \
         WHERE org_id = $1 AND portal_id = $2 AND item_kind = $3 AND item_id = $4",
    )
    .bind(org_id)
    .bind(portal_id)
    .bind(kind.as_str())
    .bind(item_id)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Sets a placed item's position.
pub async fn set_item_position<'e, E>(
    db: E,
    org_id: &str,
    portal_id: &str,
    kind: ItemKind,
    item_id: &str,
    position: i64,
) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE portal_section_items SET position = $5 \
         WHERE org_id = $1 AND portal_id = $2 AND item_kind = $3 AND item_id = $4",
    )
    .bind(org_id)
    .bind(portal_id)
    .bind(kind.as_str())
    .bind(item_id)
    .bind(position)
    .execute(db)
    .await?;
    Ok(())
}
