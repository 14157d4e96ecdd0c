//! The console's sections page: a portal's sections, and arranging library items in them.
//! Items travel in forms as `kind:id` ([`crate::types::SectionItemView::key`]).

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::SectionsPageView;

#[cfg(feature = "ssr")]
fn item(key: &str) -> Result<backend::domain::ItemRef, backend::services::ServiceError> {
    let bad = || backend::services::ServiceError::Invalid {
        field: "item",
        message: "choose an item".into(),
    };
    let (kind, id) = key.split_once(':').ok_or_else(bad)?;
    let kind = backend::domain::ItemKind::parse(kind).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok(backend::domain::ItemRef {
        kind,
        id: id.to_owned(),
    })
}

#[cfg(feature = "ssr")]
fn way(text: &str) -> Result<backend::domain::Move, backend::services::ServiceError> {
    backend::domain::Move::parse(text).ok_or_else(|| backend::services::ServiceError::Invalid {
        field: "way",
        message: "move up or down".into(),
    })
}

#[server]
pub async fn load_sections(portal_id: String, find: String) -> Result<SectionsPageView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::{SectionItemView, SectionRowView};
    use backend::domain::ItemKind;
    use backend::services::portals::sections;
    let ctx = context()?;
    let staff = require_staff().await?;
    let view = sections::list_finding(&ctx.core, &staff, &portal_id, &find)
        .await
        .map_err(fail)?;
    let item = |i: sections::ItemView| SectionItemView {
        key: format!("{}:{}", i.kind.as_str(), i.id),
        kind_label: match i.kind {
            ItemKind::Document => "Document",
            ItemKind::Package => "Package",
            ItemKind::Project => "Project",
        }
        .to_owned(),
        title: i.title,
    };
    Ok(SectionsPageView {
        portal_id: view.portal_id,
        portal_name: view.portal_name,
        sections: view
            .sections
            .into_iter()
            .map(|s| SectionRowView {
                id: s.id,
                name: s.name,
                items: s.items.into_iter().map(item).collect(),
            })
            .collect(),
        unplaced: view.unplaced.into_iter().map(item).collect(),
    })
}

#[server]
pub async fn create_section(csrf: String, portal_id: String, name: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::sections::create(
        &ctx.core,
        &staff,
        &portal_id,
        &name,
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}

#[server]
pub async fn rename_section(
    csrf: String,
    section_id: String,
    name: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::sections::rename(
        &ctx.core,
        &staff,
        &section_id,
        &name,
        &meta().await?,
    )
    .await
    .map_err(fail)
}

/// Deletes a section; its items are then in none.
#[server]
pub async fn delete_section(csrf: String, section_id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::sections::delete(&ctx.core, &staff, &section_id, &meta().await?)
        .await
        .map_err(fail)
}

#[server]
pub async fn move_section(csrf: String, section_id: String, way: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::sections::move_section(
        &ctx.core,
        &staff,
        &section_id,
        self::way(&way).map_err(fail)?,
        &meta().await?,
    )
    .await
    .map_err(fail)
}

/// Puts an item (`kind:id`) at the end of the section.
#[server]
pub async fn place_item(csrf: String, section_id: String, item: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::portals::sections::place(
        &ctx.core,
        &staff,
        &section_id,
        &self::item(&item).map_err(fail)?,
        &meta().await?,
    )
    .await
    .map_err(fail)
}

/// Takes an item out of the section, or moves it up or down there (`way`: `up`, `down`
/// or `out`).
#[server]
pub async fn arrange_item(
    csrf: String,
    section_id: String,
    item: String,
    way: String,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::portals::sections;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let item = self::item(&item).map_err(fail)?;
    let meta = meta().await?;
    match way.as_str() {
        "out" => sections::unplace(&ctx.core, &staff, &section_id, &item, &meta).await,
        w => {
            let way = self::way(w).map_err(fail)?;
            sections::move_item(&ctx.core, &staff, &section_id, &item, way, &meta).await
        }
    }
    .map_err(fail)
}
