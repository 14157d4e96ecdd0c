//! Staff accounts (administrators only): invite by email, change a role, disable and
//! re-enable, reset a password. An invitation or a reset mails a one-time link
//! ([`links`]); an account that signs in through the organisation's identity provider has
//! no password and gets a plain invitation. Every change is audited in its transaction.
//!
//! Invariant: an organisation always keeps one enabled administrator. Changes that could
//! remove the last one count administrators under the organisation's lock, so two
//! concurrent demotions cannot both pass.

pub mod links;

use serde::Serialize;
use serde_json::json;

use super::api_keys::STAFF_MAX_EXPIRY_DAYS;
use super::{audit_staff_change, authorize, rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::domain::{Action, Role, SignIn};
use crate::store::{self, from_millis, new_id, users::UserRow, Tx};
use crate::Liaison;

/// Where an account stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    Active,
    /// Invited with a password link that has not been used yet.
    Invited,
    /// A password account without a password and no open link (its link expired).
    NoPassword,
    Disabled,
}

impl StaffStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffStatus::Active => "active",
            StaffStatus::Invited => "invited",
            StaffStatus::NoPassword => "no_password",
            StaffStatus::Disabled => "disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StaffStatus::Active => "Active",
            StaffStatus::Invited => "Invited",
            StaffStatus::NoPassword => "No password",
            StaffStatus::Disabled => "Disabled",
        }
    }
}

/// What the Users page shows of an account (never a password hash).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct StaffView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub sign_in: SignIn,
    pub status: StaffStatus,
    /// While invited: when the open link expires.
    pub link_expires_at: Option<String>,
    pub created_at: String,
    /// Whether this is the account of the person asking.
    pub you: bool,
}

/// An account to invite.
#[derive(Clone, Debug)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub sign_in: SignIn,
}

fn view(row: UserRow, open_link: Option<i64>, who: &Staff) -> Result<StaffView> {
    let role = Role::parse(&row.role)
        .ok_or_else(|| ServiceError::fault(format!("user {} has unknown role", row.id)))?;
    let sign_in = SignIn::parse(&row.sign_in)
        .ok_or_else(|| ServiceError::fault(format!("user {} has unknown sign-in", row.id)))?;
    let status = if row.disabled_at.is_some() {
        StaffStatus::Disabled
    } else if sign_in == SignIn::Idp || row.password_hash.is_some() {
        StaffStatus::Active
    } else if open_link.is_some() {
        StaffStatus::Invited
    } else {
        StaffStatus::NoPassword
    };
    Ok(StaffView {
        you: row.id == who.user_id,
        id: row.id,
        email: row.email,
        name: row.display_name,
        role,
        sign_in,
        status,
        link_expires_at: open_link
            .filter(|_| status == StaffStatus::Invited)
            .map(|ms| rfc3339(from_millis(ms))),
        created_at: rfc3339(from_millis(row.created_at)),
    })
}

/// Every account of the organisation, by email.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<StaffView>> {
    authorize(who, Action::ManageStaff)?;
    let pool = core.db.pool();
    let open: std::collections::HashMap<String, i64> =
        store::staff_links::open_for_org(pool, &who.org_id, core.now_ms())
            .await?
            .into_iter()
            .collect();
    store::users::list(pool, &who.org_id)
        .await?
        .into_iter()
        .map(|row| {
            let link = open.get(&row.id).copied();
            view(row, link, who)
        })
        .collect()
}

/// One account as the list shows it (after a change to it).
async fn one(core: &Liaison, who: &Staff, id: &str) -> Result<StaffView> {
    let pool = core.db.pool();
    let row = store::users::get(pool, &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("staff member"))?;
    let link = store::staff_links::open_until(pool, &who.org_id, id, core.now_ms()).await?;
    view(row, link, who)
}

/// Invites a staff member: the account, and a mail — with a one-time link to set a
/// password, or (sign-in through the organisation's IdP) where to sign in. Email
/// addresses are unique across the installation.
#[tracing::instrument(skip_all)]
pub async fn invite(
    core: &Liaison,
    who: &Staff,
    new: NewStaff,
    meta: &RequestMeta,
) -> Result<StaffView> {
    authorize(who, Action::ManageStaff)?;
    let email = validate::email("email", &new.email)?;
    let name = validate::text("name", &new.name, 120)?;
    let pool = core.db.pool();
    if new.sign_in == SignIn::Idp
        && !store::partners::list_idps(pool, &who.org_id, None)
            .await?
            .iter()
            .any(|i| i.disabled_at.is_none())
    {
        return Err(ServiceError::invalid(
            "sign_in",
            "the organisation has no enabled identity provider for staff: add one under \
             Partners, or invite with a password",
        ));
    }
    let now = core.now_ms();
    let row = UserRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        email: email.clone(),
        display_name: name,
        role: new.role.as_str().into(),
        password_hash: None,
        created_at: now,
        disabled_at: None,
        sign_in: new.sign_in.as_str().into(),
        session_epoch: 0,
        created_by: Some(who.user_id.clone()),
    };
    // The link's verifier is hashed before the transaction (PBKDF2 is slow).
    let link = match new.sign_in {
        SignIn::Password => Some(links::Issued::draw(core).await?),
        SignIn::Idp => None,
    };
    let mut tx = core.db.begin().await?;
    // Addresses are unique across the installation (sign-in needs no organisation
    // picker); only a colleague's address is named as such.
    let ours = store::users::find_by_email(&mut *tx, &email)
        .await?
        .is_some_and(|u| u.org_id == who.org_id);
    store::users::insert(&mut *tx, &row)
        .await
        .map_err(super::on_unique(|| {
            if ours {
                format!("{email} is already a staff member here")
            } else {
                "this address cannot be invited: ask the person for another one".into()
            }
        }))?;
    match link {
        Some(link) => {
            link.store(core, &mut tx, who, &row, links::Purpose::Invitation)
                .await?
        }
        None => links::mail_idp_invitation(core, &mut tx, who, &row).await?,
    }
    audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::StaffChanged,
        json!({ "action": "invited", "user": row.id, "email": row.email,
                "role": new.role.as_str(), "sign_in": new.sign_in.as_str() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    one(core, who, &row.id).await
}

/// The account being changed, read under the organisation's lock (taken first, so the
/// last-administrator count below holds until commit).
async fn locked_target(tx: &mut Tx, who: &Staff, id: &str) -> Result<UserRow> {
    store::orgs::lock(&mut **tx, &who.org_id).await?;
    store::users::get(&mut **tx, &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("staff member"))
}

/// Refuses when `target` is the organisation's last enabled administrator.
async fn keep_an_admin(
    tx: &mut Tx,
    who: &Staff,
    target: &UserRow,
    field: &'static str,
) -> Result<()> {
    let can_sign_in = target.password_hash.is_some() || target.sign_in == SignIn::Idp.as_str();
    if target.role == Role::Admin.as_str()
        && target.disabled_at.is_none()
        && can_sign_in
        && store::users::count_active_admins(&mut **tx, &who.org_id).await? <= 1
    {
        return Err(ServiceError::invalid(
            field,
            "this is the organisation's last active administrator: make someone else an \
             administrator first",
        ));
    }
    Ok(())
}

/// What an administrator changes about an account: its role, whether it is disabled, or
/// both. Both are applied in one transaction, so a refusal of either changes nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Gives an account another role. Takes effect on its next request (sessions and keys
/// read the role each time).
#[tracing::instrument(skip_all)]
pub async fn change_role(
    core: &Liaison,
    who: &Staff,
    id: &str,
    role: Role,
    meta: &RequestMeta,
) -> Result<StaffView> {
    let change = AccountChange {
        role: Some(role),
        disabled: None,
    };
    change_account(core, who, id, change, meta).await
}

/// Disables an account (its sessions end, its open links close and its API keys are
/// revoked, all at the next request) or enables it again (it signs in afresh and makes new
/// keys).
#[tracing::instrument(skip_all)]
pub async fn set_disabled(
    core: &Liaison,
    who: &Staff,
    id: &str,
    disabled: bool,
    meta: &RequestMeta,
) -> Result<StaffView> {
    let change = AccountChange {
        role: None,
        disabled: Some(disabled),
    };
    change_account(core, who, id, change, meta).await
}

/// Applies `change` (see [`change_role`] and [`set_disabled`]), each part audited. A
/// demotion brings the account's live keys within what its new role may hold: expiring
/// within [`STAFF_MAX_EXPIRY_DAYS`] days, and read-only for a role that only reads.
#[tracing::instrument(skip_all)]
pub async fn change_account(
    core: &Liaison,
    who: &Staff,
    id: &str,
    change: AccountChange,
    meta: &RequestMeta,
) -> Result<StaffView> {
    authorize(who, Action::ManageStaff)?;
    if change.disabled == Some(true) && id == who.user_id {
        return Err(ServiceError::invalid(
            "user",
            "you cannot disable your own account: ask another administrator",
        ));
    }
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let mut target = locked_target(&mut tx, who, id).await?;
    if let Some(role) = change.role.filter(|r| r.as_str() != target.role) {
        let mut keys_fitted = 0;
        if role != Role::Admin {
            keep_an_admin(&mut tx, who, &target, "role").await?;
            let cap = now + i64::from(STAFF_MAX_EXPIRY_DAYS) * 86_400_000;
            keys_fitted = store::api_keys::fit_to_role(
                &mut *tx,
                &who.org_id,
                id,
                cap,
                !role.may_hold_write_keys(),
            )
            .await?;
        }
        store::users::set_role(&mut *tx, &who.org_id, id, role.as_str()).await?;
        audit_staff_change(
            core,
            &mut tx,
            who,
            EventType::StaffChanged,
            json!({ "action": "role_changed", "user": id, "email": target.email,
                    "from": target.role, "to": role.as_str(), "keys_fitted": keys_fitted }),
            meta,
        )
        .await?;
        target.role = role.as_str().to_owned();
    }
    if let Some(disabled) = change
        .disabled
        .filter(|d| *d != target.disabled_at.is_some())
    {
        let mut keys_revoked = 0;
        if disabled {
            keep_an_admin(&mut tx, who, &target, "user").await?;
            store::staff_links::close_all(&mut *tx, &who.org_id, id, now).await?;
            keys_revoked = store::api_keys::revoke_all_of(&mut *tx, &who.org_id, id, now).await?;
        }
        store::users::set_disabled(&mut *tx, &who.org_id, id, disabled.then_some(now)).await?;
        audit_staff_change(
            core,
            &mut tx,
            who,
            EventType::StaffChanged,
            json!({ "action": if disabled { "disabled" } else { "enabled" },
                    "user": id, "email": target.email, "keys_revoked": keys_revoked }),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    super::auth::standing_changed(core, &who.org_id, id).await?;
    one(core, who, id).await
}

/// Resets a password account's password — what an administrator does when an account may
/// be compromised: the old password stops working, the account's sessions end and its API
/// keys are revoked at once; a one-time link to set a new one is mailed.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<StaffView> {
    authorize(who, Action::ManageStaff)?;
    let link = links::Issued::draw(core).await?;
    let mut tx = core.db.begin().await?;
    let target = locked_target(&mut tx, who, id).await?;
    if target.disabled_at.is_some() {
        return Err(ServiceError::invalid(
            "user",
            "this account is disabled: enable it first",
        ));
    }
    if target.sign_in != SignIn::Password.as_str() {
        return Err(ServiceError::invalid(
            "user",
            "this account signs in through the organisation's identity provider and has no \
             password",
        ));
    }
    // Until the new password is set the account cannot sign in: never the last admin.
    keep_an_admin(&mut tx, who, &target, "user").await?;
    store::users::set_password(&mut *tx, &who.org_id, id, None).await?;
    let keys_revoked =
        store::api_keys::revoke_all_of(&mut *tx, &who.org_id, id, core.now_ms()).await?;
    let purpose = if target.password_hash.is_some() {
        links::Purpose::Reset
    } else {
        // Never set: this re-sends the invitation.
        links::Purpose::Invitation
    };
    link.store(core, &mut tx, who, &target, purpose).await?;
    audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::StaffChanged,
        json!({ "action": "password_reset", "user": id, "email": target.email,
                "link": purpose.as_str(), "keys_revoked": keys_revoked }),
        meta,
    )
    .await?;
    tx.commit().await?;
    super::auth::standing_changed(core, &who.org_id, id).await?;
    one(core, who, id).await
}
