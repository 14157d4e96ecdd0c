//! Staff signing in to the console at their organisation's own IdP: start, the IdP list
//! for the sign-in page, SP metadata, and the same-site finish that yields the session.

use secrecy::SecretString;
use serde_json::json;
use url::Url;

use super::refusals::audit_failure;
use super::{begin, same_browser, sp_for, Start};
use crate::actor::RequestMeta;
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::sha256_hex;
use crate::federation::{saml, Identity, LoginPurpose};
use crate::services::{Result, ServiceError};
use crate::store;
use crate::Liaison;

/// Starts staff sign-in at the organisation's own IdP (`/login` offers it by id).
#[tracing::instrument(skip_all)]
pub async fn start_for_staff(core: &Liaison, idp_id: &str, device: &SecretString) -> Result<Url> {
    let idp = store::partners::get_idp_any_org(core.db.pool(), idp_id)
        .await?
        .filter(|i| i.partner_id.is_none())
        .ok_or(ServiceError::NotFound("identity provider"))?;
    begin(
        core,
        &idp,
        Start {
            purpose: LoginPurpose::Staff,
            share_id: None,
            device: Some(device),
            user_id: None,
        },
    )
    .await
}

/// Every organisation's enabled staff IdPs, for the sign-in page: (id, name).
#[tracing::instrument(skip_all)]
pub async fn staff_idps(core: &Liaison) -> Result<Vec<(String, String)>> {
    Ok(store::partners::list_staff_idps_all(core.db.pool())
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect())
}

/// SP metadata for one SAML IdP connection.
#[tracing::instrument(skip_all)]
pub async fn sp_metadata(core: &Liaison, idp_id: &str) -> Result<String> {
    let idp = store::partners::get_idp_any_org(core.db.pool(), idp_id)
        .await?
        .filter(|i| i.kind == "saml")
        .ok_or(ServiceError::NotFound("identity provider"))?;
    Ok(saml::sp_metadata_xml(
        &sp_for(core, &idp.id),
        idp.sp_cert.as_deref(),
    ))
}

/// The last step of a staff sign-in at the organisation's IdP: in the browser that started
/// it (its device cookie matches), once, within the sign-in window. Returns the staff
/// member to put in the console session.
#[tracing::instrument(skip_all)]
pub async fn finish_staff(
    core: &Liaison,
    state: &str,
    device: Option<&SecretString>,
    meta: &RequestMeta,
) -> Result<crate::actor::Staff> {
    let refused = || {
        ServiceError::Unauthenticated(
            "This sign-in is unknown, expired or was already used. Sign in again.",
        )
    };
    let state_hash = sha256_hex(state.as_bytes());
    let Some(login) = store::federation::by_state(core.db.pool(), &state_hash).await? else {
        return Err(refused());
    };
    let usable = login.purpose == LoginPurpose::Staff
        && login.completed_at.is_some()
        && login.consumed_at.is_none()
        && login.expires_at > core.now_ms()
        && login.device_hash.is_some()
        && same_browser(login.device_hash.as_deref(), device);
    if !usable {
        // Someone holds this state but not the finished sign-in in the browser that started
        // it (a lure, a replay, a late or repeated click): audited against its organisation.
        if let Some(idp) =
            store::partners::get_idp(core.db.pool(), &login.org_id, &login.idp_id).await?
        {
            audit_failure(core, &idp, Some(&login), "staff_finish_refused", None, meta).await?;
        }
        return Err(refused());
    }
    let identity: Identity = login
        .identity
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(refused)?;
    let user = store::users::find_by_email(core.db.pool(), &identity.email)
        .await?
        .filter(|u| u.org_id == login.org_id && u.disabled_at.is_none())
        .ok_or(ServiceError::Forbidden(
            "there is no Liaison account for this identity in this organisation",
        ))?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::federation::consume(&mut *tx, &login.org_id, &state_hash, now).await? {
        tx.rollback().await?;
        return Err(refused());
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &login.org_id,
            event_type: EventType::SignedIn,
            actor: AuditActor::Federated {
                name: &user.display_name,
                idp_id: &login.idp_id,
            },
            share_id: None,
            item_id: None,
            details: json!({ "method": "idp", "idp": login.idp_id, "user": user.id, "email": identity.email }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    crate::services::auth::staff_for_session(core, &user.id, user.session_epoch)
        .await?
        .ok_or(ServiceError::Forbidden("this account is disabled"))
}
