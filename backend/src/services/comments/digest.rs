//! The share owner's digest of new guest comments: at most one mail per
//! [`DIGEST_INTERVAL_MS`] per share, naming who commented and how often, with a link to the
//! share in the console. The comments' text stays out of mail (it may carry what the
//! share's marking protects); the owner reads it in the console.

use crate::services::Result;
use crate::store::{self, Tx};
use crate::Liaison;

/// The least time between two digests of one share.
pub const DIGEST_INTERVAL_MS: i64 = 15 * 60 * 1000;
/// Digests sent per sweep, at most.
const BATCH: i64 = 200;
/// Comments one digest counts, at most.
const MAX_COUNTED: i64 = 1_000;

/// Makes the digest of `share_id` due (inside the commenting transaction), unless one is
/// pending: now, or [`DIGEST_INTERVAL_MS`] after the last one.
pub(super) async fn schedule(tx: &mut Tx, org_id: &str, share_id: &str, now: i64) -> Result<()> {
    let last = store::comments::digest_sent_at(&mut **tx, org_id, share_id).await?;
    let due = last.map_or(now, |sent| now.max(sent + DIGEST_INTERVAL_MS));
    store::comments::schedule_digest(tx, org_id, share_id, due).await?;
    Ok(())
}

/// Sends the digests that are due (each claimed first, so two nodes never both send one).
/// A digest that fails is logged and left for the next sweep; it never holds up the
/// others. Returns how many mails went out.
#[tracing::instrument(skip_all)]
pub async fn send_due(core: &Liaison) -> Result<usize> {
    let now = core.now_ms();
    let mut sent = 0;
    for due in store::comments::due_digests(core.db.pool(), now, BATCH).await? {
        match send_one(core, &due, now).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error.detail = %e, "a comment digest could not be sent"),
        }
    }
    Ok(sent)
}

/// Claims and sends one digest; false when there was nothing to send (another node
/// claimed it, the share is gone, or its comments were all deleted).
///
/// Each guest comment is counted once: the claim and the comment's own scheduling both
/// lock the share's row first, so the comments read here are exactly those marked.
async fn send_one(core: &Liaison, due: &store::comments::DueDigest, now: i64) -> Result<bool> {
    let mut tx = core.db.begin().await?;
    if !store::comments::claim_digest(&mut tx, due, now).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let Some(share) = store::shares::get(&mut *tx, &due.org_id, &due.share_id).await? else {
        // Claimed (no longer due): nothing to tell anyone.
        tx.commit().await?;
        return Ok(false);
    };
    let comments =
        store::comments::undigested(&mut *tx, &due.org_id, &due.share_id, MAX_COUNTED).await?;
    store::comments::mark_digested(&mut tx, &due.org_id, &due.share_id).await?;
    if !comments.is_empty() {
        let mut authors: Vec<&str> = comments.iter().map(|c| c.author_name.as_str()).collect();
        authors.sort_unstable();
        authors.dedup();
        crate::services::notify::comment_digest(core, &mut tx, &share, comments.len(), &authors)
            .await?;
    }
    tx.commit().await?;
    Ok(!comments.is_empty())
}
