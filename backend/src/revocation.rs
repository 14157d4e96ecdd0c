//! Live revocation: every open stream of a share (portal event streams, downloads in
//! progress) ends the moment the share is revoked, on every node.
//!
//! Each node has one [`RevocationBus`]. A revocation is published on the node that made it
//! and, with PostgreSQL, sent as `NOTIFY liaison_revocations` inside the revoking
//! transaction (so it is delivered only if the revocation commits). Every node LISTENs
//! ([`listen`]) and republishes on its own bus.
//!
//! The bus also owns the node's [`ShareCache`]: publishing drops the revoked share from it
//! before any stream hears of the revocation. The cache is enabled only on a single node,
//! where every revocation is published on this bus before its request answers.

use std::time::Duration;

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::share_cache::ShareCache;

pub const CHANNEL: &str = "liaison_revocations";

/// A revoked share, as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    pub org_id: String,
    pub share_id: String,
}

impl Revoked {
    fn payload(&self) -> String {
        format!("{}:{}", self.org_id, self.share_id)
    }

    fn parse(payload: &str) -> Option<Self> {
        let (org_id, share_id) = payload.split_once(':')?;
        Some(Self {
            org_id: org_id.to_owned(),
            share_id: share_id.to_owned(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct RevocationBus {
    tx: broadcast::Sender<Revoked>,
    shares: Arc<ShareCache>,
}

/// A bus for one of several nodes: its share cache is disabled.
impl Default for RevocationBus {
    fn default() -> Self {
        Self::new(false)
    }
}

impl RevocationBus {
    /// `single_node`: no other node can revoke behind this one's back (SQLite), so the
    /// share cache is enabled; with several nodes every request reads the database.
    pub fn new(single_node: bool) -> Self {
        Self {
            tx: broadcast::channel(1024).0,
            shares: Arc::new(ShareCache::new(single_node)),
        }
    }

    /// Shares as portal requests see them (see [`ShareCache`]).
    pub fn shares(&self) -> &ShareCache {
        &self.shares
    }

    /// Announces a committed revocation: first drops the share from the cache, then ends
    /// its open streams.
    pub fn publish(&self, r: Revoked) {
        self.shares.forget(&r.share_id);
        // No receivers is fine: nothing is streaming.
        let _ = self.tx.send(r);
    }

    /// A subscription that hears every revocation published from now on. Take it *before*
    /// checking a share for a stream, so a revocation between the check and the stream's
    /// start is not missed.
    pub fn subscribe(&self) -> Subscription {
        Subscription(self.tx.subscribe())
    }
}

/// Revocations published since [`RevocationBus::subscribe`].
#[derive(Debug)]
pub struct Subscription(broadcast::Receiver<Revoked>);

impl Subscription {
    /// Resolves when `share_id` is revoked (or if this receiver fell behind, which is
    /// treated as a revocation so that a stream never outlives one it missed).
    pub fn revoked(
        self,
        share_id: String,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.0;
        async move {
            loop {
                match rx.recv().await {
                    Ok(r) if r.share_id == share_id => return,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        }
    }
}

/// Sends the cross-node notification inside the revoking transaction (PostgreSQL only;
/// SQLite is a single node and needs none).
pub async fn notify_in(
    tx: &mut crate::store::Tx,
    engine: crate::store::Engine,
    r: &Revoked,
) -> crate::store::Result<()> {
    if engine == crate::store::Engine::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(r.payload())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// LISTENs for revocations made on other nodes and republishes them on `bus`, reconnecting
/// after errors. Runs until the process ends.
///
/// `try_recv`, unlike `recv`, reports a lost connection instead of reconnecting silently,
/// so the loss (and the notifications it may have dropped) is logged.
pub async fn listen(postgres_url: String, bus: RevocationBus) {
    loop {
        match sqlx::postgres::PgListener::connect(&postgres_url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error.detail = %e, "cannot LISTEN for revocations");
                } else {
                    tracing::info!("listening for revocations from other nodes");
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(n)) => match Revoked::parse(n.payload()) {
                                Some(r) => bus.publish(r),
                                None => tracing::warn!("malformed revocation notification"),
                            },
                            Ok(None) => {
                                tracing::warn!("revocation listener lost its connection");
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error.detail = %e, "revocation listener failed");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error.detail = %e, "cannot connect the revocation listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_ends_only_for_its_own_share() {
        let bus = RevocationBus::default();
        let mine = tokio::spawn(bus.subscribe().revoked("s1".into()));
        tokio::task::yield_now().await;
        bus.publish(Revoked {
            org_id: "o".into(),
            share_id: "s2".into(),
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!mine.is_finished());
        bus.publish(Revoked {
            org_id: "o".into(),
            share_id: "s1".into(),
        });
        tokio::time::timeout(Duration::from_secs(1), mine)
            .await
            .unwrap()
            .unwrap();
        let r = Revoked {
            org_id: "o1".into(),
            share_id: "0190-x".into(),
        };
        assert_eq!(Revoked::parse(&r.payload()), Some(r));
    }

    #[tokio::test]
    async fn a_subscription_hears_revocations_published_before_it_is_awaited() {
        let bus = RevocationBus::default();
        let subscription = bus.subscribe();
        bus.publish(Revoked {
            org_id: "o".into(),
            share_id: "s1".into(),
        });
        tokio::time::timeout(Duration::from_secs(1), subscription.revoked("s1".into()))
            .await
            .expect("a revocation published after subscribing was missed");
    }
}
