//! The one way to assemble a [`Liaison`]: `liaison serve`, `liaison bench` and every test
//! harness go through [`Liaison::builder`], so a new part of the core is added in one place.

use std::sync::Arc;

use crate::blobs::Blobs;
use crate::clock::{Clock, SystemClock};
use crate::crypto::{Kdf, Sealer};
use crate::federation::outbound::Outbound;
use crate::portal_jwt::{JwtError, PortalKeys};
use crate::revocation::RevocationBus;
use crate::store::{Db, Engine};
use crate::{geo, Liaison, Settings};

/// Parts of a [`Liaison`] with their defaults: the system clock; PBKDF2 at the policy
/// floor on [`Kdf::default_concurrency`] workers; no GeoIP database; one node when the
/// database is SQLite (several otherwise, so no share cache); an outbound guard that
/// refuses private networks; the page renderer beside this executable.
pub struct LiaisonBuilder {
    db: Db,
    blobs: Blobs,
    sealer: Sealer,
    settings: Settings,
    hash_workers: usize,
    geo: Option<geo::Geo>,
    clock: Arc<dyn Clock>,
    single_node: Option<bool>,
    allow_private_networks: bool,
    streams_per_share: usize,
    viewer: Option<crate::viewer::Viewer>,
}

impl Liaison {
    pub fn builder(db: Db, blobs: Blobs, sealer: Sealer, settings: Settings) -> LiaisonBuilder {
        LiaisonBuilder {
            db,
            blobs,
            sealer,
            settings,
            hash_workers: Kdf::default_concurrency(),
            geo: None,
            clock: Arc::new(SystemClock),
            single_node: None,
            allow_private_networks: false,
            streams_per_share: crate::revocation::MAX_STREAMS_PER_SHARE,
            viewer: None,
        }
    }
}

impl LiaisonBuilder {
    /// Concurrent PBKDF2 computations (the rest of the runtime stays responsive).
    pub fn hash_workers(mut self, n: usize) -> Self {
        self.hash_workers = n.max(1);
        self
    }

    /// The protected viewer's renderer pool and cache (default: the renderer beside this
    /// executable, one process per core but one, a 512 MiB cache).
    pub fn viewer(mut self, viewer: crate::viewer::Viewer) -> Self {
        self.viewer = Some(viewer);
        self
    }

    /// Country lookups for the "allowed countries" rule.
    pub fn geo(mut self, geo: Option<geo::Geo>) -> Self {
        self.geo = geo;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Overrides what the engine implies: only a single node may cache shares, because no
    /// other node can revoke behind its back.
    pub fn single_node(mut self, single: bool) -> Self {
        self.single_node = Some(single);
        self
    }

    /// Open streams and live sockets one share may hold on this node (default
    /// `revocation::MAX_STREAMS_PER_SHARE`; `liaison bench` raises it to load one share).
    pub fn streams_per_share(mut self, n: usize) -> Self {
        self.streams_per_share = n;
        self
    }

    /// Lets IdP metadata, discovery and token requests reach private and loopback
    /// addresses (test peers, an IdP on the internal network).
    pub fn allow_private_networks(mut self, allow: bool) -> Self {
        self.allow_private_networks = allow;
        self
    }

    /// Loads (or, on a fresh database, creates) the portal signing keys and assembles the
    /// core. Fails when the stored keys cannot be opened with this master key.
    pub async fn build(self) -> Result<Liaison, JwtError> {
        let now_ms = crate::store::to_millis(self.clock.now());
        let keys = PortalKeys::load_or_create(self.db.clone(), self.sealer.clone(), now_ms).await?;
        let single_node = self
            .single_node
            .unwrap_or(self.db.engine() == Engine::Sqlite);
        let revocations =
            RevocationBus::new(single_node).with_streams_per_share(self.streams_per_share);
        // What transactions commit that live pages follow reaches this node's bus and,
        // with PostgreSQL, every other node's.
        self.db.watch_commits(revocations.commit_watcher());
        Ok(Liaison {
            db: self.db,
            blobs: self.blobs,
            kdf: Kdf::new(crate::crypto::kdf::MIN_ITERATIONS, self.hash_workers),
            keys,
            sealer: self.sealer,
            geo: self.geo,
            node_id: revocations.node_id().to_owned(),
            revocations,
            outbound: Outbound::new(self.allow_private_networks),
            clock: self.clock,
            settings: self.settings,
            junk: Default::default(),
            sites: Default::default(),
            viewer: self.viewer.unwrap_or_else(|| {
                crate::viewer::Viewer::beside_this_executable(
                    crate::viewer::Viewer::DEFAULT_CACHE_BYTES,
                )
            }),
        })
    }
}

impl Settings {
    /// Settings for `public_url` with the defaults of `liaison serve`: 15-minute portal
    /// sessions, 50 MiB uploads, no trusted proxies.
    pub fn new(public_url: url::Url) -> Self {
        Self {
            public_url,
            portal_session_ttl: Self::MAX_PORTAL_SESSION_TTL,
            max_upload_bytes: 50 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            dns_resolver: None,
            custom_domain_port: 443,
        }
    }
}
