//! Portals: every share belongs to one (the organisation's default portal unless it names
//! another), and guests see its brand ([`branding`]). A portal is also a named group of
//! external members: a "portal access" share admits only an active member of its portal
//! (who also proves their address with an emailed code, like an invited guest); ending a
//! membership revokes their portal shares in that portal at once ([`members`]). An
//! administrator arranges the items shared in a portal into sections ([`sections`]).

pub mod branding;
pub mod domains;
pub mod members;
pub mod sections;

use serde::Serialize;
use serde_json::json;

use super::{validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::store::{self, new_id, portals::PortalRow};

use crate::Liaison;
pub use members::{is_member, MemberView};

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PortalView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// Shares that name no portal belong to the default one.
    pub is_default: bool,
    pub branding: branding::BrandingView,
    /// Active members only.
    pub members: Vec<MemberView>,
    /// The email domains its managers may add members from.
    pub member_domains: Vec<String>,
}

pub(super) fn time(ms: i64) -> String {
    super::rfc3339(store::from_millis(ms))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    name: &str,
    meta: &RequestMeta,
) -> Result<PortalView> {
    super::authorize(who, crate::domain::Action::ManagePortals)?;
    let row = PortalRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        name: validate::text("name", name, 200)?,
        created_by: who.user_id.clone(),
        created_at: core.now_ms(),
        is_default: 0,
        branding: "{}".into(),
        terms_id: None,
        member_domains: "[]".into(),
    };
    let mut tx = core.db.begin().await?;
    store::portals::insert(&mut *tx, &row)
        .await
        .map_err(super::on_unique(|| {
            format!("a portal named {:?} already exists", row.name)
        }))?;
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": row.id, "action": "created", "name": row.name }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(PortalView {
        branding: branding::BrandingView::of(&row)?,
        id: row.id,
        name: row.name,
        created_at: time(row.created_at),
        is_default: false,
        members: Vec::new(),
        member_domains: Vec::new(),
    })
}

/// The organisation's portals with their active members (staff who share need them).
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<PortalView>> {
    crate::services::authorize(who, crate::domain::Action::ViewPortals)?;
    let members = store::portals::members(core.db.pool(), &who.org_id).await?;
    let now = core.now_ms();
    store::portals::list(core.db.pool(), &who.org_id)
        .await?
        .into_iter()
        .map(|p| {
            Ok(PortalView {
                members: members
                    .iter()
                    .filter(|m| m.portal_id == p.id && m.is_active(now))
                    .map(|m| MemberView::of(m, &members))
                    .collect(),
                member_domains: members::member_domains(&p),
                branding: branding::BrandingView::of(&p)?,
                is_default: p.is_default != 0,
                id: p.id,
                name: p.name,
                created_at: time(p.created_at),
            })
        })
        .collect()
}

pub(super) async fn portal(core: &Liaison, who: &Staff, id: &str) -> Result<PortalRow> {
    store::portals::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("portal"))
}

/// The portal a new share belongs to: the one it names (which must be in the creator's
/// organisation), else the organisation's default. (id, the portal's legal terms.)
#[tracing::instrument(skip_all)]
pub async fn portal_for_new_share(
    core: &Liaison,
    who: &Staff,
    named: Option<&str>,
) -> Result<(String, Option<String>)> {
    let row = match named {
        Some(id) => portal(core, who, id).await?,
        None => store::portals::default_of(core.db.pool(), &who.org_id)
            .await?
            .ok_or_else(|| {
                ServiceError::fault(format!("organisation {} has no default portal", who.org_id))
            })?,
    };
    Ok((row.id, row.terms_id))
}
