//! Portal signing key rotation for administrators and the command line. The keys are the
//! installation's (one JWKS for every organisation); see `portal_jwt` for the invariants.

use serde::Serialize;
use serde_json::json;

use super::{audit_staff_change, rfc3339, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::store::{self, from_millis};
use crate::Liaison;

/// The least time a new key is published before it signs: longer than the JWKS may be
/// cached (`max-age=300` on `/.well-known/jwks.json`) plus a node's key refresh interval
/// (one minute), with a minute to spare — so no token carries a kid that a node or a JWKS
/// consumer cannot know yet. It also makes "one rotation at a time" mean at most one per
/// seven minutes.
pub const MIN_LEAD_SECS: u32 = JWKS_MAX_AGE_SECS + 60 + 60;
/// `Cache-Control: max-age` of the published JWKS.
pub const JWKS_MAX_AGE_SECS: u32 = 300;
pub const DEFAULT_LEAD_SECS: u32 = 10 * 60;
pub const MAX_LEAD_SECS: u32 = 24 * 60 * 60;

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SigningKeyView {
    pub kid: String,
    pub created_at: String,
    pub activates_at: String,
    pub retired_at: Option<String>,
    /// pending (published, not yet signing) | signing | verifying (replaced; kept until
    /// its tokens expire) | retired
    pub status: &'static str,
}

#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<SigningKeyView>> {
    super::authorize(who, crate::domain::Action::RotateSigningKeys)?;
    list_all(core).await
}

/// Every key with its state (the command line; the REST list is [`list`]).
#[tracing::instrument(skip_all)]
pub async fn list_all(core: &Liaison) -> Result<Vec<SigningKeyView>> {
    let now = core.now_ms();
    let rows = store::signing_keys::list_all(core.db.pool()).await?;
    let signer = rows
        .iter()
        .find(|r| r.retired_at.is_none() && r.activates_at <= now)
        .map(|r| r.kid.clone());
    Ok(rows
        .into_iter()
        .map(|r| SigningKeyView {
            status: if r.retired_at.is_some() {
                "retired"
            } else if r.activates_at > now {
                "pending"
            } else if Some(&r.kid) == signer.as_ref() {
                "signing"
            } else {
                "verifying"
            },
            kid: r.kid,
            created_at: rfc3339(from_millis(r.created_at)),
            activates_at: rfc3339(from_millis(r.activates_at)),
            retired_at: r.retired_at.map(|ms| rfc3339(from_millis(ms))),
        })
        .collect())
}

fn lead_ms(lead_secs: Option<u32>) -> Result<i64> {
    let secs = lead_secs.unwrap_or(DEFAULT_LEAD_SECS);
    if !(MIN_LEAD_SECS..=MAX_LEAD_SECS).contains(&secs) {
        return Err(ServiceError::invalid(
            "publish_lead_seconds",
            format!(
                "publish_lead_seconds must be between {MIN_LEAD_SECS} (the JWKS cache time \
                 plus the nodes' refresh) and {MAX_LEAD_SECS}"
            ),
        ));
    }
    Ok(i64::from(secs) * 1000)
}

/// Starts a rotation (one at a time: refused while a new key is still pending).
async fn rotate_keys(core: &Liaison, lead_secs: Option<u32>) -> Result<SigningKeyView> {
    let lead = lead_ms(lead_secs)?;
    if list_all(core).await?.iter().any(|k| k.status == "pending") {
        return Err(ServiceError::Conflict(
            "a rotation is already pending: its key has not started signing yet".into(),
        ));
    }
    let (kid, _) = core.keys.rotate(core.now_ms(), lead).await?;
    list_all(core)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| ServiceError::fault("the new signing key is not listed"))
}

/// An administrator's rotation, audited in their organisation.
#[tracing::instrument(skip_all)]
pub async fn rotate(
    core: &Liaison,
    who: &Staff,
    lead_secs: Option<u32>,
    meta: &RequestMeta,
) -> Result<SigningKeyView> {
    super::authorize(who, crate::domain::Action::RotateSigningKeys)?;
    let key = rotate_keys(core, lead_secs).await?;
    let mut tx = core.db.begin().await?;
    audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::SigningKeyRotated,
        json!({ "kid": key.kid, "activates_at": key.activates_at }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// `liaison keys rotate` on this host: audited in every organisation (the keys sign all
/// of their portal sessions).
#[tracing::instrument(skip_all)]
pub async fn rotate_from_cli(core: &Liaison, lead_secs: Option<u32>) -> Result<SigningKeyView> {
    let key = rotate_keys(core, lead_secs).await?;
    for org_id in store::orgs::list_ids(core.db.pool()).await? {
        audit::record_alone(
            &core.db,
            NewEvent {
                org_id: &org_id,
                event_type: EventType::SigningKeyRotated,
                actor: AuditActor::System,
                share_id: None,
                item_id: None,
                details: json!({ "kid": key.kid, "activates_at": key.activates_at, "by": "cli" }),
                meta: &RequestMeta::default(),
                at_ms: core.now_ms(),
            },
        )
        .await?;
    }
    Ok(key)
}

/// Every node, periodically: re-reads the keys and retires those whose tokens have all
/// expired.
#[tracing::instrument(skip_all)]
pub async fn maintain(core: &Liaison) -> Result<Vec<String>> {
    core.keys.refresh().await?;
    let max_token_ms = crate::Settings::MAX_PORTAL_SESSION_TTL.whole_milliseconds() as i64;
    Ok(core
        .keys
        .retire_expired(core.now_ms(), max_token_ms)
        .await?)
}
