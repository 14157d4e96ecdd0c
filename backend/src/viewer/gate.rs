//! A bounded queue in front of the viewer's heavy work (renderer processes, compositing
//! and encoding pages): at most `slots` at once, at most `queue` waiting, none waiting
//! longer than `wait`. Past either bound a request is refused as busy
//! ([`RenderError::Busy`], a 503 to try again) instead of piling up memory and latency
//! behind a flood. A place in the queue is reserved before waiting, so concurrent
//! arrivals cannot overshoot it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use render::RenderError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct Gate {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    wait: Duration,
}

/// One of the gate's slots, held until dropped.
#[derive(Debug)]
pub struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

/// Gives a reserved place in the queue back, however the wait ends (cancelled included).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    pub fn new(slots: usize, queue: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
            wait,
        }
    }

    /// A slot: at once if one is free, else after waiting in the queue; busy when the
    /// queue is full or the wait runs out.
    pub async fn enter(&self) -> Result<Slot, RenderError> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(Slot(p));
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(RenderError::Busy);
        }
        let _place = Waiting(&self.waiting);
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(Slot(p)),
            Ok(Err(_)) => Err(RenderError::Worker("the viewer is shutting down".into())),
            Err(_) => Err(RenderError::Busy),
        }
    }

    /// Requests waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_and_a_long_wait_are_busy_and_places_are_given_back() {
        let gate = Arc::new(Gate::new(1, 2, Duration::from_millis(200)));
        let held = gate.enter().await.unwrap();
        // Two wait; a third is refused at once.
        let (g1, g2) = (gate.clone(), gate.clone());
        let w1 = tokio::spawn(async move { g1.enter().await.map(drop) });
        let w2 = tokio::spawn(async move { g2.enter().await.map(drop) });
        while gate.waiting() < 2 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(gate.enter().await, Err(RenderError::Busy)));
        // Their wait runs out: busy, and the queue is empty again.
        assert!(matches!(w1.await.unwrap(), Err(RenderError::Busy)));
        assert!(matches!(w2.await.unwrap(), Err(RenderError::Busy)));
        assert_eq!(gate.waiting(), 0);
        // A slot given back admits the next at once.
        drop(held);
        assert!(gate.enter().await.is_ok());
    }
}
