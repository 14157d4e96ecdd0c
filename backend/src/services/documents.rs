//! The document library: upload (type sniffed from the bytes, never trusted from the
//! client), list, fetch.

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use super::{rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::blobs::Blobs;
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
    let mut sniffer = Sniffer::default();
    sniffer.feed(bytes);
    sniffer.content_type()
}

/// Decides a file's type from its content, fed piece by piece (uploads are streamed): a
/// known magic number at the start (PDF, PNG, JPEG, GIF, WebP), or else UTF-8 text with
/// no control characters throughout that does not open as HTML, SVG or XML. Anything else
/// is refused by the callers.
#[derive(Debug, Default)]
pub struct Sniffer {
    /// The first bytes, for magic numbers and the markup check.
    head: Vec<u8>,
    /// No byte so far rules out plain text.
    not_text: bool,
    /// The incomplete UTF-8 sequence at the end of the last piece.
    carry: Vec<u8>,
}

impl Sniffer {
    const HEAD: usize = 512;

    pub fn feed(&mut self, piece: &[u8]) {
        let room = Self::HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&piece[..piece.len().min(room)]);
        if self.not_text {
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(piece);
        let valid = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) if e.error_len().is_none() => {
                // A character split across pieces: finish it with the next one.
                self.carry = bytes[e.valid_up_to()..].to_vec();
                std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
            }
            Err(_) => {
                self.not_text = true;
                return;
            }
        };
        if valid
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        {
            self.not_text = true;
        }
    }

    pub fn content_type(&self) -> Option<&'static str> {
        let b = &self.head;
        if b.starts_with(b"%PDF-") {
            Some("application/pdf")
        } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else if b.starts_with(b"\xFF\xD8\xFF") {
            Some("image/jpeg")
        } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
            Some("image/gif")
        } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some("image/webp")
        } else if !self.not_text && self.carry.is_empty() {
            let head = String::from_utf8_lossy(b).to_ascii_lowercase();
            let head = head.trim_start();
            let markup = ["<!doctype html", "<html", "<svg", "<?xml"]
                .iter()
                .any(|m| head.starts_with(m));
            (!markup).then_some("text/plain; charset=utf-8")
        } else {
            None
        }
    }
}

/// A document given as bytes already in memory (tests, the bootstrap's samples); the HTTP
/// edge streams instead ([`stage`], [`adopt`]).
pub struct Upload {
    pub title: String,
    pub file_name: String,
    pub bytes: Bytes,
}

/// A document's file in blob storage, not yet a document: [`adopt`] makes it one.
#[derive(Clone, Debug)]
pub struct StagedDocument {
    id: String,
    file_name: String,
    file: super::uploads::StoredFile,
}

impl StagedDocument {
    /// Where the file is stored (for [`super::uploads::StagedFiles`]).
    pub fn blob_key(&self) -> &str {
        &self.file.blob_key
    }
}

/// May this staff member upload documents? Checked before any of the body is read.
pub fn may_upload(who: &Staff) -> Result<()> {
    if who.role.can_manage_content() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Your role may not upload documents.",
        ))
    }
}

/// Streams a document's file into storage (capped, typed and hashed on the way; see
/// [`super::uploads`]).
pub async fn stage<S>(
    core: &Liaison,
    who: &Staff,
    file_name: &str,
    pieces: S,
) -> Result<StagedDocument>
where
    S: futures::Stream<Item = Result<Bytes>> + Unpin,
{
    may_upload(who)?;
    let id = new_id();
    let file = super::uploads::store_stream(
        core,
        Blobs::document_key(&who.org_id, &id),
        "file",
        "PDF, PNG, JPEG, GIF, WebP and plain-text",
        pieces,
    )
    .await?;
    Ok(StagedDocument {
        id,
        file_name: validate::file_name(file_name),
        file,
    })
}

pub async fn upload(
    core: &Liaison,
    who: &Staff,
    up: Upload,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    let staged = stage(core, who, &up.file_name, super::uploads::once(up.bytes)).await?;
    adopt(core, who, up.title, staged, meta).await
}

/// Makes a staged file a document: its row and the audit event commit together, or the
/// file is removed.
pub async fn adopt(
    core: &Liaison,
    who: &Staff,
    title: String,
    staged: StagedDocument,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    let blob_key = staged.file.blob_key.clone();
    let adopted = record(core, who, title, staged, meta).await;
    if adopted.is_err() {
        // Nothing half-written: the blob goes if its row did not land.
        super::uploads::remove_unreferenced(core, &[blob_key]).await;
    }
    adopted
}

async fn record(
    core: &Liaison,
    who: &Staff,
    title: String,
    staged: StagedDocument,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    may_upload(who)?;
    let StagedDocument {
        id,
        file_name,
        file,
    } = staged;
    let title = if title.trim().is_empty() {
        file_name.clone()
    } else {
        title
    };
    let title = validate::text("title", &title, 200)?;
    let row = DocumentRow {
        blob_key: file.blob_key,
        id,
        org_id: who.org_id.clone(),
        title,
        file_name,
        content_type: file.content_type.to_owned(),
        size_bytes: file.size_bytes,
        sha256: file.sha256,
        created_by: who.user_id.clone(),
        created_at: core.now_ms(),
    };
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

    /// Streamed uploads are sniffed piece by piece: a character split across pieces is
    /// still text, a control byte far past the head still rules text out.
    #[test]
    fn sniffing_in_pieces() {
        let text = "Résumé ünïcode ".repeat(100);
        for cut in [1, 2, 7, 513, 1000] {
            let mut s = super::Sniffer::default();
            for piece in text.as_bytes().chunks(cut) {
                s.feed(piece);
            }
            assert_eq!(s.content_type(), Some("text/plain; charset=utf-8"), "{cut}");
        }
        let mut s = super::Sniffer::default();
        s.feed("a".repeat(4096).as_bytes());
        s.feed(b"\x00binary");
        assert_eq!(s.content_type(), None);
        let mut s = super::Sniffer::default();
        s.feed(&"é".as_bytes()[..1]);
        assert_eq!(s.content_type(), None, "ends inside a character");
    }
}
