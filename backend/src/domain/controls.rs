//! What a share allows and where it may be opened from: methods, permissions, scope, TLP,
//! network rules. Pure types; enforced by `policy` at creation and at every access.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// How the recipient proves who they are (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Anyone holding the link.
    Link,
    /// A named person who proves their address with a one-time code sent on open.
    Invitation,
    /// A member of a branded portal.
    Portal,
    /// Partner staff who must sign in through their organisation's identity provider.
    Federated,
}

impl Method {
    /// Does opening need a one-time code sent to the recipient's address? (Federated
    /// recipients prove who they are at their IdP instead.)
    pub fn verifies_email(self) -> bool {
        matches!(self, Method::Invitation | Method::Portal)
    }

    pub const ALL: [Method; 4] = [
        Method::Link,
        Method::Invitation,
        Method::Portal,
        Method::Federated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Link => "link",
            Method::Invitation => "invitation",
            Method::Portal => "portal",
            Method::Federated => "federated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Does the method identify a named, verified individual (not merely a link holder)?
    pub fn verifies_identity(self) -> bool {
        !matches!(self, Method::Link)
    }
}

/// What the recipient may do with the content.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    #[default]
    View,
    /// View and comment.
    Comment,
    /// View, comment, respond and upload a new revision.
    Edit,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::View => "view",
            Permission::Comment => "comment",
            Permission::Edit => "edit",
        }
    }

    /// Whether the guest may send a response (a decision, a comment): "comment" and up.
    pub fn may_respond(self) -> bool {
        self >= Permission::Comment
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Permission::View, Permission::Comment, Permission::Edit]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// What the share covers.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One revision of one document.
    #[default]
    SingleRevision,
    /// A curated set of documents.
    DocumentPackage,
    /// All documents of a work package.
    WorkPackage,
    /// One data record with its history, links and documents, less what is withheld.
    Record,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::SingleRevision,
        Scope::DocumentPackage,
        Scope::WorkPackage,
        Scope::Record,
    ];
}

/// FIRST Traffic Light Protocol 2.0 markings, least to most restrictive.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Tlp {
    #[serde(rename = "CLEAR")]
    Clear,
    #[serde(rename = "GREEN")]
    Green,
    #[default]
    #[serde(rename = "AMBER")]
    Amber,
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
    #[serde(rename = "RED")]
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }

    /// The marking as FIRST writes it: `TLP:AMBER+STRICT`.
    pub fn label(self) -> String {
        format!("TLP:{}", self.as_str())
    }

    /// Accepts `AMBER`, `tlp:amber`, `TLP:AMBER+STRICT`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_uppercase();
        let s = s.strip_prefix("TLP:").unwrap_or(&s);
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Per-share settings beyond the columns the active shares table sorts and filters on.
/// Stored as JSON; unknown fields are rejected so a typo cannot silently loosen a share.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ShareSettings {
    pub permission: Permission,
    pub allow_download: bool,
    pub allow_print: bool,
    pub watermark: bool,
    /// Shown in the invitation and at the top of the portal (plain text).
    pub instructions: String,
    pub scope: Scope,
    /// Opens are allowed only from these networks (empty = anywhere).
    #[schema(value_type = Vec<String>, example = json!(["10.1.0.0/16"]))]
    pub allowed_networks: Vec<IpNet>,
    /// ISO 3166-1 alpha-2 codes (empty = anywhere).
    pub allowed_countries: Vec<String>,
    /// After the first device, each new device waits for the owner's approval.
    pub approved_devices_only: bool,
    pub notify_recipient_on_revoke: bool,
    pub notify_owner_on_first_open: bool,
    pub notify_owner_on_response: bool,
    /// Remind the recipient this many days before the expiry date (0 = no reminder).
    pub expiry_reminder_days: u32,
    /// Federated shares: the partner whose IdP the guest signs in with (found from the
    /// recipient's email domain at creation) and whom it admits.
    pub federation: Option<FederationRule>,
    /// Package and work-package shares: which package or project was shared, as it was
    /// named then (set by creation, never by the caller).
    pub bundle: Option<BundleRef>,
}

/// The package (document package scope) or project (work package scope) a share was
/// made from. Its documents are fixed in `share_documents` at creation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BundleRef {
    pub id: String,
    pub name: String,
    pub documents: usize,
}

/// Who may open a federated share after signing in at the partner's IdP.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FederationRule {
    pub partner_id: String,
    /// Any partner user whose asserted email is in one of the partner's domains, instead
    /// of only the named recipient.
    pub any_partner_user: bool,
}

impl ShareSettings {
    /// Is `ip` inside the allowed networks? An unknown address passes only when no
    /// network rule is set.
    pub fn network_allows(&self, ip: Option<IpAddr>) -> bool {
        if self.allowed_networks.is_empty() {
            return true;
        }
        let Some(ip) = ip.map(canonical_ip) else {
            return false;
        };
        self.allowed_networks.iter().any(|n| n.contains(&ip))
    }

    /// Is `country` (from GeoIP, if known) allowed? Unknown fails closed when a rule is set.
    pub fn country_allows(&self, country: Option<&str>) -> bool {
        if self.allowed_countries.is_empty() {
            return true;
        }
        country.is_some_and(|c| {
            self.allowed_countries
                .iter()
                .any(|a| a.eq_ignore_ascii_case(c))
        })
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are compared as the IPv4 address.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Parses a CIDR list entry; a bare address means just that host.
pub fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_order_and_names() {
        assert!(
            Tlp::Clear < Tlp::Green && Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red
        );
        assert_eq!(Tlp::parse("tlp:amber+strict"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("RED"), Some(Tlp::Red));
        assert_eq!(Tlp::parse("WHITE"), None);
        assert_eq!(Tlp::AmberStrict.label(), "TLP:AMBER+STRICT");
        assert_eq!(
            serde_json::to_string(&Tlp::AmberStrict).unwrap(),
            "\"AMBER+STRICT\""
        );
    }

    #[test]
    fn networks_v4_v6_and_mapped() {
        let s = ShareSettings {
            allowed_networks: ["10.1.0.0/16", "2001:db8::/32", "192.0.2.7"]
                .iter()
                .map(|t| parse_network(t).unwrap())
                .collect(),
            ..Default::default()
        };
        let ip = |t: &str| Some(t.parse::<IpAddr>().unwrap());
        assert!(s.network_allows(ip("10.1.200.3")));
        assert!(s.network_allows(ip("::ffff:10.1.0.1")));
        assert!(s.network_allows(ip("2001:db8:1::5")));
        assert!(s.network_allows(ip("192.0.2.7")));
        assert!(!s.network_allows(ip("192.0.2.8")));
        assert!(!s.network_allows(ip("10.2.0.1")));
        assert!(!s.network_allows(None));
        assert!(ShareSettings::default().network_allows(None));
        assert_eq!(
            parse_network("10.1.2.3/16").unwrap().to_string(),
            "10.1.0.0/16"
        );
        for bad in ["10.0.0.0/33", "example.org", "", "10.0.0.1; DROP TABLE"] {
            assert!(parse_network(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn countries_fail_closed() {
        let s = ShareSettings {
            allowed_countries: vec!["DE".into()],
            ..Default::default()
        };
        assert!(s.country_allows(Some("de")));
        assert!(!s.country_allows(Some("US")));
        assert!(!s.country_allows(None));
    }

    #[test]
    fn settings_reject_unknown_fields() {
        assert!(serde_json::from_str::<ShareSettings>(r#"{"allow_downlaod": true}"#).is_err());
        let s: ShareSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, ShareSettings::default());
    }
}
