//! Reads shared by a node's live channels ("single flight"): when a change reaches a
//! thousand sockets at once, the first socket's read serves every socket that would have
//! made the same read, instead of a thousand reads of the same rows.
//!
//! A flight is shared only with readers it is fresh enough for: each asks for a read that
//! started no earlier than some instant (`not_before`) — the moment the node heard of the
//! change being read (a read started since sees it), or a second ago for a session check.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// The reads a node's live channels share (one per node, in `AppState`).
#[derive(Default)]
pub struct SharedReads {
    /// Guest session checks, by portal token and request.
    pub(super) guests: Flights<(String, backend::actor::RequestMeta), super::End>,
    /// Console sessions re-read from their store, by session id.
    pub(super) staff:
        Flights<tower_sessions::session::Id, Result<backend::actor::Staff, super::End>>,
    /// Changes to a document's comments after a change number as one reader sees them,
    /// as the messages that carry them.
    pub(super) comments:
        Flights<CommentsKey, Result<Arc<super::follows::CommentChanges>, super::End>>,
}

/// Organisation, document, reader, and the change number read after.
pub(super) type CommentsKey = (String, String, backend::services::comments::Reader, i64);

/// Finished flights older than this are dropped when the table is next pruned.
const KEEP: Duration = Duration::from_secs(5);
/// The table is pruned at most this often, on an insert.
const PRUNE_EVERY: Duration = Duration::from_secs(1);

/// Reads of `V` by key `K`, each shared by the callers it is fresh enough for.
pub struct Flights<K, V> {
    table: Mutex<Table<K, V>>,
}

struct Table<K, V> {
    flights: HashMap<K, Flight<V>>,
    pruned_at: Instant,
}

struct Flight<V> {
    /// When the flight was recorded: its read starts no earlier.
    started: Instant,
    value: Arc<OnceCell<V>>,
}

impl<K: Hash + Eq, V: Clone> Default for Flights<K, V> {
    fn default() -> Self {
        Self {
            table: Mutex::new(Table {
                flights: HashMap::new(),
                pruned_at: Instant::now(),
            }),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Flights<K, V> {
    /// The value of `read` for `key`, from a flight that started at or after `not_before`:
    /// one already finished or under way, or else this caller's; with the instant the
    /// flight started (its read started no earlier). If the caller running a flight is
    /// cancelled, the next one waiting runs its own `read` in its place (later, so still
    /// fresh enough).
    pub async fn get<F, Fut>(&self, key: K, not_before: Instant, read: F) -> (V, Instant)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let (value, started) = {
            let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
            match table.flights.get(&key) {
                Some(f) if f.started >= not_before => (f.value.clone(), f.started),
                _ => {
                    let now = Instant::now();
                    if now.duration_since(table.pruned_at) >= PRUNE_EVERY {
                        table
                            .flights
                            .retain(|_, f| now.duration_since(f.started) < KEEP);
                        table.pruned_at = now;
                    }
                    let value = Arc::new(OnceCell::new());
                    table.flights.insert(
                        key,
                        Flight {
                            started: now,
                            value: value.clone(),
                        },
                    );
                    (value, now)
                }
            }
        };
        (value.get_or_init(read).await.clone(), started)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().unwrap().flights.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Concurrent callers with one key make one read; a caller that needs a fresher one
    /// (a change heard after the flight started) gets its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_read_serves_every_caller_it_is_fresh_enough_for() {
        let flights = Arc::new(Flights::<&str, usize>::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let (release, gate) = tokio::sync::watch::channel(false);
        let since = Instant::now();
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let (flights, reads, mut gate) = (flights.clone(), reads.clone(), gate.clone());
                tokio::spawn(async move {
                    flights
                        .get("doc", since, || async move {
                            let _ = gate.wait_for(|open| *open).await;
                            reads.fetch_add(1, Ordering::SeqCst) + 1
                        })
                        .await
                        .0
                })
            })
            .collect();
        tokio::task::yield_now().await;
        release.send(true).unwrap();
        for caller in callers {
            assert_eq!(caller.await.unwrap(), 1);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);

        // Finished, and still fresh enough for a caller asking since before it started.
        let (again, started) = flights.get("doc", since, || async { 99 }).await;
        assert_eq!(again, 1);
        assert!(started >= since);
        // Not for one that heard of a change after it started, nor for another key.
        let fresher = flights.get("doc", Instant::now(), || async { 2 }).await;
        assert_eq!(fresher.0, 2);
        assert_eq!(flights.get("other", since, || async { 3 }).await.0, 3);
    }

    /// The caller running a flight is cancelled: a caller waiting on it runs the read.
    #[tokio::test]
    async fn a_cancelled_flight_is_taken_over_by_the_next_caller() {
        let flights = Arc::new(Flights::<u8, u8>::default());
        let since = Instant::now();
        let first = {
            let flights = flights.clone();
            tokio::spawn(async move { flights.get(1, since, std::future::pending::<u8>).await.0 })
        };
        tokio::task::yield_now().await;
        first.abort();
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(flights.get(1, since, || async { 7 }).await.0, 7);
    }

    /// Old flights are dropped once the table is pruned.
    #[tokio::test]
    async fn old_flights_are_pruned() {
        let flights = Flights::<u32, u32>::default();
        let since = Instant::now();
        for k in 0..10 {
            flights.get(k, since, || async { k }).await;
        }
        assert_eq!(flights.len(), 10);
        {
            let mut table = flights.table.lock().unwrap();
            let old = Instant::now() - KEEP - Duration::from_secs(1);
            for f in table.flights.values_mut() {
                f.started = old;
            }
            table.pruned_at = old;
        }
        flights.get(100, since, || async { 0 }).await;
        assert_eq!(flights.len(), 1);
    }
}
