//! Counts guests' activity per day as its audit events are written, in the same
//! transaction (`store::activity`): opens, unique guests, downloads, responses and
//! denials, for the share and for its portal. The analytics pages read these counts, never
//! the log. Invariant: every `share.accessed`, `item.downloaded`,
//! `share.response_submitted` and `share.denied` event naming a share of its organisation
//! is counted exactly once, on the UTC day it occurred (the migration counted those
//! written before).

use crate::store::{self, activity::Counts, audit::AuditRow, Tx};

const DAY_MS: i64 = 86_400_000;

/// The day (since 1970-01-01 UTC) of `at_ms`.
pub fn day_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS)
}

/// What an event counts, if it counts.
fn counts_of(event_type: &str) -> Option<Counts> {
    let one = Counts::default();
    Some(match event_type {
        "share.accessed" => Counts { opens: 1, ..one },
        "item.downloaded" => Counts {
            downloads: 1,
            ..one
        },
        "share.response_submitted" => Counts {
            responses: 1,
            ..one
        },
        "share.denied" => Counts { denials: 1, ..one },
        _ => return None,
    })
}

/// An event that counts, as much of it as counting needs.
pub(super) struct Counted {
    org_id: String,
    share_id: String,
    day: i64,
    counts: Counts,
}

impl Counted {
    /// `Some` when `row` is guest activity on a share.
    pub(super) fn of(row: &AuditRow) -> Option<Self> {
        Some(Self {
            counts: counts_of(&row.event_type)?,
            share_id: row.share_id.clone()?,
            org_id: row.org_id.clone(),
            day: day_of(row.occurred_at),
        })
    }

    /// Adds the event to its share's and its portal's day, inside the transaction that
    /// wrote it.
    pub(super) async fn count(self, tx: &mut Tx) -> store::Result<()> {
        let Some((portal_id, guest)) =
            store::activity::share_scope(tx, &self.org_id, &self.share_id).await?
        else {
            return Ok(());
        };
        for scope in [portal_id.as_str(), self.share_id.as_str()] {
            store::activity::add(tx, &self.org_id, scope, self.day, self.counts).await?;
            if self.counts.opens > 0 {
                store::activity::saw_guest(tx, scope, self.day, &guest).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_days_and_only_guest_activity_counts() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(DAY_MS), 1);
        assert_eq!(day_of(-1), -1);
        assert_eq!(counts_of("share.accessed").unwrap().opens, 1);
        assert_eq!(counts_of("share.denied").unwrap().denials, 1);
        assert!(counts_of("share.created").is_none());
        assert!(counts_of("item.viewed").is_none());
    }
}
