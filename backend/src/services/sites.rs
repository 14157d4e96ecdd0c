//! Which site a request is for, and where a share's links live.
//!
//! Invariant (the one this module guards): a request is served as a portal's custom domain
//! only when its host is that portal's *verified* domain, on the port guests reach custom
//! domains on; the installation's own host is the public URL's, exactly; every other host
//! is no site at all (the edge sends it to the public URL). Services then bind everything
//! a guest gets to the site: links are generated on their portal's domain, a portal
//! session's `aud` is the site's origin, and a portal domain serves only its own portal's
//! shares and brand (`share_core::find`, `access::authenticate`).
//!
//! Which names are verified is remembered per node for [`REMEMBER`] (answers "no" too, up
//! to [`REMEMBER_AT_MOST`] names), so a request — or a flood of made-up Hosts — costs no
//! query; a node forgets a name at once when it verifies, suspends or removes it, and
//! sees another node's change within [`REMEMBER`].
//!
//! Depends on the store only, so every service may use it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Result;
use crate::actor::{PortalSite, Site};
use crate::domain::{Method, Share};
use crate::store;
use crate::Liaison;

/// How long a node believes what it last read about a name.
pub const REMEMBER: Duration = Duration::from_secs(10);
/// The most names a node remembers; past it, it starts again from nothing.
pub const REMEMBER_AT_MOST: usize = 10_000;

/// A node's memory of which names are verified portal domains (see the module doc).
#[derive(Debug, Default)]
pub struct SiteCache {
    names: Mutex<HashMap<String, (Option<PortalSite>, Instant)>>,
}

impl SiteCache {
    fn recall(&self, name: &str) -> Option<Option<PortalSite>> {
        let names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names
            .get(name)
            .filter(|(_, at)| at.elapsed() < REMEMBER)
            .map(|(site, _)| site.clone())
    }

    fn remember(&self, name: &str, site: Option<PortalSite>) {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if names.len() >= REMEMBER_AT_MOST {
            names.clear();
        }
        names.insert(name.to_owned(), (site, Instant::now()));
    }
}

/// Forgets what this node remembers about `name` (canonical), after it changed here.
pub fn forget(core: &Liaison, name: &str) {
    let mut names = core.sites.names.lock().unwrap_or_else(|p| p.into_inner());
    names.remove(name);
}

/// The site `host` (a request's Host, `name[:port]`) names, or `None` when it names none.
/// A missing host (HTTP/1.0, in-process requests) is the installation's: such a request
/// has no browser origin to confuse.
#[tracing::instrument(skip_all)]
pub async fn resolve(core: &Liaison, host: Option<&str>) -> Result<Option<Site>> {
    let Some(host) = host else {
        return Ok(Some(Site::Installation));
    };
    let Some((name, port)) = split_host(host) else {
        return Ok(None);
    };
    let public = &core.settings.public_url;
    let public_port = public.port_or_known_default();
    if public
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(&name))
        && port.or_else(|| default_port(public.scheme())) == public_port
    {
        return Ok(Some(Site::Installation));
    }
    // Only a name that could be a portal's domain costs a lookup: a flood of junk Hosts
    // (addresses, single labels, odd characters) never reaches the database.
    if port.unwrap_or(443) != core.settings.custom_domain_port
        || crate::domain::hostname::custom_domain(&name, "").is_err()
    {
        return Ok(None);
    }
    if let Some(known) = core.sites.recall(&name) {
        return Ok(known.map(Site::Portal));
    }
    let site = verified(core, &name).await?.map(|d| PortalSite {
        org_id: d.org_id,
        portal_id: d.portal_id,
        domain: d.domain,
    });
    core.sites.remember(&name, site.clone());
    Ok(site.map(Site::Portal))
}

/// The verified domain named `name` (canonical form), if any, read now: the one test of
/// whether a name is served, for Host routing and the TLS `ask` alike.
async fn verified(core: &Liaison, name: &str) -> Result<Option<store::domains::DomainRow>> {
    Ok(store::domains::verified_by_name(core.db.pool(), name).await?)
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// A Host value's name (lower case, without a trailing dot) and port, or `None` when it is
/// not a well-formed `host[:port]` (user info, paths and junk are refused).
pub fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let authority: http::uri::Authority = host.trim().parse().ok()?;
    // User info, or something after the name that is not a port number.
    if authority.as_str().contains('@')
        || (authority.port_u16().is_none() && authority.as_str() != authority.host())
    {
        return None;
    }
    let name = authority.host().trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some((name, authority.port_u16()))
}

/// Is `host` a verified domain of some portal (may it be served, and get a certificate)?
/// `host` is compared in canonical form (lower case, no trailing dot, no port), and read
/// now: a certificate is never issued on a remembered answer.
#[tracing::instrument(skip_all)]
pub async fn is_served(core: &Liaison, host: &str) -> Result<bool> {
    let name = host.trim().trim_end_matches('.').to_ascii_lowercase();
    Ok(verified(core, &name).await?.is_some())
}

/// The base URL (no trailing slash) of the links of a share of `portal_id` made with
/// `method`: the portal's served domain (its earliest verified one) when it has one, else
/// the public URL. Federated shares stay on the public URL, where the IdPs send guests
/// back (a sign-in completes only in the browser, and so on the host, that started it).
pub async fn link_base(
    core: &Liaison,
    org_id: &str,
    portal_id: &str,
    method: Method,
) -> Result<String> {
    if method != Method::Federated {
        if let Some(domain) =
            store::domains::served_for_portal(core.db.pool(), org_id, portal_id).await?
        {
            return Ok(core.settings.domain_origin(&domain));
        }
    }
    Ok(core.settings.issuer())
}

/// The absolute link a guest opens, under `base` (from [`link_base`]).
pub fn share_url(base: &str, token: &str) -> String {
    format!("{base}/s/{token}")
}

/// Whether `site` may serve `share`: the installation serves every share; a portal's
/// domain only its own portal's (of its own organisation), and no federated ones.
pub fn serves_share(site: &Site, share: &Share) -> bool {
    match site {
        Site::Installation => true,
        Site::Portal(p) => {
            p.org_id == share.org_id
                && p.portal_id == share.portal_id
                && share.method != Method::Federated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_split_into_canonical_name_and_port() {
        let ok = |h: &str| split_host(h).unwrap();
        assert_eq!(
            ok("Share.Agency.Example"),
            ("share.agency.example".into(), None)
        );
        assert_eq!(
            ok("share.agency.example.:8443"),
            ("share.agency.example".into(), Some(8443))
        );
        assert_eq!(ok("127.0.0.1:3000"), ("127.0.0.1".into(), Some(3000)));
        assert_eq!(ok("[::1]:3000"), ("[::1]".into(), Some(3000)));
        for junk in [
            "",
            "a b",
            "user@host",
            "host:port",
            "host:99999",
            "/path",
            "host/x",
        ] {
            assert!(split_host(junk).is_none(), "{junk:?}");
        }
    }
}
