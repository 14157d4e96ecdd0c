//! TXT lookups for custom-domain verification, through the resolver at
//! `LIAISON_DNS_RESOLVER` (`ip:port`) or the system's. Nothing is cached: each check asks.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::rr::RData;
use hickory_resolver::Resolver;

/// Why a lookup gave no answer either way (so nothing is concluded from it).
#[derive(Debug, thiserror::Error)]
#[error("the DNS lookup of {name} failed: {detail}")]
pub struct LookupFailed {
    pub name: String,
    pub detail: String,
}

/// The TXT strings published at `name` (each record's strings joined, as RFC 7208 reads
/// them). An empty list means the name has no TXT record (or does not exist); an error
/// means the resolver could not say.
pub async fn txt_values(
    resolver: Option<SocketAddr>,
    name: &str,
) -> Result<Vec<String>, LookupFailed> {
    let failed = |detail: String| LookupFailed {
        name: name.to_owned(),
        detail,
    };
    let mut builder = match resolver {
        Some(addr) => {
            let mut server = NameServerConfig::udp_and_tcp(addr.ip());
            for c in &mut server.connections {
                c.port = addr.port();
            }
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => Resolver::builder_tokio().map_err(|e| failed(e.to_string()))?,
    };
    let options = builder.options_mut();
    options.cache_size = 0;
    options.timeout = Duration::from_secs(5);
    options.attempts = 2;
    let resolver = builder.build().map_err(|e| failed(e.to_string()))?;
    // Fully qualified: no search domains are tried.
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match resolver.txt_lookup(fqdn.as_str()).await {
        Ok(lookup) => Ok(lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect()),
        Err(NetError::Dns(DnsError::NoRecordsFound(_))) => Ok(Vec::new()),
        Err(e) => Err(failed(e.to_string())),
    }
}
