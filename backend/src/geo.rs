//! Country of an IP address from a GeoIP2/GeoLite2-Country (or compatible) MaxMind database,
//! for the "allowed countries" rule. Without a configured database the rule cannot be
//! evaluated, so shares may not set it (checked at creation).

use std::net::IpAddr;
use std::path::Path;

use maxminddb::{geoip2, Reader};

pub struct Geo {
    reader: Reader<Vec<u8>>,
}

impl std::fmt::Debug for Geo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Geo({})", self.reader.metadata.database_type)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot open the GeoIP database {path}: {source}")]
pub struct GeoError {
    path: String,
    source: maxminddb::MaxMindDbError,
}

impl Geo {
    pub fn open(path: &Path) -> Result<Self, GeoError> {
        let reader = Reader::open_readfile(path).map_err(|source| GeoError {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self { reader })
    }

    /// ISO 3166-1 alpha-2 code of `ip`'s country, if the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let ip = crate::domain::controls::canonical_ip(ip);
        let found: Option<geoip2::Country> = self.reader.lookup(ip).ok().flatten();
        found
            .and_then(|c| c.country)
            .and_then(|c| c.iso_code)
            .map(str::to_owned)
    }
}
