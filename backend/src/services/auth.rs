//! Staff authentication: console password sign-in, session resolution, API keys.

use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::json;

use super::{Result, ServiceError};
use crate::actor::{RequestMeta, Staff, StaffCredential};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::{ApiKey, KdfHash};
use crate::domain::Role;
use crate::store::{api_keys, users};
use crate::Liaison;

const BAD_CREDENTIALS: &str = "Email or password is incorrect.";

fn staff(row: users::UserRow, credential: StaffCredential) -> Result<Staff> {
    let role = Role::parse(&row.role)
        .ok_or_else(|| ServiceError::Internal(format!("user {} has unknown role", row.id)))?;
    Ok(Staff {
        org_id: row.org_id,
        user_id: row.id,
        name: row.display_name,
        email: row.email,
        role,
        credential,
    })
}

/// Checks an email and password. Unknown emails cost the same PBKDF2 work as known ones,
/// so response time does not reveal which accounts exist.
pub async fn sign_in(
    core: &Liaison,
    email: &str,
    password: &SecretString,
    meta: &RequestMeta,
) -> Result<Staff> {
    let email = email.trim().to_lowercase();
    let secret = || SecretSlice::from(password.expose_secret().as_bytes().to_vec());
    let user = users::find_by_email(core.db.pool(), &email).await?;
    let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
        let decoy = KdfHash::from_stored(format!(
            "pbkdf2-sha256${}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            core.kdf.iterations()
        ));
        let _ = core.kdf.verify(secret(), &decoy).await;
        return Err(ServiceError::Unauthenticated(BAD_CREDENTIALS));
    };
    let ok = match &user.password_hash {
        Some(h) => {
            core.kdf
                .verify(secret(), &KdfHash::from_stored(h.clone()))
                .await?
        }
        None => false,
    };
    let now = core.now_ms();
    let org_id = user.org_id.clone();
    let s = staff(user, StaffCredential::Session)?;
    let (event_type, result) = if ok {
        (EventType::SignedIn, Ok(s.clone()))
    } else {
        (
            EventType::SignInFailed,
            Err(ServiceError::Unauthenticated(BAD_CREDENTIALS)),
        )
    };
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &org_id,
            event_type,
            actor: AuditActor::Staff(&s),
            share_id: None,
            item_id: None,
            details: json!({ "method": "password" }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    result
}

/// Resolves the user behind a console session. A disabled or deleted user has no session.
pub async fn staff_for_session(core: &Liaison, user_id: &str) -> Result<Option<Staff>> {
    let Some(row) = users::get_any_org(core.db.pool(), user_id).await? else {
        return Ok(None);
    };
    if row.disabled_at.is_some() {
        return Ok(None);
    }
    staff(row, StaffCredential::Session).map(Some)
}

/// Authenticates an admin API key (`Authorization: Bearer lsn_…`).
pub async fn staff_for_api_key(core: &Liaison, presented: &str) -> Result<Staff> {
    const BAD_KEY: &str = "The API key is invalid or has been revoked.";
    let key = ApiKey::parse(presented).ok_or(ServiceError::Unauthenticated(BAD_KEY))?;
    let row = api_keys::find_by_hash(core.db.pool(), &key.lookup_hash())
        .await?
        .filter(|k| k.revoked_at.is_none())
        .ok_or(ServiceError::Unauthenticated(BAD_KEY))?;
    let user = users::get(core.db.pool(), &row.org_id, &row.user_id)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(ServiceError::Unauthenticated(BAD_KEY))?;
    api_keys::touch(core.db.pool(), &row.org_id, &row.id, core.now_ms()).await?;
    staff(user, StaffCredential::ApiKey { key_id: row.id })
}

/// Records a console sign-out.
pub async fn signed_out(core: &Liaison, who: &Staff, meta: &RequestMeta) -> Result<()> {
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::SignedOut,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: json!({}),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(())
}
