//! The per-organisation hash chain that makes the audit trail tamper-evident.
//!
//! Event `n` stores `prev_hash` = hash of event `n − 1` (64 zeros for the first) and
//! `hash` = SHA-256 over a length-prefixed encoding of every column plus `prev_hash`.
//! Editing any column breaks that event's own hash; deleting or reordering events breaks
//! `seq` continuity or the link to the predecessor; deleting the newest events leaves the
//! chain shorter than its head (`audit_heads`). [`verify`] reports each as a [`Problem`].

use futures::TryStreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crypto::hex_lower;
use crate::store::audit::{About, Appended, AuditRow};
use crate::store::{self, Committed, Db, Tx};

/// `prev_hash` of an organisation's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of `row` chained after `prev_hash`. Every column takes part, each length
/// prefixed (absent values distinctly), so no two different events encode alike.
pub fn event_hash(row: &AuditRow, seq: i64, prev_hash: &str) -> String {
    fn field(h: &mut Sha256, value: Option<&[u8]>) {
        match value {
            Some(v) => {
                h.update((v.len() as u64).to_be_bytes());
                h.update(v);
            }
            None => h.update(u64::MAX.to_be_bytes()),
        }
    }
    let mut h = Sha256::new();
    h.update(b"liaison-audit-v1");
    let seq = seq.to_string();
    let occurred_at = row.occurred_at.to_string();
    for value in [
        Some(row.org_id.as_str()),
        Some(seq.as_str()),
        Some(row.id.as_str()),
        Some(occurred_at.as_str()),
        Some(row.event_type.as_str()),
        Some(row.actor_type.as_str()),
        row.actor_id.as_deref(),
        Some(row.actor_name.as_str()),
        Some(row.credential.as_str()),
        row.share_id.as_deref(),
        row.item_id.as_deref(),
        row.ip.as_deref(),
        row.user_agent.as_deref(),
        Some(row.details.as_str()),
        Some(prev_hash),
    ] {
        field(&mut h, value.map(str::as_bytes));
    }
    hex_lower(&h.finalize())
}

/// Appends `row` to its organisation's chain inside `tx` (fills `seq`, `prev_hash`, `hash`).
pub async fn append(tx: &mut Tx, mut row: AuditRow) -> store::Result<()> {
    let (seq, prev) = store::audit::advance_head(tx, &row.org_id, GENESIS).await?;
    let hash = event_hash(&row, seq, &prev);
    store::audit::set_head_hash(tx, &row.org_id, &hash).await?;
    row.seq = Some(seq);
    row.prev_hash = Some(prev);
    row.hash = Some(hash);
    store::audit::insert(tx, &row).await?;
    let about = match (revised_family(&row), row.item_id) {
        (Some(family_id), Some(item_id)) => About::Revision { family_id, item_id },
        (_, item_id) => About::One {
            share_id: row.share_id,
            item_id,
        },
    };
    tx.note(Committed::Audit(Appended {
        org_id: row.org_id,
        seq,
        about,
    }));
    Ok(())
}

/// The document family a `document.revised` event adds a revision to.
fn revised_family(row: &AuditRow) -> Option<String> {
    if row.event_type != crate::audit::EventType::DocumentRevised.as_str() {
        return None;
    }
    let details: serde_json::Value = serde_json::from_str(&row.details).ok()?;
    details["family"].as_str().map(str::to_owned)
}

/// Appends several events of one organisation inside `tx` with one head update and
/// multi-row inserts (imports, bulk operations). Same chain as appending them one by one.
pub async fn append_many(tx: &mut Tx, org_id: &str, mut rows: Vec<AuditRow>) -> store::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if rows.iter().any(|r| r.org_id != org_id) {
        return Err(store::StoreError::Corrupt(
            "append_many: rows of another organisation".into(),
        ));
    }
    let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let (first, mut prev) = store::audit::advance_head_by(tx, org_id, n, GENESIS).await?;
    for (i, row) in rows.iter_mut().enumerate() {
        let seq = first + i as i64;
        let hash = event_hash(row, seq, &prev);
        row.seq = Some(seq);
        row.prev_hash = Some(std::mem::replace(&mut prev, hash.clone()));
        row.hash = Some(hash);
    }
    store::audit::set_head_hash(tx, org_id, &prev).await?;
    store::audit::insert_many(tx, &rows).await?;
    tx.note(Committed::Audit(Appended {
        org_id: org_id.to_owned(),
        seq: first + n - 1,
        about: About::Many,
    }));
    Ok(())
}

/// Chains events written before the chain existed, oldest first. Idempotent; run at start.
pub async fn chain_legacy_events(db: &Db) -> store::Result<u64> {
    let mut chained = 0;
    loop {
        let batch = store::audit::unchained(db.pool(), 500).await?;
        if batch.is_empty() {
            return Ok(chained);
        }
        let mut tx = db.begin().await?;
        for mut row in batch {
            let (seq, prev) = store::audit::advance_head(&mut tx, &row.org_id, GENESIS).await?;
            let hash = event_hash(&row, seq, &prev);
            store::audit::set_head_hash(&mut tx, &row.org_id, &hash).await?;
            row.seq = Some(seq);
            row.prev_hash = Some(prev);
            row.hash = Some(hash);
            store::audit::set_chain_position(&mut tx, &row).await?;
            chained += 1;
        }
        tx.commit().await?;
    }
}

/// One way the stored chain differs from what was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schema(as = AuditChainProblem)]
pub enum Problem {
    /// The event's columns no longer match its hash: it was edited after it was written.
    Edited { seq: i64, id: String },
    /// Events with these positions are missing: deleted.
    Missing { from_seq: i64, to_seq: i64 },
    /// The event does not follow the one stored before it: events were deleted and the
    /// rest renumbered, or events were reordered.
    BrokenLink { seq: i64, id: String },
    /// An event has no chain position at all (inserted around the application).
    Unchained { id: String },
    /// The chain ends before its recorded head: the newest events were deleted.
    Truncated { last_seq: i64, head_seq: i64 },
    /// The last event's hash is not the head's: the newest events were replaced.
    HeadMismatch { seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Edited { seq, id } => write!(f, "event #{seq} ({id}) was edited"),
            Problem::Missing { from_seq, to_seq } if from_seq == to_seq => {
                write!(f, "event #{from_seq} was deleted")
            }
            Problem::Missing { from_seq, to_seq } => {
                write!(f, "events #{from_seq}–#{to_seq} were deleted")
            }
            Problem::BrokenLink { seq, id } => write!(
                f,
                "event #{seq} ({id}) does not follow the event stored before it (reordered or renumbered)"
            ),
            Problem::Unchained { id } => {
                write!(f, "event {id} is not in the chain (inserted directly)")
            }
            Problem::Truncated { last_seq, head_seq } => write!(
                f,
                "the chain ends at #{last_seq} but #{head_seq} events were written: the newest were deleted"
            ),
            Problem::HeadMismatch { seq } => {
                write!(f, "event #{seq} is not the event the chain head recorded")
            }
        }
    }
}

/// The outcome of verifying one organisation's chain.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub org_id: String,
    pub events: u64,
    pub head_seq: i64,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies `org_id`'s chain up to its head as recorded when verification starts (events
/// appended meanwhile are checked by the next run) and reports every problem.
///
/// The chain is cut into consecutive position ranges that are streamed and hashed
/// concurrently, each on its own connection and task; the links across range boundaries
/// are checked when the ranges are joined, so the result is the same as one walk.
pub async fn verify(db: &Db, org_id: &str) -> store::Result<Report> {
    /// Below this many events per range, one more connection costs more than it saves.
    const MIN_RANGE: i64 = 20_000;
    let (head_seq, head_hash) = store::audit::head(db.pool(), org_id)
        .await?
        .unwrap_or((0, GENESIS.to_owned()));
    let mut problems: Vec<Problem> = store::audit::unchained_ids(db.pool(), org_id)
        .await?
        .into_iter()
        .map(|id| Problem::Unchained { id })
        .collect();
    let mut events = problems.len() as u64;

    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) as i64;
    // Positive operands: (a + b - 1) / b rounds up.
    let span = ((head_seq + workers - 1) / workers).max(MIN_RANGE);
    let tasks: Vec<_> = (0..((head_seq + span - 1) / span).max(1))
        .map(|i| {
            let (db, org_id) = (db.clone(), org_id.to_owned());
            let from = i * span + 1;
            let to = ((i + 1) * span).min(head_seq);
            tokio::spawn(async move { verify_range(&db, &org_id, from, to).await })
        })
        .collect();

    let (mut last_seq, mut last_hash) = (0i64, GENESIS.to_owned());
    for task in tasks {
        let range = match task.await {
            Ok(range) => range?,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        if let Some((seq, id, prev)) = range.first {
            if let Some(p) = link_problem(last_seq, &last_hash, seq, &id, &prev) {
                problems.push(p);
            }
        }
        problems.extend(range.problems);
        events += range.events;
        if let Some((seq, hash)) = range.last {
            (last_seq, last_hash) = (seq, hash);
        }
    }
    if last_seq < head_seq {
        problems.push(Problem::Truncated { last_seq, head_seq });
    } else if last_hash != head_hash {
        problems.push(Problem::HeadMismatch { seq: last_seq });
    }
    Ok(Report {
        org_id: org_id.to_owned(),
        events,
        head_seq,
        problems,
    })
}

/// What one position range of the chain holds: its problems inside the range, and its
/// first and last events so the ranges can be linked.
struct RangeReport {
    events: u64,
    /// Position, id and `prev_hash` of the first chained event.
    first: Option<(i64, String, String)>,
    /// Position and hash of the last chained event.
    last: Option<(i64, String)>,
    problems: Vec<Problem>,
}

async fn verify_range(db: &Db, org_id: &str, from: i64, to: i64) -> store::Result<RangeReport> {
    let mut report = RangeReport {
        events: 0,
        first: None,
        last: None,
        problems: Vec::new(),
    };
    let mut rows = store::audit::stream_chain_range(db.pool(), org_id, from, to);
    while let Some(row) = rows.try_next().await? {
        report.events += 1;
        let (Some(seq), Some(prev), Some(hash)) =
            (row.seq, row.prev_hash.as_deref(), row.hash.as_deref())
        else {
            report.problems.push(Problem::Unchained { id: row.id });
            continue;
        };
        if event_hash(&row, seq, prev) != hash {
            report.problems.push(Problem::Edited {
                seq,
                id: row.id.clone(),
            });
        }
        match &report.last {
            Some((last_seq, last_hash)) => {
                if let Some(p) = link_problem(*last_seq, last_hash, seq, &row.id, prev) {
                    report.problems.push(p);
                }
            }
            None => report.first = Some((seq, row.id.clone(), prev.to_owned())),
        }
        report.last = Some((seq, hash.to_owned()));
    }
    Ok(report)
}

/// How the event at `seq` (with `prev_hash` = `prev`) fails to follow the event at
/// `last_seq` with hash `last_hash`, if it does.
fn link_problem(last_seq: i64, last_hash: &str, seq: i64, id: &str, prev: &str) -> Option<Problem> {
    if seq > last_seq + 1 {
        Some(Problem::Missing {
            from_seq: last_seq + 1,
            to_seq: seq - 1,
        })
    } else if prev != last_hash {
        Some(Problem::BrokenLink {
            seq,
            id: id.to_owned(),
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AuditRow {
        AuditRow {
            id: "e1".into(),
            org_id: "o".into(),
            seq: None,
            occurred_at: 1,
            event_type: "share.created".into(),
            actor_type: "user".into(),
            actor_id: Some("u".into()),
            actor_name: "A".into(),
            credential: "session".into(),
            share_id: None,
            item_id: Some("".into()),
            ip: None,
            user_agent: None,
            details: "{}".into(),
            prev_hash: None,
            hash: None,
        }
    }

    #[test]
    fn every_column_and_the_link_change_the_hash() {
        let base = event_hash(&row(), 1, GENESIS);
        assert_eq!(base.len(), 64);
        assert_ne!(base, event_hash(&row(), 2, GENESIS));
        assert_ne!(base, event_hash(&row(), 1, &"1".repeat(64)));
        let variants = [
            AuditRow {
                details: "{ }".into(),
                ..row()
            },
            AuditRow {
                actor_name: "B".into(),
                ..row()
            },
            AuditRow {
                occurred_at: 2,
                ..row()
            },
            AuditRow {
                ip: Some("10.0.0.1".into()),
                ..row()
            },
            // An absent value is not the same as an empty one.
            AuditRow {
                item_id: None,
                ..row()
            },
            // Moving bytes between adjacent fields changes the hash.
            AuditRow {
                actor_type: "use".into(),
                actor_id: Some("ru".into()),
                ..row()
            },
        ];
        for (i, v) in variants.iter().enumerate() {
            assert_ne!(base, event_hash(v, 1, GENESIS), "variant {i}");
        }
    }
}
