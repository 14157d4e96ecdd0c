//! Repeated junk is audited once per window, with a count — not once per request.
//!
//! Anyone can post garbage to an unauthenticated endpoint (a SAML ACS, say). Each refusal
//! is worth knowing about, but appending one event per junk request to the organisation's
//! hash chain would let a stranger grow the audit log without bound and serialise every
//! other audited action behind the flood. So refusals that prove nothing about who sent
//! them are keyed (organisation, source, reason, client address group): the first in a
//! window is recorded as it happens; later ones in the same window are only counted, and
//! the count is recorded as one summary event when the window has passed
//! ([`Coalescer::take_finished`], run by the housekeeping loop) or with the next event of
//! that key, whichever comes first. Per node, in memory: a restart may lose at most one
//! window's count, never an individually recorded event.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long repeats of one key are only counted.
pub const WINDOW_MS: i64 = 5 * 60_000;

/// What to record for a repeated refusal: enough to write the summary event later.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Repeated {
    pub org_id: String,
    /// The IdP (or other source) the junk was aimed at.
    pub source_id: String,
    pub reason: String,
    pub address: String,
}

#[derive(Debug)]
struct Window {
    started_ms: i64,
    /// Refusals of this key counted, not recorded, since the window started.
    counted: u64,
}

#[derive(Debug, Default)]
pub struct Coalescer {
    windows: Mutex<HashMap<Repeated, Window>>,
}

/// What to do with one refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Record it; `earlier_repeats` were counted (not recorded) in the window before.
    Record { earlier_repeats: u64 },
    /// Only counted.
    Counted,
}

impl Coalescer {
    pub fn admit(&self, key: &Repeated, now_ms: i64) -> Verdict {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get_mut(key) {
            Some(w) if now_ms - w.started_ms < WINDOW_MS => {
                w.counted += 1;
                Verdict::Counted
            }
            Some(w) => {
                let earlier_repeats = w.counted;
                *w = Window {
                    started_ms: now_ms,
                    counted: 0,
                };
                Verdict::Record { earlier_repeats }
            }
            None => {
                windows.insert(
                    key.clone(),
                    Window {
                        started_ms: now_ms,
                        counted: 0,
                    },
                );
                Verdict::Record { earlier_repeats: 0 }
            }
        }
    }

    /// Keys whose window has passed, with what they counted (zero counts are dropped
    /// silently): each becomes one summary event.
    pub fn take_finished(&self, now_ms: i64) -> Vec<(Repeated, u64)> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let finished: Vec<Repeated> = windows
            .iter()
            .filter(|(_, w)| now_ms - w.started_ms >= WINDOW_MS)
            .map(|(k, _)| k.clone())
            .collect();
        finished
            .into_iter()
            .filter_map(|k| {
                let w = windows.remove(&k)?;
                (w.counted > 0).then_some((k, w.counted))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(address: &str) -> Repeated {
        Repeated {
            org_id: "o".into(),
            source_id: "idp".into(),
            reason: "bad_signature".into(),
            address: address.into(),
        }
    }

    #[test]
    fn the_first_of_a_window_is_recorded_the_rest_counted() {
        let c = Coalescer::default();
        assert_eq!(
            c.admit(&key("a"), 0),
            Verdict::Record { earlier_repeats: 0 }
        );
        for t in 1..100 {
            assert_eq!(c.admit(&key("a"), t), Verdict::Counted);
        }
        assert_eq!(
            c.admit(&key("b"), 100),
            Verdict::Record { earlier_repeats: 0 },
            "another address is another key"
        );
        assert!(c.take_finished(WINDOW_MS - 1).is_empty());
        // The window passed with no further junk: the count becomes a summary.
        let done = c.take_finished(WINDOW_MS);
        assert_eq!(done, vec![(key("a"), 99)]);
        assert!(
            c.take_finished(WINDOW_MS * 3).is_empty(),
            "b counted nothing"
        );
        // Junk after the window is recorded again and carries the earlier count.
        for t in 0..5 {
            c.admit(&key("c"), t);
        }
        assert_eq!(
            c.admit(&key("c"), WINDOW_MS + 1),
            Verdict::Record { earlier_repeats: 4 }
        );
    }
}
