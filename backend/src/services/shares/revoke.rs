//! Revoking one share or many at once.

use super::view::get;
use super::ShareView;
use crate::actor::{RequestMeta, Staff};
use crate::domain::Action;
use crate::services::share_core::{revoke_in, Revoker};
use crate::services::{authorize, Result, ServiceError};
use crate::Liaison;

/// Revokes a share at once: the next request on any path (page, API, download) fails.
/// Revoking an already revoked share is a no-op that returns the share unchanged.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<ShareView> {
    authorize(who, Action::RevokeAnyShare)?;
    get(core, who, id).await?;
    let mut tx = core.db.begin().await?;
    let revoked = revoke_in(
        core,
        &mut tx,
        &who.org_id,
        Revoker::Staff(who),
        id,
        meta,
        "revoked",
    )
    .await?;
    tx.commit().await?;
    if let Some(r) = revoked {
        core.revocations.publish(r);
    }
    get(core, who, id).await
}

/// Most shares one bulk revocation may name.
pub const MAX_BULK_REVOKE: usize = 500;

/// Revokes several shares at once, all or none: every id must name a share `who` can see,
/// and the revocations (each audited) commit in one transaction. Already revoked shares
/// are left as they are. Returns how many this call revoked.
#[tracing::instrument(skip_all)]
pub async fn revoke_many(
    core: &Liaison,
    who: &Staff,
    ids: &[String],
    meta: &RequestMeta,
) -> Result<usize> {
    authorize(who, Action::RevokeAnyShare)?;
    if ids.is_empty() || ids.len() > MAX_BULK_REVOKE {
        return Err(ServiceError::invalid(
            "ids",
            format!("name between 1 and {MAX_BULK_REVOKE} shares"),
        ));
    }
    for id in ids {
        get(core, who, id).await?;
    }
    let mut tx = core.db.begin().await?;
    let mut revoked = Vec::new();
    for id in ids {
        if let Some(r) = revoke_in(
            core,
            &mut tx,
            &who.org_id,
            Revoker::Staff(who),
            id,
            meta,
            "revoked_in_bulk",
        )
        .await?
        {
            revoked.push(r);
        }
    }
    tx.commit().await?;
    let count = revoked.len();
    for r in revoked {
        core.revocations.publish(r);
    }
    Ok(count)
}
