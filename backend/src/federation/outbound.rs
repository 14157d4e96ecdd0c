//! Outbound HTTP to identity providers (SAML metadata URLs, OIDC discovery, keys, tokens,
//! userinfo), guarded against server-side request forgery.
//!
//! Invariants:
//! - private, loopback, link-local and other non-public addresses are refused — both IP
//!   literals in the URL and every address a host name resolves to (checked in the resolver,
//!   so a DNS answer cannot swap in an internal address after the URL check) — unless the
//!   operator set `allow_private_networks` (on-premises IdPs, tests);
//! - plain `http` only together with `allow_private_networks`; otherwise `https` only;
//! - no redirects are followed (a redirect is an error, never a second request);
//! - every call times out ([`TIMEOUT`]) and bodies larger than [`MAX_BODY`] are refused.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::FederationError;

pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Metadata and key documents larger than this are refused.
pub const MAX_BODY: usize = 1024 * 1024;

/// The one HTTP client federation uses. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    pub fn new(allow_private_networks: bool) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Direct connections only: a proxy from the environment would resolve names
            // itself and bypass the address guard below.
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: allow_private_networks,
            }))
            .user_agent(concat!("Liaison/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with rustls and a custom resolver always builds");
        Self {
            client,
            allow_private: allow_private_networks,
        }
    }

    pub fn allows_private_networks(&self) -> bool {
        self.allow_private
    }

    /// Refuses URLs that the guard would refuse, before any connection is made.
    pub fn check_url(&self, url: &Url) -> Result<(), FederationError> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            _ => {
                return Err(FederationError::Refused(format!(
                    "{url} is not an https URL"
                )))
            }
        }
        let host = url
            .host()
            .ok_or_else(|| FederationError::Refused(format!("{url} has no host")))?;
        let literal = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        };
        if let Some(ip) = literal {
            if !self.allow_private && !is_public(ip) {
                return Err(private_refused(url.host_str().unwrap_or_default()));
            }
        }
        Ok(())
    }

    /// GET with the guard, the timeout and the size cap; non-2xx is an error.
    pub async fn get_text(&self, url: &Url) -> Result<String, FederationError> {
        self.check_url(url)?;
        let resp = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(unreachable)?;
        if !resp.status().is_success() {
            return Err(FederationError::Unreachable(format!(
                "{url} answered {}",
                resp.status()
            )));
        }
        let body = read_capped(resp).await?;
        String::from_utf8(body)
            .map_err(|_| FederationError::Malformed(format!("{url} did not return UTF-8 text")))
    }

    async fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, FederationError> {
        let url = Url::parse(&request.uri().to_string())
            .map_err(|e| FederationError::Refused(format!("bad URL: {e}")))?;
        self.check_url(&url)?;
        let (parts, body) = request.into_parts();
        let mut req = self.client.request(parts.method, url).body(body);
        for (name, value) in &parts.headers {
            req = req.header(name, value);
        }
        let resp = req.send().await.map_err(unreachable)?;
        let mut out = http::Response::builder().status(resp.status());
        for (name, value) in resp.headers() {
            out = out.header(name, value);
        }
        let body = read_capped(resp).await?;
        out.body(body)
            .map_err(|e| FederationError::Malformed(e.to_string()))
    }
}

/// Lets `openidconnect` make its requests (discovery, JWKS, token, userinfo) through the
/// guard.
impl<'c> openidconnect::AsyncHttpClient<'c> for Outbound {
    type Error = openidconnect::HttpClientError<FederationError>;
    type Future =
        Pin<Box<dyn Future<Output = Result<openidconnect::HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            self.execute(request)
                .await
                .map_err(|e| openidconnect::HttpClientError::Other(e.to_string()))
        })
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, FederationError> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large() -> FederationError {
    FederationError::Refused(format!("the answer is larger than {MAX_BODY} bytes"))
}

fn unreachable(e: reqwest::Error) -> FederationError {
    // reqwest's message names the URL and the failure (timeout, refused, resolver guard),
    // never a request body.
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    FederationError::Unreachable(msg)
}

fn private_refused(host: &str) -> FederationError {
    FederationError::Refused(format!(
        "{host} is a private or loopback address; fetching from it is not allowed \
         (an operator can allow it with LIAISON_FEDERATION_ALLOW_PRIVATE_NETWORKS)"
    ))
}

/// Addresses reachable on the public internet: not loopback, private, link-local, CGNAT
/// (100.64/10), "this network" (0/8), IETF protocol assignments (192.0.0/24), benchmarking
/// (198.18/15), reserved (240/4), unique-local, documentation, multicast or unspecified —
/// nor an IPv6 address that embeds one of those (IPv4-mapped or -compatible, NAT64
/// 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16), nor Teredo (2001::/32), whose
/// embedded server and client addresses are not ours to judge.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || (o[0] == 192 && o[1] == 88 && o[2] == 99)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                // IPv4-compatible (::a.b.c.d, deprecated): judge the IPv4 address.
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                )));
            }
            if s[0] == 0x2002 {
                // 6to4: the IPv4 address is in bits 16..48.
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(
                    (s[1] >> 8) as u8,
                    s[1] as u8,
                    (s[2] >> 8) as u8,
                    s[2] as u8,
                )));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x0100 && s[1..4] == [0; 3])
                || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0)
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x2001 && s[1] == 0)
                || (s[0] == 0x64 && s[1] == 0xff9b && (s[2..6] == [0; 4] || s[2] == 1)))
        }
    }
}

#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(
                    Box::new(private_refused(&host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "224.0.0.1",
            // Security review, finding 6: special-purpose ranges and embedded addresses.
            "0.1.2.3",
            "100.127.255.254",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.254",
            "::ffff:192.168.0.1",
            "::ffff:100.64.0.1",
            "::10.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::8.8.8.8",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "2002:7f00:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "192.88.99.1",
            "fec0::1",
            "100::1",
            "2001:2::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "198.20.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
            "2002:808:808::1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn urls_to_private_addresses_and_plain_http_are_refused() {
        let guard = Outbound::new(false);
        for url in [
            "https://127.0.0.1/metadata",
            "https://[::1]/x",
            "https://169.254.169.254/latest/meta-data",
            "http://idp.example/metadata",
            "file:///etc/passwd",
        ] {
            let err = guard.check_url(&Url::parse(url).unwrap()).unwrap_err();
            assert_eq!(err.code(), "refused", "{url}");
        }
        // A host name that resolves to loopback is refused by the resolver.
        let err = guard
            .get_text(&Url::parse("https://localhost:9/metadata").unwrap())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("private or loopback"), "{err}");
        let open = Outbound::new(true);
        assert!(open
            .check_url(&Url::parse("http://127.0.0.1:8080/").unwrap())
            .is_ok());
    }
}
