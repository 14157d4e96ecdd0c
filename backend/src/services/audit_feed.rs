//! A staff page's live view of the audit log: the events of one share or one document, as
//! they are appended on any node. The page loads the newest events (`audit_log::list`),
//! then its live channel asks for those after the newest it shows, each time the bus says
//! the chain grew in a way that may concern it ([`Feed::watched`]).

use serde::Serialize;

use super::audit_log::{self, AuditEventView, AuditFilter};
use super::{Result, ServiceError};
use crate::actor::Staff;
use crate::revocation::{Watched, Watching};
use crate::store::{self, audit::AuditQuery};
use crate::Liaison;

/// At most this many events per read; a page that missed more is told so and shows the
/// newest (the audit log page has the rest).
pub const FEED_PAGE: i64 = 100;

/// The events one filter selects, ready to be read after a chain position.
#[derive(Clone, Debug)]
pub struct Feed {
    query: AuditQuery,
    /// What the bus is asked about.
    pub watched: Watched,
}

/// The events after a feed's cursor.
#[derive(Clone, Debug, Serialize)]
pub struct FeedPage {
    /// Newest first.
    pub items: Vec<AuditEventView>,
    /// The chain position to read after next time (the cursor given, when nothing is new).
    pub last_seq: i64,
    /// More events were appended than `items` holds: the oldest of them were left out.
    pub truncated: bool,
}

/// The feed of the events of the share (`f.share_id`) or the document (`f.document`, any of
/// its revisions) that `f` names, optionally of one type or group (`f.event_type`), for
/// `who` (who must read the audit log). Exactly one of the two is named.
pub async fn feed(core: &Liaison, who: &Staff, f: AuditFilter) -> Result<Feed> {
    audit_log::require_reader(who)?;
    let share = f.share_id.clone();
    if share.is_some() == f.document.is_some() {
        return Err(ServiceError::invalid(
            "scope",
            "a live feed follows one share or one document",
        ));
    }
    if let Some(id) = &share {
        if uuid::Uuid::parse_str(id).is_err()
            || store::shares::get(core.db.pool(), &who.org_id, id)
                .await?
                .is_none()
        {
            return Err(ServiceError::NotFound("share"));
        }
    }
    let document = f.document.clone();
    let query = audit_log::query(core, who, f, FEED_PAGE + 1).await?;
    let watching = match (share, document) {
        (Some(id), _) => Watching::Share(id),
        (None, document) => {
            let id = document.unwrap_or_default();
            let family_id = store::documents::get(core.db.pool(), &who.org_id, &id)
                .await?
                .ok_or(ServiceError::NotFound("document"))?
                .family_id;
            Watching::Document {
                family_id,
                items: query.item_ids.clone(),
            }
        }
    };
    Ok(Feed {
        query,
        watched: Watched {
            org_id: who.org_id.clone(),
            watching,
        },
    })
}

impl Feed {
    /// Takes in `item_id`, a new revision of the watched document (a share feed has none):
    /// its events are read from now on.
    pub fn add_revision(&mut self, item_id: &str) {
        if let Watching::Document { items, .. } = &mut self.watched.watching {
            if !items.iter().any(|i| i == item_id) {
                items.push(item_id.to_owned());
                self.query.item_ids.push(item_id.to_owned());
            }
        }
    }

    /// The newest events after chain position `after` (at most [`FEED_PAGE`]), as `who`
    /// may read them now (their role is checked again).
    pub async fn since(&self, core: &Liaison, who: &Staff, after: i64) -> Result<FeedPage> {
        audit_log::require_reader(who)?;
        if who.org_id != self.watched.org_id {
            return Err(ServiceError::NotFound("feed"));
        }
        let query = AuditQuery {
            after_seq: Some(after),
            ..self.query.clone()
        };
        let mut rows = store::audit::list(core.db.pool(), &who.org_id, &query).await?;
        let truncated = rows.len() as i64 > FEED_PAGE;
        rows.truncate(FEED_PAGE as usize);
        let last_seq = rows.first().and_then(|r| r.seq).unwrap_or(after);
        Ok(FeedPage {
            items: rows.into_iter().map(AuditEventView::from).collect(),
            last_seq,
            truncated,
        })
    }
}
