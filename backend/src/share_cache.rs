//! Shares as portal requests see them, remembered between requests so that a guest's
//! reads do not each cost a database round trip.
//!
//! What a portal request checks on its share (revoked, expiry date, permissions, network
//! rules, recipient, document) changes after creation only by revocation or by staff
//! changing the share (`services::shares::change`), and both drop the entry after their
//! commit and *before* their request answers: revocation through the node's
//! [`RevocationBus`](crate::revocation::RevocationBus), which owns the cache and drops the
//! entry before any open stream hears of the revocation. So the very next request reads
//! the new row.
//!
//! That holds only where every revocation passes through this process's bus: a single
//! node (one SQLite file, one `liaison serve`). Where several nodes share a PostgreSQL
//! database, another node's revocation reaches this one only when its notification
//! arrives, and a request served from memory in between would outlive the revocation; so
//! there the cache is **disabled** and every request reads the database. Exact revocation
//! is worth more than the throughput (add nodes instead).
//!
//! Shared documents are remembered the same way: what a portal read uses of them (title,
//! file name, type, size, blob) never changes once stored (a new revision is a new
//! document). Their project can change; portal reads do not use it (policy is checked
//! from the database at open and renewal).
//!
//! Invariant: an entry is never inserted from a read that started before a revocation
//! this node has already published (the epoch check below), and never outlives
//! [`MAX_AGE`] whatever happens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::domain::Share;
use crate::store::documents::DocumentRow;
use crate::store::{self, Db};

/// The longest an entry is used, even if no revocation is heard of (defence in depth).
pub const MAX_AGE: Duration = Duration::from_secs(5);
/// Entries kept at most; a full cache is emptied rather than scanned.
const CAPACITY: usize = 100_000;

#[derive(Debug)]
pub struct ShareCache {
    inner: Mutex<Inner>,
    /// Whether entries are kept at all: only on a single node (see the module docs).
    enabled: bool,
}

#[derive(Debug, Default)]
struct Inner {
    /// Bumped by every forget; a load inserts only if it is unchanged.
    epoch: u64,
    shares: HashMap<String, (Arc<Share>, Instant)>,
    documents: HashMap<String, (Arc<DocumentRow>, Instant)>,
    /// Share id → its organisation and the documents it covers (fixed at creation).
    covered: HashMap<String, (String, Arc<Vec<String>>, Instant)>,
}

impl ShareCache {
    /// `enabled`: whether to keep entries; true only for a single node.
    pub fn new(enabled: bool) -> Self {
        Self {
            inner: Mutex::default(),
            enabled,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map holds no invariant a panicking holder could break half-way.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `org_id`'s share `share_id`, from memory when enabled and remembered, else from `db`.
    pub async fn get(
        &self,
        db: &Db,
        org_id: &str,
        share_id: &str,
    ) -> store::Result<Option<Arc<Share>>> {
        let epoch = match self.cached(org_id, share_id) {
            Ok(share) => return Ok(Some(share)),
            Err(epoch) => epoch,
        };
        let share = store::shares::get(db.pool(), org_id, share_id)
            .await?
            .map(Arc::new);
        if let Some(share) = &share {
            self.remember(epoch, share);
        }
        Ok(share)
    }

    /// The remembered share, or the epoch a load from the database must start in.
    fn cached(&self, org_id: &str, share_id: &str) -> Result<Arc<Share>, u64> {
        let inner = self.lock();
        if self.enabled {
            if let Some((share, at)) = inner.shares.get(share_id) {
                if share.org_id == org_id && at.elapsed() < MAX_AGE {
                    return Ok(share.clone());
                }
            }
        }
        Err(inner.epoch)
    }

    /// Keeps `share`, loaded in `epoch`, unless a revocation was published since.
    fn remember(&self, epoch: u64, share: &Arc<Share>) {
        let mut inner = self.lock();
        if inner.epoch != epoch || !self.enabled {
            return;
        }
        if inner.shares.len() >= CAPACITY {
            inner.shares.clear();
        }
        inner
            .shares
            .insert(share.id.clone(), (share.clone(), Instant::now()));
    }

    /// `org_id`'s document `document_id`, from memory when enabled and remembered, else
    /// from `db`.
    pub async fn document(
        &self,
        db: &Db,
        org_id: &str,
        document_id: &str,
    ) -> store::Result<Option<Arc<DocumentRow>>> {
        if self.enabled {
            if let Some((doc, at)) = self.lock().documents.get(document_id) {
                if doc.org_id == org_id && at.elapsed() < MAX_AGE {
                    return Ok(Some(doc.clone()));
                }
            }
        }
        let doc = store::documents::get(db.pool(), org_id, document_id)
            .await?
            .map(Arc::new);
        if let (Some(doc), true) = (&doc, self.enabled) {
            let mut inner = self.lock();
            if inner.documents.len() >= CAPACITY {
                inner.documents.clear();
            }
            inner
                .documents
                .insert(document_id.to_owned(), (doc.clone(), Instant::now()));
        }
        Ok(doc)
    }

    /// The ids of the documents `org_id`'s share `share_id` covers, in order (fixed when
    /// the share was made), from memory when enabled and remembered, else from `db`.
    pub async fn covered(
        &self,
        db: &Db,
        org_id: &str,
        share_id: &str,
    ) -> store::Result<Arc<Vec<String>>> {
        if self.enabled {
            if let Some((org, ids, at)) = self.lock().covered.get(share_id) {
                if org == org_id && at.elapsed() < MAX_AGE {
                    return Ok(ids.clone());
                }
            }
        }
        let ids = Arc::new(store::packages::share_documents(db.pool(), org_id, share_id).await?);
        if self.enabled {
            let mut inner = self.lock();
            if inner.covered.len() >= CAPACITY {
                inner.covered.clear();
            }
            inner.covered.insert(
                share_id.to_owned(),
                (org_id.to_owned(), ids.clone(), Instant::now()),
            );
        }
        Ok(ids)
    }

    /// Drops `share_id` (its share was revoked or changed) and voids loads already under
    /// way.
    pub fn forget(&self, share_id: &str) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.shares.remove(share_id);
    }

    /// Drops every share (revocations may have been missed) and voids loads under way.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.shares.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_that_raced_a_revocation_is_not_kept() {
        let cache = ShareCache::new(true);
        let share = Arc::new(Share::sample());
        let epoch = cache.cached("o", "s").unwrap_err();
        cache.forget("s");
        cache.remember(epoch, &share);
        assert!(cache.cached("o", "s").is_err(), "a stale load was kept");

        let epoch = cache.cached("o", "s").unwrap_err();
        cache.remember(epoch, &share);
        assert!(cache.cached("o", "s").is_ok());
        assert!(
            cache.cached("another-org", "s").is_err(),
            "crossed organisations"
        );
        cache.forget("s");
        assert!(cache.cached("o", "s").is_err());
    }

    #[test]
    fn a_disabled_cache_keeps_nothing() {
        let cache = ShareCache::new(false);
        let share = Arc::new(Share::sample());
        let epoch = cache.cached("o", "s").unwrap_err();
        cache.remember(epoch, &share);
        assert!(cache.cached("o", "s").is_err(), "kept while disabled");
    }
}
