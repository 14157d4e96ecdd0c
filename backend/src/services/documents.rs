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
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: String,
    /// The document (family of revisions) this revision belongs to.
    pub family_id: String,
    /// 1, 2, 3, …: the register lists the highest.
    pub revision: i64,
    pub number: Option<String>,
    /// The project whose policy override binds the document.
    pub project_id: Option<String>,
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
            family_id: r.family_id.clone(),
            revision: r.revision,
            number: r.number.clone(),
            project_id: r.project_id.clone(),
        }
    }
}

/// What the uploader says of a new document (every field optional).
#[derive(Clone, Debug, Default)]
pub struct Describe {
    /// Blank = the file's name (or, for a revision, the current revision's title).
    pub title: String,
    /// The organisation's document number ("DOC-0042"); a revision keeps its family's.
    pub number: Option<String>,
    /// The project to file it under. Filing only ever tightens what binds the document
    /// (a project may only tighten the organisation's policy), so any uploader may choose
    /// one; moving a document later is an admin's ([`super::policy::assign_document`]).
    pub project_id: Option<String>,
}

impl Describe {
    /// Just a title.
    pub fn titled(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
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
    super::authorize(who, crate::domain::Action::UploadDocument)
}

/// Streams a document's file into storage (capped, typed and hashed on the way; see
/// [`super::uploads`]).
#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
pub async fn upload(
    core: &Liaison,
    who: &Staff,
    up: Upload,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    let staged = stage(core, who, &up.file_name, super::uploads::once(up.bytes)).await?;
    adopt(core, who, Describe::titled(up.title), staged, meta).await
}

/// Makes a staged file a document: its row and the audit event commit together, or the
/// file is removed.
#[tracing::instrument(skip_all)]
pub async fn adopt(
    core: &Liaison,
    who: &Staff,
    about: Describe,
    staged: StagedDocument,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    adopt_as(core, who, about, staged, None, meta).await
}

/// Makes a staged file the next revision of the document `revision_of` names (any of its
/// revisions): same family, number and project; the title is the new one when given, else
/// the current revision's. Shares made of earlier revisions keep them (and their guests are
/// told a newer one exists). Audited `document.revised`.
#[tracing::instrument(skip_all)]
pub async fn adopt_revision(
    core: &Liaison,
    who: &Staff,
    revision_of: &str,
    title: String,
    staged: StagedDocument,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    adopt_as(
        core,
        who,
        Describe::titled(title),
        staged,
        Some(revision_of),
        meta,
    )
    .await
}

/// Records the staged file as a document (or the next revision of `revision_of`). Nothing
/// half-written: the blob goes if its row did not land.
async fn adopt_as(
    core: &Liaison,
    who: &Staff,
    about: Describe,
    staged: StagedDocument,
    revision_of: Option<&str>,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    let blob_key = staged.file.blob_key.clone();
    let adopted = record(core, who, about, staged, revision_of, meta).await;
    if adopted.is_err() {
        super::uploads::remove_unreferenced(core, &[blob_key]).await;
    }
    adopted
}

async fn record(
    core: &Liaison,
    who: &Staff,
    about: Describe,
    staged: StagedDocument,
    revision_of: Option<&str>,
    meta: &RequestMeta,
) -> Result<DocumentView> {
    may_upload(who)?;
    let StagedDocument {
        id,
        file_name,
        file,
    } = staged;
    let mut tx = core.db.begin().await?;
    let base = match revision_of {
        None => None,
        Some(of) => {
            // Under the organisation's lock, as a move between projects is: the revision
            // takes the family's project as it stands when it commits.
            store::orgs::lock(&mut *tx, &who.org_id).await?;
            let named = store::documents::get(&mut *tx, &who.org_id, of)
                .await?
                .ok_or(ServiceError::NotFound("document"))?;
            let current = store::documents::revisions(&mut *tx, &who.org_id, &named.family_id)
                .await?
                .into_iter()
                .next()
                .unwrap_or(named);
            Some(current)
        }
    };
    let Describe {
        title,
        number,
        project_id,
    } = about;
    let title = match (&base, title.trim().is_empty()) {
        (_, false) => title,
        (Some(b), true) => b.title.clone(),
        (None, true) => file_name.clone(),
    };
    let title = validate::text("title", &title, 200)?;
    let number = match number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(validate::text("number", n, 50)?),
    };
    let project_id = match project_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(
            store::policies::project(&mut *tx, &who.org_id, p)
                .await?
                .ok_or_else(|| ServiceError::invalid("project_id", "no such project"))?
                .id,
        ),
    };
    let row = DocumentRow {
        blob_key: file.blob_key,
        org_id: who.org_id.clone(),
        title,
        file_name,
        content_type: file.content_type.to_owned(),
        size_bytes: file.size_bytes,
        sha256: file.sha256,
        created_by: who.user_id.clone(),
        created_at: core.now_ms(),
        family_id: base
            .as_ref()
            .map_or_else(|| id.clone(), |b| b.family_id.clone()),
        revision: base.as_ref().map_or(1, |b| b.revision + 1),
        number: base.as_ref().map_or(number, |b| b.number.clone()),
        project_id: base.as_ref().map_or(project_id, |b| b.project_id.clone()),
        id,
    };
    // Two revisions uploaded at once: the family's unique (family, revision) index lets
    // one in; the other is told to try again.
    store::documents::insert(&mut *tx, &row)
        .await
        .map_err(super::on_unique(|| {
            "another revision of this document was uploaded at the same time: upload again".into()
        }))?;
    let event_type = if base.is_some() {
        EventType::DocumentRevised
    } else {
        EventType::DocumentUploaded
    };
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: Some(&row.id),
            details: json!({ "title": row.title, "file_name": row.file_name, "size_bytes": row.size_bytes,
                             "sha256": row.sha256, "family": row.family_id, "revision": row.revision,
                             "number": row.number, "project": row.project_id }),
            meta,
            at_ms: row.created_at,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DocumentView::from(&row))
}

#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff) -> Result<Vec<DocumentView>> {
    super::authorize(who, crate::domain::Action::ViewDocuments)?;
    let rows = store::documents::current(core.db.pool(), &who.org_id, 500).await?;
    Ok(rows.iter().map(DocumentView::from).collect())
}

/// Every revision of the document `id` names (any of its revisions), newest first.
#[tracing::instrument(skip_all)]
pub async fn revisions(core: &Liaison, who: &Staff, id: &str) -> Result<Vec<DocumentView>> {
    super::authorize(who, crate::domain::Action::ViewDocuments)?;
    let named = store::documents::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("document"))?;
    let rows = store::documents::revisions(core.db.pool(), &who.org_id, &named.family_id).await?;
    Ok(rows.iter().map(DocumentView::from).collect())
}
