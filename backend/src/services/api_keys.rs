//! API keys: created with a name, a scope and an optional expiry (the secret shown once,
//! stored only as a hash), listed with their prefix, owner and last use, revoked at once.
//! Every staff member manages their own keys (a key acts as its owner, narrowed by its
//! scope; an auditor's keys are read-only); administrators also see and revoke everyone's.
//! Every change audited.

use serde::Serialize;
use serde_json::json;

use super::{audit_staff_change, authorize, rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::crypto::token::ApiKey;
use crate::domain::{Action, KeyScope};
use crate::store::{self, api_keys::ApiKeyRow, from_millis, new_id};
use crate::Liaison;

/// The longest expiry a key may be given.
pub const MAX_EXPIRY_DAYS: u32 = 3650;
/// The longest expiry of a key of someone who is not an administrator (whose keys always
/// expire: a stolen session cannot mint lasting access).
pub const STAFF_MAX_EXPIRY_DAYS: u32 = 365;

/// What a list shows of a key (never its secret or hash).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// The staff member it acts as (who created it).
    pub user_id: String,
    /// Their name, for lists.
    pub owner: String,
    pub scope: KeyScope,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<String>,
    /// active | expired | revoked
    pub status: &'static str,
}

fn view(row: ApiKeyRow, owner: String, now_ms: i64) -> ApiKeyView {
    let status = if row.revoked_at.is_some() {
        "revoked"
    } else if row.expires_at.is_some_and(|at| at <= now_ms) {
        "expired"
    } else {
        "active"
    };
    let at = |ms: Option<i64>| ms.map(|ms| rfc3339(from_millis(ms)));
    ApiKeyView {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        user_id: row.user_id,
        owner,
        scope: KeyScope::parse(&row.scope).unwrap_or(KeyScope::Read),
        created_at: rfc3339(from_millis(row.created_at)),
        expires_at: at(row.expires_at),
        last_used_at: at(row.last_used_at),
        last_used_ip: row.last_used_ip,
        revoked_at: at(row.revoked_at),
        status,
    }
}

/// What a list shows of a key: `lsn_` and four characters.
pub(crate) fn prefix_of(key: &ApiKey) -> String {
    use secrecy::ExposeSecret;
    key.expose().expose_secret().chars().take(8).collect()
}

/// A key to create.
#[derive(Clone, Debug)]
pub struct NewKey {
    pub name: String,
    pub scope: KeyScope,
    pub expires_in_days: Option<u32>,
}

/// A new key acting as `who`. Returns its view and the secret, which is shown this once.
#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    new: NewKey,
    meta: &RequestMeta,
) -> Result<(ApiKeyView, secrecy::SecretString)> {
    authorize(who, Action::ManageOwnApiKeys)?;
    let NewKey {
        name,
        scope,
        expires_in_days,
    } = new;
    let name = validate::text("name", &name, 100)?;
    if scope == KeyScope::Admin && !who.role.may_hold_write_keys() {
        return Err(ServiceError::invalid(
            "scope",
            "your role only reads: its keys have the read scope",
        ));
    }
    if !who.role.permits(Action::ManageAllApiKeys)
        && expires_in_days.is_none_or(|d| d > STAFF_MAX_EXPIRY_DAYS)
    {
        return Err(ServiceError::invalid(
            "expires_in_days",
            format!("keys of your role expire within {STAFF_MAX_EXPIRY_DAYS} days"),
        ));
    }
    let now = core.now_ms();
    let expires_at = match expires_in_days {
        None => None,
        Some(d) if (1..=MAX_EXPIRY_DAYS).contains(&d) => Some(now + i64::from(d) * 86_400_000),
        Some(_) => {
            return Err(ServiceError::invalid(
                "expires_in_days",
                format!("expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}"),
            ))
        }
    };
    // A key cannot outlive the API key that created it: a leaked short-lived key must not
    // be turned into lasting access.
    if let crate::actor::StaffCredential::ApiKey { key_id, .. } = &who.credential {
        let creator = store::api_keys::get(core.db.pool(), &who.org_id, key_id)
            .await?
            .ok_or(ServiceError::NotFound("API key"))?;
        if let Some(limit) = creator.expires_at {
            if expires_at.is_none_or(|at| at > limit) {
                return Err(ServiceError::invalid(
                    "expires_in_days",
                    format!(
                        "a key created with an API key cannot outlive it: it expires at {}",
                        rfc3339(from_millis(limit))
                    ),
                ));
            }
        }
    }
    let key = ApiKey::generate();
    let row = ApiKeyRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        user_id: who.user_id.clone(),
        name,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
        prefix: prefix_of(&key),
        expires_at,
        last_used_ip: None,
        scope: scope.as_str().into(),
    };
    let mut tx = core.db.begin().await?;
    store::api_keys::insert(&mut *tx, &row, &key.lookup_hash()).await?;
    audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::ApiKeyChanged,
        json!({ "action": "created", "key": row.id, "name": row.name, "prefix": row.prefix,
                "scope": row.scope,
                "expires_at": row.expires_at.map(|ms| rfc3339(from_millis(ms))) }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok((view(row, who.name.clone(), now), key.expose().clone()))
}

/// Administrators: every key of the organisation. Everyone else: their own.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<ApiKeyView>> {
    authorize(who, Action::ViewApiKeys)?;
    let all = who.role.permits(Action::ManageAllApiKeys);
    let now = core.now_ms();
    let pool = core.db.pool();
    let owners: std::collections::HashMap<String, String> = store::users::list(pool, &who.org_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(
        store::api_keys::list(pool, &who.org_id, (!all).then_some(who.user_id.as_str()))
            .await?
            .into_iter()
            .map(|r| {
                let owner = owners.get(&r.user_id).cloned().unwrap_or_default();
                view(r, owner, now)
            })
            .collect(),
    )
}

/// Revokes a key of the organisation: its next request is refused.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<ApiKeyView> {
    authorize(who, Action::ManageOwnApiKeys)?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let row = store::api_keys::get(&mut *tx, &who.org_id, id)
        .await?
        // Someone else's key does not exist for a person who may not manage it.
        .filter(|k| k.user_id == who.user_id || who.role.permits(Action::ManageAllApiKeys))
        .ok_or(ServiceError::NotFound("API key"))?;
    if !store::api_keys::revoke(&mut *tx, &who.org_id, id, now).await? {
        return Err(ServiceError::Conflict(
            "this API key is already revoked".into(),
        ));
    }
    audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::ApiKeyChanged,
        json!({ "action": "revoked", "key": row.id, "name": row.name, "prefix": row.prefix }),
        meta,
    )
    .await?;
    tx.commit().await?;
    let owner = store::users::get(core.db.pool(), &who.org_id, &row.user_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    Ok(view(
        ApiKeyRow {
            revoked_at: Some(now),
            ..row
        },
        owner,
        now,
    ))
}
