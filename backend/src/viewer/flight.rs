//! One render at a time per key (a page at a width, a document's layout): a request that
//! finds the same work under way waits for it and then reads the cache, instead of
//! starting the same render again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Debug, Default)]
pub struct Flights {
    held: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// The key's flight, held until dropped; the last holder takes the key out of the map.
#[derive(Debug)]
pub struct Flight<'a> {
    flights: &'a Flights,
    key: String,
    cell: Arc<AsyncMutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Flights {
    /// Waits until no one else holds `key`, then holds it.
    pub async fn hold(&self, key: String) -> Flight<'_> {
        let cell = {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            held.entry(key.clone()).or_default().clone()
        };
        let guard = cell.clone().lock_owned().await;
        Flight {
            flights: self,
            key,
            cell,
            guard: Some(guard),
        }
    }

    /// Keys held or waited for now.
    pub fn len(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut held = self.flights.held.lock().unwrap_or_else(|p| p.into_inner());
        // The map's reference and ours: nobody else waits.
        if Arc::strong_count(&self.cell) == 2 {
            held.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_per_key_and_the_map_empties() {
        let flights = Arc::new(Flights::default());
        let first = flights.hold("page:1".into()).await;
        let other = flights.hold("page:2".into()).await;
        let f = flights.clone();
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let waiter = tokio::spawn(async move {
            let _second = f.hold("page:1".into()).await;
            let _ = tx.send(());
        });
        tokio::task::yield_now().await;
        assert!(rx.try_recv().is_err(), "the second waits for the first");
        drop(first);
        waiter.await.unwrap();
        drop(other);
        assert!(flights.is_empty());
    }
}
