//! The guest's path: open a link, pass the checks, hold a portal session, see the items.
//!
//! Order of checks on an open (SPEC §3): unknown token → revoked → expired → access count
//! used up → acknowledgement. Every denial of a known share is audited with its reason.
//! Only a POST that proves the full token (PBKDF2) and passes every check counts an
//! access, so a mail scanner's GET of the link never uses one up.

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use super::{Result, ServiceError};
use crate::actor::{Guest, RequestMeta};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::ShareToken;
use crate::domain::{Denial, Share};
use crate::portal_jwt::PortalClaims;
use crate::store::{self, documents::DocumentRow, new_id};
use crate::Liaison;

/// What the link's landing page may show before the token is verified.
#[derive(Clone, Debug, Serialize)]
pub struct Landing {
    pub org_name: String,
    pub require_acknowledgement: bool,
}

/// A portal session just issued.
#[derive(Clone, Debug)]
pub struct PortalSession {
    pub access_token: String,
    pub expires_in: i64,
    pub share_id: String,
}

async fn deny(core: &Liaison, share: &Share, denial: Denial, meta: &RequestMeta) -> ServiceError {
    if denial == Denial::Expired || denial == Denial::AccessCountExceeded {
        if let Err(e) = super::shares::record_expiry(core, share, meta).await {
            return e;
        }
    }
    let recorded = audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &share.org_id,
            event_type: EventType::ShareDenied,
            actor: AuditActor::LinkHolder {
                recipient_name: &share.recipient_name,
            },
            share_id: Some(&share.id),
            item_id: Some(&share.document_id),
            details: json!({ "reason": denial.code() }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await;
    match recorded {
        Ok(()) => ServiceError::Denied(denial),
        Err(e) => e.into(),
    }
}

async fn find(core: &Liaison, token_text: &str) -> Result<(ShareToken, Share)> {
    let token = ShareToken::parse(token_text).ok_or(ServiceError::Denied(Denial::UnknownToken))?;
    let share = store::shares::find_by_selector(core.db.pool(), token.selector())
        .await?
        .ok_or(ServiceError::Denied(Denial::UnknownToken))?;
    Ok((token, share))
}

/// The landing page for `GET /s/{token}`: cheap (no PBKDF2), counts nothing. Denials for a
/// known share are audited.
pub async fn landing(core: &Liaison, token_text: &str, meta: &RequestMeta) -> Result<Landing> {
    let (_, share) = find(core, token_text).await?;
    if let Err(denial) = share.check_new_open(core.now()) {
        return Err(deny(core, &share, denial, meta).await);
    }
    let org = store::orgs::get(core.db.pool(), &share.org_id)
        .await?
        .ok_or(ServiceError::NotFound("organisation"))?;
    Ok(Landing {
        org_name: org.name,
        require_acknowledgement: share.require_acknowledgement,
    })
}

/// A verified open: proves the token, applies every check, counts one access, and issues a
/// portal session.
pub async fn open(
    core: &Liaison,
    token_text: &str,
    acknowledged: bool,
    meta: &RequestMeta,
) -> Result<PortalSession> {
    let (token, share) = find(core, token_text).await?;
    if !core
        .kdf
        .verify(token.verifier_secret(), &share.verifier_hash)
        .await?
    {
        // Right selector, wrong verifier: a forged or truncated link. Audited, then a plain 404.
        return Err(deny(core, &share, Denial::UnknownToken, meta).await);
    }
    if let Err(denial) = share.check_new_open(core.now()) {
        return Err(deny(core, &share, denial, meta).await);
    }
    if share.require_acknowledgement && !acknowledged {
        return Err(ServiceError::Denied(Denial::AcknowledgementRequired));
    }
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let Some(count) =
        store::shares::try_count_access(&mut *tx, &share.org_id, &share.id, now).await?
    else {
        // Lost a race with a revocation, the expiry or the last allowed access.
        tx.rollback().await?;
        let fresh = store::shares::get(core.db.pool(), &share.org_id, &share.id)
            .await?
            .unwrap_or(share);
        let denial = fresh
            .check_new_open(core.now())
            .err()
            .unwrap_or(Denial::AccessCountExceeded);
        return Err(deny(core, &fresh, denial, meta).await);
    };
    let actor = AuditActor::LinkHolder {
        recipient_name: &share.recipient_name,
    };
    if share.require_acknowledgement {
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &share.org_id,
                event_type: EventType::AcknowledgementAccepted,
                actor: actor.clone(),
                share_id: Some(&share.id),
                item_id: Some(&share.document_id),
                details: json!({}),
                meta,
                at_ms: now,
            },
        )
        .await?;
    }
    let session_id = new_id();
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &share.org_id,
            event_type: EventType::ShareAccessed,
            actor,
            share_id: Some(&share.id),
            item_id: Some(&share.document_id),
            details: json!({
                "recipient": { "name": share.recipient_name, "email": share.recipient_email },
                "access_count": count,
                "max_access_count": share.max_access_count,
                "portal_session": session_id,
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;

    let ttl = core
        .settings
        .portal_session_ttl
        .min(crate::Settings::MAX_PORTAL_SESSION_TTL);
    let iat = now / 1000;
    let claims = PortalClaims {
        iss: core.settings.issuer(),
        aud: core.settings.portal_audience(),
        sub: share.id.clone(),
        org: share.org_id.clone(),
        sid: session_id,
        iat,
        exp: iat + ttl.whole_seconds(),
    };
    Ok(PortalSession {
        access_token: core.keys.issue(&claims)?,
        expires_in: ttl.whole_seconds(),
        share_id: share.id,
    })
}

/// Authenticates a portal request (cookie or bearer JWT) and re-checks the share *now*:
/// a revoked or expired share fails on the very next request.
pub async fn authenticate(core: &Liaison, jwt: &str, meta: &RequestMeta) -> Result<Guest> {
    let claims = core
        .keys
        .verify(
            jwt,
            &core.settings.issuer(),
            &core.settings.portal_audience(),
        )
        .await?;
    let share = store::shares::get(core.db.pool(), &claims.org, &claims.sub)
        .await?
        .ok_or_else(|| ServiceError::InvalidPortalToken("the share no longer exists".into()))?;
    if let Err(denial) = share.check_session(core.now()) {
        let _ = deny(core, &share, denial, meta).await;
        return Err(ServiceError::InvalidPortalToken(
            denial.message().to_owned(),
        ));
    }
    Ok(Guest {
        org_id: share.org_id,
        share_id: share.id,
        session_id: claims.sid,
        recipient_name: share.recipient_name,
        recipient_email: share.recipient_email,
    })
}

/// An item as the guest sees it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PortalItem {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

async fn shared_document(core: &Liaison, guest: &Guest) -> Result<DocumentRow> {
    let share = store::shares::get(core.db.pool(), &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    store::documents::get(core.db.pool(), &guest.org_id, &share.document_id)
        .await?
        .ok_or(ServiceError::NotFound("document"))
}

/// The items of the guest's share, and nothing else.
pub async fn items(core: &Liaison, guest: &Guest) -> Result<Vec<PortalItem>> {
    let d = shared_document(core, guest).await?;
    Ok(vec![PortalItem {
        id: d.id,
        kind: "document",
        title: d.title,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
    }])
}

/// The bytes of one item of the share; any other id is "not found". Audited as a view.
pub async fn item_content(
    core: &Liaison,
    guest: &Guest,
    item_id: &str,
    meta: &RequestMeta,
) -> Result<(PortalItem, Bytes)> {
    let d = shared_document(core, guest).await?;
    if d.id != item_id {
        return Err(ServiceError::NotFound("item"));
    }
    let bytes = core.blobs.get(&d.blob_key).await?;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &guest.org_id,
            event_type: EventType::ItemViewed,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(&d.id),
            details: json!({ "title": d.title }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    let item = PortalItem {
        id: d.id,
        kind: "document",
        title: d.title,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
    };
    Ok((item, bytes))
}
