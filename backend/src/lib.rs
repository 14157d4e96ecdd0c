//! Liaison's domain library: shares, tokens, portal sessions, audit, and the stores
//! behind them. Used by the `server` binary and by `app` (server side only); nothing here
//! is compiled to wasm.
#![forbid(unsafe_code)]

pub mod actor;
pub mod audit;
pub mod blobs;
mod builder;
pub mod clock;
pub mod crypto;
pub mod dns;
pub mod domain;
pub mod federation;
pub mod geo;
pub mod mail;
pub mod portal_jwt;
pub mod revocation;
pub mod services;
pub mod share_cache;
pub mod store;

use std::sync::Arc;

use url::Url;

use crate::blobs::Blobs;
use crate::clock::Clock;
use crate::crypto::{Kdf, Sealer};
use crate::portal_jwt::PortalKeys;
use crate::store::Db;

pub use builder::LiaisonBuilder;

/// Settings the services need (the server's typed config provides them).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where guests and staff reach this installation; the portal JWT issuer.
    pub public_url: Url,
    /// Portal session lifetime (at most 15 minutes).
    pub portal_session_ttl: time::Duration,
    /// Largest accepted upload.
    pub max_upload_bytes: usize,
    /// Proxies whose `X-Forwarded-For` is believed (and nobody else's).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The DNS server custom domains are verified against (`None`: the system's).
    pub dns_resolver: Option<std::net::SocketAddr>,
}

impl Settings {
    pub const MAX_PORTAL_SESSION_TTL: time::Duration = time::Duration::minutes(15);

    /// `iss` of portal JWTs: the public URL without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// `aud` of portal JWTs: the portal's origin (scheme://host[:port]).
    pub fn portal_audience(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// The absolute link a guest opens.
    pub fn share_url(&self, token: &str) -> String {
        format!("{}/s/{token}", self.issuer())
    }
}

/// Everything a service needs. Shared as `Arc<Liaison>`; no globals.
#[derive(Debug)]
pub struct Liaison {
    pub db: Db,
    pub blobs: Blobs,
    pub kdf: Kdf,
    pub keys: PortalKeys,
    /// Seals secrets that must be recoverable (share links) under the master key.
    pub sealer: Sealer,
    /// Country lookups for the "allowed countries" rule, when a database is configured.
    pub geo: Option<geo::Geo>,
    /// Ends open streams of a revoked share on this node (fed by other nodes via LISTEN)
    /// and keeps the node's share cache true.
    pub revocations: revocation::RevocationBus,
    /// The guarded HTTP client for identity providers (metadata, discovery, tokens).
    pub outbound: federation::outbound::Outbound,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    /// Refusals of unauthenticated junk, audited once per window with a count.
    pub junk: audit::coalesce::Coalescer,
}

impl Liaison {
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    pub fn now_ms(&self) -> i64 {
        store::to_millis(self.clock.now())
    }
}
