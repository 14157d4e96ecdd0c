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

/// The reads a node's live channels share (one per node, in `AppState`). Each read's
/// value is shared, denials included; a fault is not: the next caller reads again.
#[derive(Default)]
pub struct SharedReads {
    /// Guest session checks, by portal token and request.
    pub(super) guests: Flights<(String, backend::actor::RequestMeta), super::End>,
    /// Console sessions re-read from their store, by session id and the staff member it
    /// was opened for.
    pub(super) staff: Flights<StaffKey, Result<backend::actor::Staff, super::End>>,
    /// Changes to a document's comments after a change number as one reader sees them,
    /// as the messages that carry them.
    pub(super) comments:
        Flights<CommentsKey, Result<Arc<super::follows::CommentChanges>, super::End>>,
}

/// A console session's id and its staff member's user id.
pub(super) type StaffKey = (tower_sessions::session::Id, String);
/// Organisation, document, reader, and the change number read after.
pub(super) type CommentsKey = (String, String, backend::services::comments::Reader, i64);

/// Flights older than this are dropped (a freshness of a second is all any caller asks).
const KEEP: Duration = Duration::from_secs(2);
/// The table is pruned at most this often, on a lookup.
const PRUNE_EVERY: Duration = Duration::from_millis(250);
/// At most this many flights per table: beyond it, reads are not shared (each caller reads
/// for itself) until old flights are pruned. Bounds what a busy node keeps in memory.
const MAX_FLIGHTS: usize = 4_096;

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
    /// flight started (its read started no earlier). A read that fails (`Err`) is not
    /// shared: each caller waiting on it runs its own `read` in turn, as does the next one
    /// if the caller running a flight is cancelled (later, so still fresh enough).
    pub async fn get<F, Fut, E>(
        &self,
        key: K,
        not_before: Instant,
        read: F,
    ) -> Result<(V, Instant), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let now = Instant::now();
        let flight = {
            let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
            if now.saturating_duration_since(table.pruned_at) >= PRUNE_EVERY {
                table
                    .flights
                    .retain(|_, f| now.saturating_duration_since(f.started) < KEEP);
                table.pruned_at = now;
            }
            match table.flights.get(&key) {
                Some(f) if f.started >= not_before => Some((f.value.clone(), f.started)),
                _ if table.flights.len() >= MAX_FLIGHTS => None,
                _ => {
                    let value = Arc::new(OnceCell::new());
                    table.flights.insert(
                        key,
                        Flight {
                            started: now,
                            value: value.clone(),
                        },
                    );
                    Some((value, now))
                }
            }
        };
        match flight {
            Some((value, started)) => Ok((value.get_or_try_init(read).await?.clone(), started)),
            None => Ok((read().await?, now)),
        }
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

    type Read<V> = Result<V, ()>;

    async fn value<K: Hash + Eq, V: Clone>(f: &Flights<K, V>, key: K, since: Instant, v: V) -> V {
        f.get(key, since, || async { Read::Ok(v) }).await.unwrap().0
    }

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
                    let read = || async move {
                        let _ = gate.wait_for(|open| *open).await;
                        Read::Ok(reads.fetch_add(1, Ordering::SeqCst) + 1)
                    };
                    flights.get("doc", since, read).await.unwrap().0
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
        let (again, started) = flights
            .get("doc", since, || async { Read::Ok(99) })
            .await
            .unwrap();
        assert_eq!(again, 1);
        assert!(started >= since);
        // Not for one that heard of a change after it started, nor for another key.
        assert_eq!(value(&flights, "doc", Instant::now(), 2).await, 2);
        assert_eq!(value(&flights, "other", since, 3).await, 3);
    }

    /// A read that fails is not shared: the next caller reads for itself.
    #[tokio::test]
    async fn a_failed_read_is_not_shared() {
        let flights = Flights::<u8, u8>::default();
        let since = Instant::now();
        let failed = flights
            .get(1, since, || async { Read::<u8>::Err(()) })
            .await;
        assert!(failed.is_err());
        assert_eq!(value(&flights, 1, since, 5).await, 5);
        assert_eq!(value(&flights, 1, since, 6).await, 5);
    }

    /// The caller running a flight is cancelled: a caller waiting on it runs the read.
    #[tokio::test]
    async fn a_cancelled_flight_is_taken_over_by_the_next_caller() {
        let flights = Arc::new(Flights::<u8, u8>::default());
        let since = Instant::now();
        let first = {
            let flights = flights.clone();
            tokio::spawn(async move {
                let read = std::future::pending::<Read<u8>>;
                flights.get(1, since, read).await.unwrap().0
            })
        };
        tokio::task::yield_now().await;
        first.abort();
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(value(&flights, 1, since, 7).await, 7);
    }

    /// Old flights are dropped at the next lookup; a full table stops recording flights
    /// (each caller reads for itself) instead of growing.
    #[tokio::test]
    async fn old_flights_are_pruned_and_the_table_is_bounded() {
        let flights = Flights::<usize, usize>::default();
        let since = Instant::now();
        for k in 0..10 {
            value(&flights, k, since, k).await;
        }
        assert_eq!(flights.len(), 10);
        let age = |flights: &Flights<usize, usize>| {
            let mut table = flights.table.lock().unwrap();
            let old = Instant::now().checked_sub(KEEP + PRUNE_EVERY).unwrap();
            for f in table.flights.values_mut() {
                f.started = old;
            }
            table.pruned_at = old;
        };
        age(&flights);
        value(&flights, 3, since, 30).await;
        assert_eq!(flights.len(), 1, "old flights were kept");

        for k in 0..MAX_FLIGHTS + 10 {
            value(&flights, 100 + k, since, k).await;
        }
        assert_eq!(flights.len(), MAX_FLIGHTS);
        // Not recorded, but still answered.
        assert_eq!(value(&flights, 1, since, 11).await, 11);
        assert_eq!(value(&flights, 1, since, 12).await, 12);
    }
}
