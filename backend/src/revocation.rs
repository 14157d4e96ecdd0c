//! Live revocation: every open stream of a share (portal event streams, downloads in
//! progress) ends the moment the share is revoked, on every node.
//!
//! Each node has one [`RevocationBus`]. A revocation is published on the node that made it
//! and, with PostgreSQL, sent as `NOTIFY liaison_revocations` inside the revoking
//! transaction (so it is delivered only if the revocation commits). Every node LISTENs
//! ([`listen`]) and republishes on its own bus. Request-time checks never depend on this:
//! every request re-reads the share, so the very next request fails even if a notification
//! were lost; the bus exists to cut streams that are already open.

use std::time::Duration;

use tokio::sync::broadcast;

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
}

impl Default for RevocationBus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl RevocationBus {
    pub fn publish(&self, r: Revoked) {
        // No receivers is fine: nothing is streaming.
        let _ = self.tx.send(r);
    }

    /// Resolves when `share_id` is revoked (or if this receiver fell behind, which is
    /// treated as a revocation so that a stream never outlives one it missed).
    pub fn revoked(
        &self,
        share_id: String,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
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
pub async fn listen(postgres_url: String, bus: RevocationBus) {
    loop {
        match sqlx::postgres::PgListener::connect(&postgres_url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error.detail = %e, "cannot LISTEN for revocations");
                } else {
                    tracing::info!("listening for revocations from other nodes");
                    loop {
                        match listener.recv().await {
                            Ok(n) => match Revoked::parse(n.payload()) {
                                Some(r) => bus.publish(r),
                                None => tracing::warn!("malformed revocation notification"),
                            },
                            Err(e) => {
                                tracing::warn!(error.detail = %e, "revocation listener lost its connection");
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
        let mine = tokio::spawn(bus.revoked("s1".into()));
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
}
