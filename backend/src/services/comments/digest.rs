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
/// Returns how many mails went out.
#[tracing::instrument(skip_all)]
pub async fn send_due(core: &Liaison) -> Result<usize> {
    let now = core.now_ms();
    let mut sent = 0;
    for due in store::comments::due_digests(core.db.pool(), now, BATCH).await? {
        let Some(share) = store::shares::get(core.db.pool(), &due.org_id, &due.share_id).await?
        else {
            continue;
        };
        let mut tx = core.db.begin().await?;
        if !store::comments::claim_digest(&mut tx, &due, now).await? {
            tx.rollback().await?;
            continue;
        }
        let comments = store::comments::guest_comments_since(
            &mut *tx,
            &due.org_id,
            &due.share_id,
            due.sent_at.unwrap_or(0),
            MAX_COUNTED,
        )
        .await?;
        // All deleted since: nothing to tell.
        if !comments.is_empty() {
            let mut authors: Vec<&str> = comments.iter().map(|c| c.author_name.as_str()).collect();
            authors.sort_unstable();
            authors.dedup();
            crate::services::notify::comment_digest(
                core,
                &mut tx,
                &share,
                comments.len(),
                &authors,
            )
            .await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}
