//! Who is acting, with which credential, from where. Every service call takes one and
//! every audit event records it.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::domain::Role;

/// Where a request came from (for audit) and which site it came in on. The user agent is
/// truncated to 512 bytes. The default is no request at all (the system's own actions):
/// no address, no agent, the installation's site.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The site the request was addressed to (its Host), resolved once by the server.
    pub site: Site,
}

/// The site a request was addressed to, from its Host header (resolved by
/// `services::sites::resolve`). Only two kinds of host are served: the installation's own
/// (`LIAISON_PUBLIC_URL`) and portals' verified custom domains; any other is sent to the
/// public URL before any service sees it.
///
/// Deliberately without a default: the edge resolves the site of every request it serves
/// and refuses one it could not, rather than taking it for the installation's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Site {
    /// The public URL: the console, the admin API, and guests of every portal.
    Installation,
    /// A portal's verified custom domain: that portal's guests only — its brand, its
    /// shares, sessions whose audience is this origin. Never the console.
    Portal(PortalSite),
}

/// A portal's verified custom domain, as a request reached it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortalSite {
    pub org_id: String,
    pub portal_id: String,
    /// The canonical domain name (no port).
    pub domain: String,
}

impl Default for RequestMeta {
    fn default() -> Self {
        Self::new(None, None)
    }
}

impl Site {
    /// The portal this site belongs to, if it is a portal's domain.
    pub fn portal(&self) -> Option<&PortalSite> {
        match self {
            Site::Installation => None,
            Site::Portal(p) => Some(p),
        }
    }
}

impl RequestMeta {
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        let user_agent = user_agent.map(|ua| {
            let mut end = ua.len().min(512);
            while !ua.is_char_boundary(end) {
                end -= 1;
            }
            ua[..end].to_owned()
        });
        Self {
            ip,
            user_agent,
            site: Site::Installation,
        }
    }

    /// The same request, addressed to `site`.
    pub fn on(mut self, site: Site) -> Self {
        self.site = site;
        self
    }

    /// The client address as attempt counters and rate limits key it (`unknown` without
    /// one). IPv6 clients are grouped by their /64: one subscriber usually holds a whole
    /// /64, so keying single addresses would give an attacker 2^64 fresh counters.
    pub fn ip_subject(&self) -> String {
        self.ip
            .map(address_group)
            .unwrap_or_else(|| "unknown".into())
    }
}

/// The key under which per-address limits count `ip`: an IPv4 address itself (also when
/// written as an IPv4-mapped IPv6 address), an IPv6 address's /64 network.
pub fn address_group(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

/// The client address of a request, resolved once per request by the server from the peer
/// address and, only when the peer is a trusted proxy, `X-Forwarded-For`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Resolves the client address. `X-Forwarded-For` is honoured only from a trusted proxy:
/// walking the list from the right (the entry our proxy appended), trusted proxies are
/// skipped and the first untrusted address is the client. A peer that is not a trusted
/// proxy is the client, whatever headers it sends — so nobody can spoof an allowed range.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let peer = crate::domain::controls::canonical_ip(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop
            .parse::<IpAddr>()
            .map(crate::domain::controls::canonical_ip)
        else {
            // A malformed hop: stop at the last address we could trust.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// How a staff member authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffCredential {
    /// Console cookie session, opened in the account's `epoch` (a password reset or a
    /// disable moves the account on, which ends the session).
    Session { epoch: i64 },
    /// A one-time link that sets the account's password (invitation or reset).
    StaffLink,
    /// An API key, by key id, with what it may do on its owner's behalf.
    ApiKey {
        key_id: String,
        scope: crate::domain::KeyScope,
    },
    /// The `liaison` command line, acting as the named staff member on this host.
    Cli,
}

impl StaffCredential {
    pub fn audit_label(&self) -> String {
        match self {
            StaffCredential::Session { .. } => "session".into(),
            StaffCredential::StaffLink => "staff_link".into(),
            StaffCredential::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
            StaffCredential::Cli => "cli".into(),
        }
    }
}

/// An authenticated internal user. Constructed only by `services::auth`.
#[derive(Clone, Debug)]
pub struct Staff {
    pub org_id: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub credential: StaffCredential,
}

/// A guest inside a portal session, checked against the share on this very request.
#[derive(Clone, Debug)]
pub struct Guest {
    pub org_id: String,
    pub share_id: String,
    /// What the share covers: its (first) document or its record (a share's content
    /// never changes after creation). The item its guest's audit events name.
    pub item_id: String,
    pub session_id: String,
    pub recipient_name: String,
    pub recipient_email: String,
    /// The partner IdP the guest signed in with (federated shares).
    pub idp_id: Option<String>,
    /// When the guest passed the share's checks (Unix seconds), kept across renewals.
    pub auth_time: i64,
    /// SHA-256 of the device id of the browser the session was opened in.
    pub device_hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Security review, finding 6: one IPv6 subscriber (a /64) is one subject.
    #[test]
    fn per_address_limits_group_ipv6_by_64() {
        let subject = |ip: &str| RequestMeta::new(Some(ip.parse().unwrap()), None).ip_subject();
        assert_eq!(
            subject("2001:db8:1:2::1"),
            subject("2001:db8:1:2:ffff:ffff:ffff:fffe")
        );
        assert_eq!(subject("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_ne!(subject("2001:db8:1:2::1"), subject("2001:db8:1:3::1"));
        assert_eq!(subject("203.0.113.7"), "203.0.113.7");
        assert_eq!(subject("::ffff:203.0.113.7"), "203.0.113.7");
        assert_ne!(subject("203.0.113.7"), subject("203.0.113.8"));
        assert_eq!(RequestMeta::default().ip_subject(), "unknown");
    }

    #[test]
    fn forwarded_for_is_honoured_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases: [(&str, &[&str], &str); 7] = [
            // An untrusted peer's header is ignored.
            ("203.0.113.9", &["198.51.100.1"], "203.0.113.9"),
            // Trusted proxy: the rightmost untrusted hop is the client.
            ("10.0.0.2", &["198.51.100.1"], "198.51.100.1"),
            // The client prepends a fake entry: still the real one.
            ("10.0.0.2", &["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
            // Two trusted proxies in a row.
            ("10.0.0.2", &["198.51.100.1, 10.0.0.3"], "198.51.100.1"),
            // Several header lines are one list.
            ("10.0.0.2", &["198.51.100.1", "10.0.0.3"], "198.51.100.1"),
            // No header: the proxy itself.
            ("::1", &[], "::1"),
            // Garbage: stop at the last trusted hop.
            ("10.0.0.2", &["not-an-ip"], "10.0.0.2"),
        ];
        for (peer, xff, want) in cases {
            assert_eq!(
                client_ip(ip(peer), xff.iter().copied(), &trusted),
                ip(want),
                "{peer} {xff:?}"
            );
        }
    }
}
