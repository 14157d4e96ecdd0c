//! A record share's record as its guest sees it, and its signed export. Both are made from
//! `records::guest_view`, the one redaction projection: nothing withheld reaches them.

use serde::Serialize;
use serde_json::json;

use super::current_share;
use crate::actor::{Guest, RequestMeta};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::records::redaction::GuestRecord;
use crate::services::{records, Result, ServiceError};
use crate::Liaison;

/// The record of the guest's share, as they may see it; `None` for a document share.
/// Each view is audited (`item.viewed`).
#[tracing::instrument(skip_all)]
pub async fn shared_record(
    core: &Liaison,
    guest: &Guest,
    meta: &RequestMeta,
) -> Result<Option<GuestRecord>> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let Some(record_id) = &share.record_id else {
        return Ok(None);
    };
    let record = records::guest_view(core, &guest.org_id, record_id).await?;
    audit_record(core, guest, EventType::ItemViewed, &record, "view", meta).await?;
    Ok(Some(record))
}

/// The claims of a signed record export (a JWT: RS256, `typ` `liaison-record+jwt`, the `kid`
/// of a key in the portal's JWKS at `/.well-known/jwks.json`).
#[derive(Serialize)]
struct ExportClaims<'a> {
    iss: String,
    /// The record's id.
    sub: &'a str,
    iat: i64,
    jti: String,
    /// The share it was exported through, and to whom.
    share: &'a str,
    recipient: &'a str,
    /// Exactly what the guest sees: withheld fields and private documents are absent.
    record: &'a GuestRecord,
}

/// A signed export of the guest's record.
pub struct SignedRecord {
    pub file_name: String,
    /// Compact JWS.
    pub jws: String,
}

/// The guest's record as a JWS signed with the published portal key, so anyone can check
/// with a JOSE library and the JWKS that it is what Liaison served. Audited
/// (`item.downloaded`, format `jws`). Not found for a document share; refused where the
/// share does not allow downloads (a view-only share, TLP:RED): the export is a copy.
#[tracing::instrument(skip_all)]
pub async fn signed_record(
    core: &Liaison,
    guest: &Guest,
    meta: &RequestMeta,
) -> Result<SignedRecord> {
    let share = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let record_id = share
        .record_id
        .as_deref()
        .ok_or(ServiceError::NotFound("record"))?;
    if !share.settings.allow_download {
        return Err(ServiceError::Forbidden(
            "This share lets you view the record only: it cannot be exported.",
        ));
    }
    let record = records::guest_view(core, &guest.org_id, record_id).await?;
    let iat = core.now_ms() / 1000;
    let claims = ExportClaims {
        iss: core.settings.issuer(),
        sub: &record.record.id,
        iat,
        jti: crate::store::new_id(),
        share: &share.id,
        recipient: &share.recipient_email,
        record: &record,
    };
    let jws = core
        .keys
        .sign(&claims, iat, crate::portal_jwt::TokenType::RecordExport)?;
    audit_record(core, guest, EventType::ItemDownloaded, &record, "jws", meta).await?;
    let stem: String = record
        .record
        .reference
        .as_deref()
        .unwrap_or(&record.record.id)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(SignedRecord {
        file_name: format!("record-{stem}.jws"),
        jws,
    })
}

async fn audit_record(
    core: &Liaison,
    guest: &Guest,
    event_type: EventType,
    record: &GuestRecord,
    format: &str,
    meta: &RequestMeta,
) -> Result<()> {
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &guest.org_id,
            event_type,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: Some(&record.record.id),
            details: json!({ "record": record.record.id, "title": record.record.title,
                             "format": format }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(())
}
