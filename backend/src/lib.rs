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
pub mod viewer;

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
    /// The port guests reach portals' custom domains on (always over https, through the
    /// TLS proxy): 443 unless the proxy listens elsewhere.
    pub custom_domain_port: u16,
}

impl Settings {
    pub const MAX_PORTAL_SESSION_TTL: time::Duration = time::Duration::minutes(15);

    /// `iss` of portal JWTs: the public URL without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// The origin (scheme://host[:port]) of `site`: the public URL's, or
    /// `https://<domain>[:custom_domain_port]` for a portal's custom domain. It is the `aud`
    /// of the portal sessions issued there and the only `Origin` its writes are taken from.
    pub fn origin_of(&self, site: &actor::Site) -> String {
        match site {
            actor::Site::Installation => self.public_url.origin().ascii_serialization(),
            actor::Site::Portal(p) => self.domain_origin(&p.domain),
        }
    }

    /// Whether cookies set on `site` get `Secure`: always on a portal's domain (served over
    /// https only), on the installation's host when the public URL is https.
    pub fn secure_cookies_on(&self, site: &actor::Site) -> bool {
        matches!(site, actor::Site::Portal(_)) || self.public_url.scheme() == "https"
    }

    /// The origin guests reach the custom domain `domain` on.
    pub fn domain_origin(&self, domain: &str) -> String {
        match self.custom_domain_port {
            443 => format!("https://{domain}"),
            port => format!("https://{domain}:{port}"),
        }
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
    /// Which names this node knows to be verified portal domains (Host routing).
    pub sites: services::sites::SiteCache,
    /// This process among the nodes sharing the database (random per start): whose live
    /// presence entries it keeps alive.
    pub node_id: String,
    /// Page images for the protected viewer: renderer pool, page cache budget, watermarks.
    pub viewer: viewer::Viewer,
}

impl Liaison {
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    pub fn now_ms(&self) -> i64 {
        store::to_millis(self.clock.now())
    }
}
