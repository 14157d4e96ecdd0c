//! Sections: an administrator arranges the items shared in a portal (documents, packages,
//! projects) into named, ordered sections, e.g. "Contracts" and "Evidence". A guest's home
//! lists their shares under the section of the item each was made from, sections in the
//! administrator's order and items in theirs; shares of items in no section come last.
//!
//! Invariants: a section's name is unique in its portal; an item is in at most one section
//! of a portal (placing it elsewhere moves it); deleting a section leaves its items in none.
//! Sections only order what a guest may see: they never grant or hide a share.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::portal;
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::domain::{ItemKind, ItemRef, Move};
use crate::services::{audit_staff_change, authorize, validate, Result, ServiceError};
use crate::store::{self, new_id, portal_sections::SectionRow};
use crate::Liaison;

/// The most sections a portal has.
pub const MAX_SECTIONS: usize = 50;
/// The most library items offered for placing, of each kind.
const CHOICES_LIMIT: i64 = 500;

/// A library item (document, package or project) as a section holds it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = SectionItemView)]
pub struct ItemView {
    pub kind: ItemKind,
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SectionView {
    pub id: String,
    pub name: String,
    pub items: Vec<ItemView>,
}

/// A portal's sections with their items, and the library items in none of them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SectionsView {
    pub portal_id: String,
    pub portal_name: String,
    pub sections: Vec<SectionView>,
    pub unplaced: Vec<ItemView>,
}

/// Is `item` one of the organisation's documents, packages or projects? (One keyed read.)
async fn in_library(core: &Liaison, org_id: &str, item: &ItemRef) -> Result<bool> {
    let pool = core.db.pool();
    Ok(match item.kind {
        ItemKind::Document => store::documents::get(pool, org_id, &item.id)
            .await?
            .is_some(),
        ItemKind::Package => store::packages::get(pool, org_id, &item.id)
            .await?
            .is_some(),
        ItemKind::Project => store::policies::project(pool, org_id, &item.id)
            .await?
            .is_some(),
    })
}

/// The portal's sections (administrators and controllers may look), offering as choices
/// the newest [`CHOICES_LIMIT`] documents and every package and project in no section.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff, portal_id: &str) -> Result<SectionsView> {
    list_finding(core, who, portal_id, "").await
}

/// [`list`], offering only the items whose title contains `find` (any case; blank: all):
/// how an item older than the newest [`CHOICES_LIMIT`] documents is found.
#[tracing::instrument(skip_all)]
pub async fn list_finding(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    find: &str,
) -> Result<SectionsView> {
    crate::services::authorize(who, crate::domain::Action::ViewPortals)?;
    let find = match find.trim() {
        "" => String::new(),
        text => validate::text("find", text, 200)?.to_lowercase(),
    };
    let portal = portal(core, who, portal_id).await?;
    let pool = core.db.pool();
    let rows = store::portal_sections::list(pool, &who.org_id, &[&portal.id]).await?;
    let placed = store::portal_sections::placed(pool, &who.org_id, &[&portal.id]).await?;
    let packages = store::packages::list(pool, &who.org_id).await?;
    let projects = store::policies::projects(pool, &who.org_id).await?;
    // Placed documents by key, however old: the choices hold only some documents.
    let placed_docs: Vec<&str> = placed
        .iter()
        .filter(|p| p.item_kind == ItemKind::Document)
        .map(|p| p.item_id.as_str())
        .collect();
    let doc_titles: HashMap<String, String> =
        store::documents::titles(pool, &who.org_id, &placed_docs)
            .await?
            .into_iter()
            .collect();
    let title_of = |kind: ItemKind, id: &str| {
        match kind {
            ItemKind::Document => doc_titles.get(id).cloned(),
            ItemKind::Package => packages.iter().find(|p| p.id == id).map(|p| p.name.clone()),
            ItemKind::Project => projects.iter().find(|p| p.id == id).map(|p| p.name.clone()),
        }
        .unwrap_or_else(|| "(no longer in the library)".into())
    };
    let sections = rows
        .iter()
        .map(|s| SectionView {
            id: s.id.clone(),
            name: s.name.clone(),
            items: placed
                .iter()
                .filter(|p| p.section_id == s.id)
                .map(|p| ItemView {
                    kind: p.item_kind,
                    id: p.item_id.clone(),
                    title: title_of(p.item_kind, &p.item_id),
                })
                .collect(),
        })
        .collect();
    let documents = if find.is_empty() {
        store::documents::current(pool, &who.org_id, CHOICES_LIMIT).await?
    } else {
        store::documents::find(pool, &who.org_id, &find, CHOICES_LIMIT).await?
    };
    let matches = |title: &str| find.is_empty() || title.to_lowercase().contains(&find);
    let library = packages
        .iter()
        .map(|p| (ItemKind::Package, &p.id, &p.name))
        .chain(projects.iter().map(|p| (ItemKind::Project, &p.id, &p.name)))
        .chain(
            documents
                .iter()
                .map(|d| (ItemKind::Document, &d.id, &d.title)),
        )
        .filter(|(kind, id, title)| {
            matches(title)
                && !placed
                    .iter()
                    .any(|p| p.item_kind == *kind && &p.item_id == *id)
        })
        .map(|(kind, id, title)| ItemView {
            kind,
            id: id.clone(),
            title: title.clone(),
        })
        .collect();
    Ok(SectionsView {
        portal_id: portal.id,
        portal_name: portal.name,
        sections,
        unplaced: library,
    })
}

/// A transaction holding the write lock of the portal's row: changes to one portal's
/// sections run one after another, so a count, a position or a row read under it stays
/// true until commit (on PostgreSQL two concurrent calls could otherwise both pass the
/// cap, or both compute the same position).
async fn lock_portal(core: &Liaison, org_id: &str, portal_id: &str) -> Result<store::Tx> {
    let mut tx = core.db.begin().await?;
    if !store::portals::lock_portal(&mut *tx, org_id, portal_id).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("portal"));
    }
    Ok(tx)
}

/// The section, read again under its portal's lock (see [`lock_portal`]).
async fn locked_section(core: &Liaison, who: &Staff, id: &str) -> Result<(store::Tx, SectionRow)> {
    let portal_id = store::portal_sections::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("section"))?
        .portal_id;
    let mut tx = lock_portal(core, &who.org_id, &portal_id).await?;
    match store::portal_sections::get(&mut *tx, &who.org_id, id).await? {
        Some(s) => Ok((tx, s)),
        None => {
            tx.rollback().await?;
            Err(ServiceError::NotFound("section"))
        }
    }
}

/// A name taken in the portal is the name field's fault (shown under it).
fn on_duplicate(name: &str) -> impl FnOnce(store::StoreError) -> ServiceError + '_ {
    move |e| {
        if e.is_unique_violation() {
            ServiceError::invalid(
                "name",
                format!("this portal has a section named {name:?} already"),
            )
        } else {
            e.into()
        }
    }
}

/// Adds a section at the end of the portal's.
#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    name: &str,
    meta: &RequestMeta,
) -> Result<SectionView> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = portal(core, who, portal_id).await?;
    let name = validate::text("name", name, 100)?;
    let mut tx = lock_portal(core, &who.org_id, &portal.id).await?;
    let count = store::portal_sections::list(&mut *tx, &who.org_id, &[&portal.id])
        .await?
        .len();
    if count >= MAX_SECTIONS {
        tx.rollback().await?;
        return Err(ServiceError::invalid(
            "name",
            format!("a portal has at most {MAX_SECTIONS} sections"),
        ));
    }
    let row = SectionRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        portal_id: portal.id.clone(),
        name,
        position: 0,
        created_at: core.now_ms(),
    };
    store::portal_sections::insert(&mut *tx, &row)
        .await
        .map_err(on_duplicate(&row.name))?;
    audit(core, &mut tx, who, &row, "section_created", json!({}), meta).await?;
    tx.commit().await?;
    Ok(SectionView {
        id: row.id,
        name: row.name,
        items: Vec::new(),
    })
}

async fn audit(
    core: &Liaison,
    tx: &mut store::Tx,
    who: &Staff,
    s: &SectionRow,
    action: &str,
    extra: serde_json::Value,
    meta: &RequestMeta,
) -> Result<()> {
    audit_staff_change(
        core,
        tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": s.portal_id, "action": action,
                "section": { "id": s.id, "name": s.name }, "details": extra }),
        meta,
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn rename(
    core: &Liaison,
    who: &Staff,
    id: &str,
    name: &str,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let name = validate::text("name", name, 100)?;
    let (mut tx, s) = locked_section(core, who, id).await?;
    store::portal_sections::rename(&mut *tx, &who.org_id, &s.id, &name)
        .await
        .map_err(on_duplicate(&name))?;
    audit(
        core,
        &mut tx,
        who,
        &s,
        "section_renamed",
        json!({ "to": name }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a section; its items are then in none.
#[tracing::instrument(skip_all)]
pub async fn delete(core: &Liaison, who: &Staff, id: &str, meta: &RequestMeta) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let (mut tx, s) = locked_section(core, who, id).await?;
    if !store::portal_sections::delete(&mut tx, &who.org_id, &s.id).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("section"));
    }
    audit(core, &mut tx, who, &s, "section_deleted", json!({}), meta).await?;
    tx.commit().await?;
    Ok(())
}

/// Swaps the section with its neighbour above or below (no change at either end).
#[tracing::instrument(skip_all)]
pub async fn move_section(
    core: &Liaison,
    who: &Staff,
    id: &str,
    way: Move,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let (mut tx, s) = locked_section(core, who, id).await?;
    let all = store::portal_sections::list(&mut *tx, &who.org_id, &[&s.portal_id]).await?;
    let at = all
        .iter()
        .position(|x| x.id == s.id)
        .ok_or(ServiceError::NotFound("section"))?;
    if let Some(other) = neighbour(&all, at, way) {
        // Positions are rewritten 1..=n, so equal positions (never written, but cheap to
        // heal) cannot make a swap a no-op.
        let mut order: Vec<&SectionRow> = all.iter().collect();
        order.swap(at, other);
        for (i, row) in order.iter().enumerate() {
            store::portal_sections::set_position(&mut *tx, &who.org_id, &row.id, i as i64 + 1)
                .await?;
        }
        audit(
            core,
            &mut tx,
            who,
            &s,
            "section_moved",
            json!({ "way": way }),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn neighbour<T>(all: &[T], at: usize, way: Move) -> Option<usize> {
    match way {
        Move::Up => at.checked_sub(1),
        Move::Down => (at + 1 < all.len()).then_some(at + 1),
    }
}

/// Puts a library item at the end of the section (moving it from another section of the
/// same portal).
#[tracing::instrument(skip_all)]
pub async fn place(
    core: &Liaison,
    who: &Staff,
    section_id: &str,
    item: &ItemRef,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    if !in_library(core, &who.org_id, item).await? {
        return Err(ServiceError::NotFound("item"));
    }
    let (mut tx, s) = locked_section(core, who, section_id).await?;
    store::portal_sections::place(&mut tx, &s, item.kind, &item.id).await?;
    audit(
        core,
        &mut tx,
        who,
        &s,
        "item_placed",
        json!({ "item": item }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes an item out of its section in the portal.
#[tracing::instrument(skip_all)]
pub async fn unplace(
    core: &Liaison,
    who: &Staff,
    section_id: &str,
    item: &ItemRef,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let (mut tx, s) = locked_section(core, who, section_id).await?;
    let placed = store::portal_sections::placed(&mut *tx, &who.org_id, &[&s.portal_id]).await?;
    if !placed
        .iter()
        .any(|p| p.section_id == s.id && p.item_kind == item.kind && p.item_id == item.id)
    {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("item in this section"));
    }
    store::portal_sections::unplace(&mut tx, &who.org_id, &s.portal_id, item.kind, &item.id)
        .await?;
    audit(
        core,
        &mut tx,
        who,
        &s,
        "item_removed",
        json!({ "item": item }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Swaps an item with its neighbour in its section.
#[tracing::instrument(skip_all)]
pub async fn move_item(
    core: &Liaison,
    who: &Staff,
    section_id: &str,
    item: &ItemRef,
    way: Move,
    meta: &RequestMeta,
) -> Result<()> {
    authorize(who, crate::domain::Action::ManagePortals)?;
    let (mut tx, s) = locked_section(core, who, section_id).await?;
    let mut mine = store::portal_sections::placed(&mut *tx, &who.org_id, &[&s.portal_id]).await?;
    mine.retain(|p| p.section_id == s.id);
    let at = mine
        .iter()
        .position(|p| p.item_kind == item.kind && p.item_id == item.id)
        .ok_or(ServiceError::NotFound("item in this section"))?;
    if let Some(other) = neighbour(&mine, at, way) {
        mine.swap(at, other);
        for (i, p) in mine.iter().enumerate() {
            store::portal_sections::set_item_position(
                &mut *tx,
                &who.org_id,
                &s.portal_id,
                p.item_kind,
                &p.item_id,
                i as i64 + 1,
            )
            .await?;
        }
        audit(
            core,
            &mut tx,
            who,
            &s,
            "item_moved",
            json!({ "item": item, "way": way }),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Where a portal's items sit, for ordering a guest's home.
pub struct Placement {
    sections: Vec<SectionRow>,
    /// (portal id, item) → (index in `sections`, the item's position in that section).
    items: HashMap<(String, ItemRef), (usize, i64)>,
}

/// The section an item is in, as [`Placement::find`] tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot<'a> {
    pub section_id: &'a str,
    pub name: &'a str,
    pub portal_id: &'a str,
    pub section_position: i64,
    pub item_position: i64,
}

impl Placement {
    /// The sections of the given portals and the items placed in them.
    pub async fn of(core: &Liaison, org_id: &str, portal_ids: &[&str]) -> Result<Self> {
        let pool = core.db.pool();
        let sections = store::portal_sections::list(pool, org_id, portal_ids).await?;
        let placed = store::portal_sections::placed(pool, org_id, portal_ids).await?;
        let items = placed
            .into_iter()
            .filter_map(|p| {
                let i = sections.iter().position(|s| s.id == p.section_id)?;
                let item = ItemRef {
                    kind: p.item_kind,
                    id: p.item_id,
                };
                Some(((p.portal_id, item), (i, p.position)))
            })
            .collect();
        Ok(Self { sections, items })
    }

    /// The section `item` is in, in the portal `portal_id`.
    pub fn find(&self, portal_id: &str, item: &ItemRef) -> Option<Slot<'_>> {
        let &(i, item_position) = self.items.get(&(portal_id.to_owned(), item.clone()))?;
        let s = &self.sections[i];
        Some(Slot {
            section_id: &s.id,
            name: &s.name,
            portal_id: &s.portal_id,
            section_position: s.position,
            item_position,
        })
    }
}
