//! One-time links that let a staff member set their password: issued by an invitation or
//! a reset (mailed through the outbox in the change's transaction), used once at
//! `/password/{token}`.
//!
//! The token is a selector (looked up as is) and a 256-bit verifier (stored only as a
//! PBKDF2 hash), both from the OS CSPRNG. Checking a verifier reserves an attempt on the
//! link first, so a burst of guesses evaluates at most [`LINK_LIMIT`] of them; a link
//! opens nothing once used, replaced, expired, or when its account is disabled. Setting
//! the password ends every earlier console session of the account.

use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Serialize;
use serde_json::json;

use crate::actor::{RequestMeta, Staff, StaffCredential};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::{KdfHash, ShareToken};
use crate::domain::{Role, SignIn};
use crate::mail::templates::{self, StaffAccess};
use crate::services::{notify, rfc3339, Result, ServiceError};
use crate::store::attempts::{Counter, Limit};
use crate::store::staff_links::StaffLinkRow;
use crate::store::{self, from_millis, new_id, users::UserRow, Tx};
use crate::Liaison;

/// How long an invitation link works.
pub const INVITATION_HOURS: i64 = 7 * 24;
/// How long a reset link works.
pub const RESET_HOURS: i64 = 24;
/// Shortest and longest password, in characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 12..=256;

/// The outbox's name for a staff invitation, with a link or without.
const STAFF_INVITATION: &str = "staff_invitation";

/// Wrong verifiers per link before it locks for a day.
pub const LINK_LIMIT: Limit = Limit {
    max_failures: 5,
    window_ms: 60 * 60_000,
    lockout_ms: 24 * 60 * 60_000,
};

const UNUSABLE: &str =
    "This link is unknown, expired or already used. Ask your administrator for a new one.";

/// Why a link was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Invitation,
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::Reset => "reset",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "invitation" => Some(Purpose::Invitation),
            "reset" => Some(Purpose::Reset),
            _ => None,
        }
    }

    /// The outbox's name for the mail that carries such a link.
    fn mail_kind(self) -> &'static str {
        match self {
            Purpose::Invitation => STAFF_INVITATION,
            Purpose::Reset => "staff_password_reset",
        }
    }

    fn hours(self) -> i64 {
        match self {
            Purpose::Invitation => INVITATION_HOURS,
            Purpose::Reset => RESET_HOURS,
        }
    }
}

/// A freshly drawn token with its verifier already hashed (before any transaction).
pub(super) struct Issued {
    token: ShareToken,
    verifier_hash: KdfHash,
}

impl Issued {
    pub(super) async fn draw(core: &Liaison) -> Result<Self> {
        let token = ShareToken::generate();
        let verifier_hash = core.kdf.hash(token.verifier_secret()).await?;
        Ok(Self {
            token,
            verifier_hash,
        })
    }

    /// Stores the link for `user` (closing the account's earlier links) and enqueues its
    /// mail, in the caller's transaction.
    pub(super) async fn store(
        self,
        core: &Liaison,
        tx: &mut Tx,
        who: &Staff,
        user: &UserRow,
        purpose: Purpose,
    ) -> Result<()> {
        let now = core.now_ms();
        let expires_at = now + purpose.hours() * 3_600_000;
        store::staff_links::close_all(&mut **tx, &user.org_id, &user.id, now).await?;
        store::staff_links::insert(
            &mut **tx,
            &StaffLinkRow {
                id: new_id(),
                org_id: user.org_id.clone(),
                user_id: user.id.clone(),
                purpose: purpose.as_str().into(),
                selector: self.token.selector().to_owned(),
                verifier_hash: self.verifier_hash.as_stored().to_owned(),
                created_by: who.user_id.clone(),
                created_at: now,
                expires_at,
                closed_at: None,
            },
        )
        .await?;
        let url = core
            .settings
            .public_url
            .join(&format!("password/{}", self.token.expose().expose_secret()))
            .map_err(ServiceError::internal)?;
        let expires = rfc3339(from_millis(expires_at));
        notify::to_staff(core, tx, user, purpose.mail_kind(), |org| match purpose {
            Purpose::Invitation => templates::staff_invitation(
                org,
                &user.display_name,
                &who.name,
                role_label(user),
                StaffAccess::SetPassword {
                    url: url.as_str(),
                    expires: &expires,
                },
            ),
            Purpose::Reset => {
                templates::password_reset(org, &user.display_name, url.as_str(), &expires)
            }
        })
        .await
    }
}

fn role_label(user: &UserRow) -> &'static str {
    Role::parse(&user.role).unwrap_or(Role::Auditor).label()
}

/// The invitation of an account that signs in through the organisation's IdP: where to
/// sign in, no link.
pub(super) async fn mail_idp_invitation(
    core: &Liaison,
    tx: &mut Tx,
    who: &Staff,
    user: &UserRow,
) -> Result<()> {
    let login = core
        .settings
        .public_url
        .join("login")
        .map_err(ServiceError::internal)?;
    notify::to_staff(core, tx, user, STAFF_INVITATION, |org| {
        templates::staff_invitation(
            org,
            &user.display_name,
            &who.name,
            role_label(user),
            StaffAccess::SignIn {
                url: login.as_str(),
            },
        )
    })
    .await
}

/// What the set-password page shows of a valid link.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LinkView {
    pub email: String,
    pub name: String,
    pub organisation: String,
    pub purpose: Purpose,
    pub expires_at: String,
}

/// The link `token_text` names, proven (its verifier checked under the attempt limit),
/// open, unexpired, of an enabled password account.
async fn proven(core: &Liaison, token_text: &str) -> Result<(StaffLinkRow, UserRow)> {
    let unusable = || ServiceError::Unauthenticated(UNUSABLE);
    let token = ShareToken::parse(token_text).ok_or_else(unusable)?;
    let pool = core.db.pool();
    let link = store::staff_links::by_selector(pool, token.selector())
        .await?
        .ok_or_else(unusable)?;
    let counter = [Counter {
        scope: "staff_link",
        subject: &link.id,
        limit: LINK_LIMIT,
    }];
    if store::attempts::reserve_all(pool, &counter, core.now_ms())
        .await?
        .is_none()
    {
        return Err(ServiceError::TooMany {
            message: "Too many attempts with this link. Ask your administrator for a new one.",
            retry_after_secs: None,
        });
    }
    let stored = KdfHash::from_stored(link.verifier_hash.clone());
    let verified = match core.kdf.verify(token.verifier_secret(), &stored).await {
        Ok(v) => v,
        Err(e) => {
            store::attempts::release_all(pool, &counter).await?;
            return Err(e.into());
        }
    };
    if !verified {
        return Err(unusable());
    }
    store::attempts::release_all(pool, &counter).await?;
    let user = store::users::get(pool, &link.org_id, &link.user_id)
        .await?
        .ok_or_else(unusable)?;
    let open = link.closed_at.is_none() && link.expires_at > core.now_ms();
    if !open || user.disabled_at.is_some() || user.sign_in != SignIn::Password.as_str() {
        return Err(unusable());
    }
    Ok((link, user))
}

/// Checks a link for the set-password page.
#[tracing::instrument(skip_all)]
pub async fn check(core: &Liaison, token_text: &str) -> Result<LinkView> {
    let (link, user) = proven(core, token_text).await?;
    Ok(LinkView {
        email: user.email,
        name: user.display_name,
        organisation: store::orgs::get(core.db.pool(), &user.org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default(),
        purpose: Purpose::parse(&link.purpose).ok_or_else(|| {
            ServiceError::fault(format!("staff link {} has unknown purpose", link.id))
        })?,
        expires_at: rfc3339(from_millis(link.expires_at)),
    })
}

/// Checks a new password: its length, that both entries agree, and that it is not the
/// account's email address. Errors name the field.
pub fn check_password(email: &str, password: &SecretString, confirm: &SecretString) -> Result<()> {
    let p = password.expose_secret();
    let chars = p.chars().count();
    if !PASSWORD_CHARS.contains(&chars) {
        return Err(ServiceError::invalid(
            "password",
            format!(
                "the password must be {} to {} characters long",
                PASSWORD_CHARS.start(),
                PASSWORD_CHARS.end()
            ),
        ));
    }
    if p.trim().to_lowercase() == email || p.chars().all(|c| p.starts_with(c)) {
        return Err(ServiceError::invalid(
            "password",
            "choose a password that is not your email address or one repeated character",
        ));
    }
    if !crate::crypto::constant_time_eq(p.as_bytes(), confirm.expose_secret().as_bytes()) {
        return Err(ServiceError::invalid(
            "confirm",
            "the two passwords are not the same",
        ));
    }
    Ok(())
}

/// Sets the password through a link, once: the link closes, every earlier session of the
/// account ends, and the person is signed in (the returned staff member carries the new
/// session epoch).
#[tracing::instrument(skip_all)]
pub async fn set_password(
    core: &Liaison,
    token_text: &str,
    password: &SecretString,
    confirm: &SecretString,
    meta: &RequestMeta,
) -> Result<Staff> {
    let (link, user) = proven(core, token_text).await?;
    check_password(&user.email, password, confirm)?;
    let hash = core
        .kdf
        .hash(SecretSlice::from(
            password.expose_secret().as_bytes().to_vec(),
        ))
        .await?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::staff_links::close(&mut *tx, &link.org_id, &link.id, now).await? {
        tx.rollback().await?;
        return Err(ServiceError::Unauthenticated(UNUSABLE));
    }
    store::users::set_password(&mut *tx, &user.org_id, &user.id, Some(hash.as_stored())).await?;
    let acting = crate::services::auth::staff(user.clone(), StaffCredential::StaffLink)?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &user.org_id,
            event_type: EventType::StaffPasswordSet,
            actor: AuditActor::Staff(&acting),
            share_id: None,
            item_id: None,
            details: json!({ "user": user.id, "link": link.purpose }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    crate::services::auth::standing_changed(core, &user.org_id, &user.id).await?;
    crate::services::auth::staff_for_session(core, &user.id, user.session_epoch + 1)
        .await?
        .ok_or(ServiceError::Unauthenticated(UNUSABLE))
}
