//! Portals: every share belongs to one (the organisation's default portal unless it names
//! another), and guests see its brand ([`branding`]). A portal is also a named group of
//! external members: a "portal access" share admits only an active member of its portal
//! (who also proves their address with an emailed code, like an invited guest); removing a
//! member revokes their portal shares in that portal at once.

pub mod branding;
pub mod domains;

use serde::Serialize;
use serde_json::json;

use super::{validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::domain::{Method, Share};
use crate::store::{self, new_id, portals::MemberRow, portals::PortalRow};
use crate::Liaison;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PortalView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// Shares that name no portal belong to the default one.
    pub is_default: bool,
    pub branding: branding::BrandingView,
    /// Active members only.
    pub members: Vec<MemberView>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub added_at: String,
}

/// What a staff member who is not an administrator is told here.
const ADMINS_ONLY: &str = "Only administrators may change portals and their members.";

fn time(ms: i64) -> String {
    super::rfc3339(store::from_millis(ms))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    name: &str,
    meta: &RequestMeta,
) -> Result<PortalView> {
    super::require_admin(who, ADMINS_ONLY)?;
    let row = PortalRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        name: validate::text("name", name, 200)?,
        created_by: who.user_id.clone(),
        created_at: core.now_ms(),
        is_default: 0,
        branding: "{}".into(),
        terms_id: None,
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
    })
}

/// The organisation's portals with their active members (staff who share need them).
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<PortalView>> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not see portals."));
    }
    let members = store::portals::members(core.db.pool(), &who.org_id).await?;
    store::portals::list(core.db.pool(), &who.org_id)
        .await?
        .into_iter()
        .map(|p| {
            Ok(PortalView {
                members: members
                    .iter()
                    .filter(|m| m.portal_id == p.id && m.removed_at.is_none())
                    .map(|m| MemberView {
                        id: m.id.clone(),
                        name: m.name.clone(),
                        email: m.email.clone(),
                        added_at: time(m.added_at),
                    })
                    .collect(),
                branding: branding::BrandingView::of(&p)?,
                is_default: p.is_default != 0,
                id: p.id,
                name: p.name,
                created_at: time(p.created_at),
            })
        })
        .collect()
}

async fn portal(core: &Liaison, who: &Staff, id: &str) -> Result<PortalRow> {
    store::portals::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("portal"))
}

/// Adds a member (or reactivates one removed earlier).
#[tracing::instrument(skip_all)]
pub async fn add_member(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    name: &str,
    email: &str,
    meta: &RequestMeta,
) -> Result<()> {
    super::require_admin(who, ADMINS_ONLY)?;
    let portal = portal(core, who, portal_id).await?;
    let member = MemberRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        portal_id: portal.id.clone(),
        email: validate::email("email", email)?,
        name: validate::text("name", name, 200)?,
        added_by: who.user_id.clone(),
        added_at: core.now_ms(),
        removed_at: None,
    };
    let mut tx = core.db.begin().await?;
    store::portals::upsert_member(&mut *tx, &member).await?;
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": "member_added",
                "member": { "name": member.name, "email": member.email } }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member and revokes every unrevoked share of theirs in this portal, in one
/// transaction: the removal, each revocation (audited, with the recipient's notice where
/// asked) and the audit of the removal commit together or not at all. The revocations are
/// published after the commit, ending open sessions and streams. Returns how many shares
/// were revoked.
#[tracing::instrument(skip_all)]
pub async fn remove_member(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    member_id: &str,
    meta: &RequestMeta,
) -> Result<usize> {
    super::require_admin(who, ADMINS_ONLY)?;
    let portal = portal(core, who, portal_id).await?;
    let mut tx = core.db.begin().await?;
    let Some(member) =
        store::portals::remove_member(&mut *tx, &who.org_id, &portal.id, member_id, core.now_ms())
            .await?
    else {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("portal member"));
    };
    let shares = store::shares::unrevoked_for_recipient(
        &mut *tx,
        &who.org_id,
        Method::Portal.as_str(),
        &member.email,
    )
    .await?;
    let mut revoked = Vec::new();
    for share in shares.iter().filter(|s| in_portal(s, &portal.id)) {
        if let Some(r) = super::share_core::revoke_in(
            core,
            &mut tx,
            who,
            &share.id,
            meta,
            "portal_member_removed",
        )
        .await?
        {
            revoked.push(r);
        }
    }
    super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": "member_removed",
                "member": { "name": member.name, "email": member.email },
                "shares_revoked": revoked.len() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    let count = revoked.len();
    for r in revoked {
        core.revocations.publish(r);
    }
    Ok(count)
}

fn in_portal(share: &Share, portal_id: &str) -> bool {
    share.portal_id == portal_id
}

/// Is `email` an active member of the portal? Checked at share creation and at each open.
#[tracing::instrument(skip_all)]
pub async fn is_member(core: &Liaison, org_id: &str, portal_id: &str, email: &str) -> Result<bool> {
    Ok(store::portals::is_member(core.db.pool(), org_id, portal_id, email).await?)
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
