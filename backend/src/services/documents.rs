//! The document library: upload (type sniffed from the bytes, never trusted from the
//! client), list, fetch.

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use super::{rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::blobs::Blobs;
use crate::crypto::sha256_hex;
use crate::store::{self, documents::DocumentRow, new_id};
use crate::Liaison;

/// What the console and the API show of a document.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DocumentView {
    pub id: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: String,
}

impl From<&DocumentRow> for DocumentView {
    fn from(r: &DocumentRow) -> Self {
        Self {
            id: r.id.clone(),
            title: r.title.clone(),
            file_name: r.file_name.clone(),
            content_type: r.content_type.clone(),
            size_bytes: r.size_bytes,
            sha256: r.sha256.clone(),
            created_at: rfc3339(store::from_millis(r.created_at)),
        }
    }
}

/// The accepted types, recognised by their first bytes. SVG and HTML are deliberately
/// absent: both can carry script.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if std::str::from_utf8(bytes).is_ok_and(|t| {
        !t.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    }) {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
        let head = head.trim_start();
        if head.starts_with("<!doctype html")
            || head.starts_with("<html")
            || head.starts_with("<svg")
            || head.starts_with("<?xml")
        {
            None
        } else {
            Some("text/plain; charset=utf-8")
        }
    } else {
        None
    }
}

pub struct Upload {
    pub title: String,
    pub file_name: String,
    pub bytes: Bytes,
}

pub async fn upload(
    core: &Liaison,
    who: &Staff,
    up: Upload,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden(
            "Your role may not upload documents.",
        ));
    }
    let limit = core.settings.max_upload_bytes;
    if up.bytes.len() > limit {
        return Err(ServiceError::PayloadTooLarge { limit });
    }
    if up.bytes.is_empty() {
        return Err(ServiceError::invalid("file", "the file is empty"));
    }
    let content_type = sniff_content_type(&up.bytes).ok_or_else(|| {
        ServiceError::UnsupportedMedia(
            "only PDF, PNG, JPEG, GIF, WebP and plain-text files can be uploaded".into(),
        )
    })?;
    let file_name = validate::file_name(&up.file_name);
    let title = if up.title.trim().is_empty() {
        file_name.clone()
    } else {
        up.title
    };
    let title = validate::text("title", &title, 200)?;
    let id = new_id();
    let row = DocumentRow {
        blob_key: Blobs::document_key(&who.org_id, &id),
        id,
        org_id: who.org_id.clone(),
        title,
        file_name,
        content_type: content_type.to_owned(),
        size_bytes: up.bytes.len() as i64,
        sha256: sha256_hex(&up.bytes),
        created_by: who.user_id.clone(),
        created_at: core.now_ms(),
    };
    core.blobs.put(&row.blob_key, up.bytes).await?;
    let stored = async {
        let mut tx = core.db.begin().await?;
        store::documents::insert(&mut *tx, &row).await?;
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &who.org_id,
                event_type: EventType::DocumentUploaded,
                actor: AuditActor::Staff(who),
                share_id: None,
                item_id: Some(&row.id),
                details: json!({ "title": row.title, "file_name": row.file_name, "size_bytes": row.size_bytes, "sha256": row.sha256 }),
                meta,
                at_ms: row.created_at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ServiceError>(())
    }
    .await;
    if let Err(e) = stored {
        // Nothing half-written: the blob goes if its row did not land.
        let _ = core.blobs.delete(&row.blob_key).await;
        return Err(e);
    }
    Ok(DocumentView::from(&row))
}

pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<DocumentView>> {
    let rows = store::documents::list(core.db.pool(), &who.org_id, 500).await?;
    Ok(rows.iter().map(DocumentView::from).collect())
}

#[cfg(test)]
mod tests {
    use super::sniff_content_type as sniff;

    #[test]
    fn sniffing_table() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff("Minutes of the meeting — ünïcode".as_bytes()),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"  <!DOCTYPE html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(sniff(b"PK\x03\x04 zip"), None);
    }
}
