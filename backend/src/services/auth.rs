//! Staff authentication: console password sign-in, session resolution, API keys.

use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::json;

use super::{Result, ServiceError};
use crate::actor::{RequestMeta, Staff, StaffCredential};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::{sha256_hex, ApiKey, KdfHash};
use crate::domain::{Denial, KeyScope, Role};
use crate::store::attempts::{self, Counter, Limit};
use crate::store::{api_keys, users};
use crate::Liaison;

const BAD_CREDENTIALS: &str = "Email or password is incorrect.";

pub(crate) fn staff(row: users::UserRow, credential: StaffCredential) -> Result<Staff> {
    let role = Role::parse(&row.role)
        .ok_or_else(|| ServiceError::fault(format!("user {} has unknown role", row.id)))?;
    Ok(Staff {
        org_id: row.org_id,
        user_id: row.id,
        name: row.display_name,
        email: row.email,
        role,
        credential,
    })
}

/// Failed console sign-ins per account before it is locked for a while. Counted in the
/// database, so every node sees the same count.
pub const ACCOUNT_LIMIT: Limit = Limit {
    max_failures: 10,
    window_ms: 15 * 60_000,
    lockout_ms: 15 * 60_000,
};
/// Failed console sign-ins per client address (whatever the accounts) before a lockout.
pub const ADDRESS_LIMIT: Limit = Limit {
    max_failures: 30,
    window_ms: 15 * 60_000,
    lockout_ms: 15 * 60_000,
};

/// Checks an email and password. Every attempt that is not locked out costs one PBKDF2
/// computation, whether the account exists, has a password or signs in only through
/// single sign-on, so response time reveals nothing about accounts. Failures are counted
/// per account (keyed by the SHA-256 of the email, so unknown addresses are not stored)
/// and per client address; a locked-out attempt is refused with no PBKDF2 work at all.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    core: &Liaison,
    email: &str,
    password: &SecretString,
    meta: &RequestMeta,
) -> Result<Staff> {
    const ACCOUNT: &str = "staff_account";
    const ADDRESS: &str = "staff_address";
    let email = email.trim().to_lowercase();
    let account = sha256_hex(email.as_bytes());
    let address = meta.ip_subject();
    let now = core.now_ms();
    let pool = core.db.pool();
    let user = users::find_by_email(pool, &email)
        .await?
        .filter(|u| u.disabled_at.is_none());
    // Reserve the attempt on both counters before any PBKDF2 (see `store::attempts`).
    let counters = [
        Counter {
            scope: ACCOUNT,
            subject: &account,
            limit: ACCOUNT_LIMIT,
        },
        Counter {
            scope: ADDRESS,
            subject: &address,
            limit: ADDRESS_LIMIT,
        },
    ];
    let reserved = attempts::reserve_all(pool, &counters, now).await?;
    let locked = reserved.is_none();
    let ok = if locked {
        false
    } else {
        let secret = SecretSlice::from(password.expose_secret().as_bytes().to_vec());
        match user.as_ref().and_then(|u| u.password_hash.clone()) {
            Some(h) => match core.kdf.verify(secret, &KdfHash::from_stored(h)).await {
                Ok(ok) => ok,
                Err(e) => {
                    // Not judged: give the reservation back.
                    attempts::release_all(pool, &counters).await?;
                    return Err(e.into());
                }
            },
            None => {
                let decoy = KdfHash::from_stored(format!(
                    "pbkdf2-sha256${}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    core.kdf.iterations()
                ));
                let _ = core.kdf.verify(secret, &decoy).await;
                false
            }
        }
    };
    // A failure keeps its reservation on both counters; a success gives the address's
    // back and forgets the account's.
    let now_locked = reserved.unwrap_or(true) && !ok;
    if ok {
        attempts::clear(pool, ACCOUNT, &account).await?;
        attempts::release(pool, ADDRESS, &address, ADDRESS_LIMIT).await?;
    }
    let refusal = if now_locked {
        ServiceError::Denied(Denial::TooManyAttempts)
    } else {
        ServiceError::Unauthenticated(BAD_CREDENTIALS)
    };
    let Some(user) = user else {
        return Err(refusal);
    };
    let org_id = user.org_id.clone();
    let epoch = user.session_epoch;
    let s = staff(user, StaffCredential::Session { epoch })?;
    let (event_type, details, result) = if ok {
        (
            EventType::SignedIn,
            json!({ "method": "password" }),
            Ok(s.clone()),
        )
    } else {
        let reason = if locked {
            "locked_out"
        } else if now_locked {
            "wrong_password_now_locked_out"
        } else {
            "wrong_password"
        };
        (
            EventType::SignInFailed,
            json!({ "method": "password", "reason": reason }),
            Err(refusal),
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
            details,
            meta,
            at_ms: now,
        },
    )
    .await?;
    result
}

/// Resolves the user behind a console session opened in `epoch`. A disabled or deleted
/// user has no session, nor has one whose password was reset (or who was disabled) since.
#[tracing::instrument(skip_all)]
pub async fn staff_for_session(core: &Liaison, user_id: &str, epoch: i64) -> Result<Option<Staff>> {
    let Some(row) = users::get_any_org(core.db.pool(), user_id).await? else {
        return Ok(None);
    };
    if row.disabled_at.is_some() || row.session_epoch != epoch {
        return Ok(None);
    }
    staff(row, StaffCredential::Session { epoch }).map(Some)
}

/// Authenticates an admin API key (`Authorization: Bearer lsn_…`).
/// The staff member behind an admin API key: a known, unrevoked, unexpired key of an
/// enabled account. Each use records when and from where (`meta`).
#[tracing::instrument(skip_all)]
pub async fn staff_for_api_key(
    core: &Liaison,
    presented: &str,
    meta: &RequestMeta,
) -> Result<Staff> {
    const BAD_KEY: &str = "The API key is invalid, expired or has been revoked.";
    let key = ApiKey::parse(presented).ok_or(ServiceError::Unauthenticated(BAD_KEY))?;
    let now = core.now_ms();
    let row = api_keys::find_by_hash(core.db.pool(), &key.lookup_hash())
        .await?
        .filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now))
        .ok_or(ServiceError::Unauthenticated(BAD_KEY))?;
    let user = users::get(core.db.pool(), &row.org_id, &row.user_id)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(ServiceError::Unauthenticated(BAD_KEY))?;
    let scope = KeyScope::parse(&row.scope)
        .ok_or_else(|| ServiceError::fault(format!("API key {} has unknown scope", row.id)))?;
    let ip = meta.ip.map(|ip| ip.to_string());
    api_keys::touch(core.db.pool(), &row.org_id, &row.id, now, ip.as_deref()).await?;
    staff(
        user,
        StaffCredential::ApiKey {
            key_id: row.id,
            scope,
        },
    )
}

/// A staff member by email, for the `liaison` command line run on this host by someone
/// with access to its database and master key.
#[tracing::instrument(skip_all)]
pub async fn staff_for_cli(core: &Liaison, email: &str) -> Result<Staff> {
    let user = users::find_by_email(core.db.pool(), &email.trim().to_lowercase())
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(ServiceError::NotFound(
            "active staff member with that email",
        ))?;
    staff(user, StaffCredential::Cli)
}

/// Records a console sign-out.
#[tracing::instrument(skip_all)]
/// Tells the open console channels of the staff member `user_id`, on every node, that
/// their standing changed (signed out, disabled, role changed, password reset or set):
/// each re-reads its session at once. Called once the change is committed.
pub async fn standing_changed(core: &Liaison, org_id: &str, user_id: &str) -> Result<()> {
    let who = crate::revocation::StaffRef {
        org_id: org_id.to_owned(),
        user_id: user_id.to_owned(),
    };
    Ok(core.revocations.announce_staff(&core.db, who).await?)
}

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
