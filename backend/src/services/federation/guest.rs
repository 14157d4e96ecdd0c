//! A partner's guest: start the sign-in from a federated share's landing page, show whom
//! this browser signed in as, and whether a federated session may go on.

use secrecy::SecretString;
use url::Url;

use super::{begin, LandingFederation, Start};
use crate::actor::RequestMeta;
use crate::domain::{Method, Share};
use crate::federation::{Identity, LoginPurpose};
use crate::services::share_core::{device_hash, proven_link};
use crate::services::{Result, ServiceError};
use crate::store::{self, federation::LoginRow, partners::IdpRow};
use crate::Liaison;

/// Starts the sign-in for a federated share from its landing page. `idp_id` picks one of
/// the partner's IdPs when it has several (default: the first enabled one).
#[tracing::instrument(skip_all)]
pub async fn start_for_share(
    core: &Liaison,
    token_text: &str,
    idp_id: Option<&str>,
    device: &SecretString,
    meta: &RequestMeta,
) -> Result<Url> {
    let share = proven_link(core, token_text, meta).await?;
    if share.method != Method::Federated {
        return Err(ServiceError::invalid(
            "token",
            "this link does not use partner sign-in",
        ));
    }
    let idps = partner_idps(core, &share).await?;
    let idp = match idp_id {
        Some(id) => idps.into_iter().find(|i| i.id == id),
        None => idps.into_iter().next(),
    }
    .ok_or(ServiceError::NotFound("identity provider"))?;
    begin(
        core,
        &idp,
        Start {
            purpose: LoginPurpose::Share,
            share_id: Some(&share.id),
            device: Some(device),
            user_id: None,
        },
    )
    .await
}

/// May a federated session that signed in at `idp_id` go on (be renewed)? Only while the
/// share's partner and that IdP are both still enabled: disabling either ends the
/// partner's sessions at their next renewal.
#[tracing::instrument(skip_all)]
pub async fn idp_admits_sessions(core: &Liaison, share: &Share, idp_id: &str) -> Result<bool> {
    Ok(partner_idps(core, share)
        .await?
        .iter()
        .any(|i| i.id == idp_id))
}

/// The enabled IdPs of the share's partner (none when the partner is disabled).
async fn partner_idps(core: &Liaison, share: &Share) -> Result<Vec<IdpRow>> {
    let rule = share.settings.federation.as_ref().ok_or_else(|| {
        ServiceError::fault(format!("federated share {} has no partner", share.id))
    })?;
    let partner = store::partners::get_partner(core.db.pool(), &share.org_id, &rule.partner_id)
        .await?
        .filter(|p| p.disabled_at.is_none());
    if partner.is_none() {
        return Ok(Vec::new());
    }
    Ok(
        store::partners::list_idps(core.db.pool(), &share.org_id, Some(&rule.partner_id))
            .await?
            .into_iter()
            .filter(|i| i.disabled_at.is_none())
            .collect(),
    )
}

/// The landing page's federation block for a federated share.
#[tracing::instrument(skip_all)]
pub async fn landing(
    core: &Liaison,
    share: &Share,
    device: Option<&SecretString>,
) -> Result<Option<LandingFederation>> {
    if share.method != Method::Federated {
        return Ok(None);
    }
    let Some(rule) = &share.settings.federation else {
        return Ok(None);
    };
    let partner_name =
        store::partners::get_partner(core.db.pool(), &share.org_id, &rule.partner_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
    let idps = partner_idps(core, share)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    let signed_in_as = match device {
        Some(d) => signed_in_for_share(core, share, d)
            .await?
            .and_then(|l| l.identity)
            .and_then(|j| serde_json::from_str::<Identity>(&j).ok())
            .map(|i| i.email),
        None => None,
    };
    Ok(Some(LandingFederation {
        partner_name,
        idps,
        signed_in_as,
    }))
}

/// This browser's completed, unused sign-in for this share, if any.
#[tracing::instrument(skip_all)]
pub async fn signed_in_for_share(
    core: &Liaison,
    share: &Share,
    device: &SecretString,
) -> Result<Option<LoginRow>> {
    let hash = device_hash(device);
    Ok(
        store::federation::completed_for_device(
            core.db.pool(),
            &share.org_id,
            &hash,
            core.now_ms(),
        )
        .await?
        .filter(|l| l.share_id.as_deref() == Some(share.id.as_str())),
    )
}
