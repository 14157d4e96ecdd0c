//! Attribute mapping: which SAML attributes or OIDC claims give the email, display name,
//! organisation and groups of the person who signed in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FederationError;

/// Names to look for, in order; the first present wins (groups collect every value).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AttributeMap {
    pub email: Vec<String>,
    pub display_name: Vec<String>,
    pub organisation: Vec<String>,
    pub groups: Vec<String>,
}

impl Default for AttributeMap {
    /// Common names across SAML (eduPerson/LDAP OIDs, ADFS claim URIs) and OIDC claims.
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect();
        Self {
            email: v(&[
                "email",
                "mail",
                "urn:oid:0.9.2342.19200300.100.1.3",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            ]),
            display_name: v(&[
                "name",
                "displayName",
                "urn:oid:2.16.840.1.113730.3.1.241",
                "cn",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            ]),
            organisation: v(&["org", "organization", "o", "urn:oid:2.5.4.10"]),
            groups: v(&[
                "groups",
                "memberOf",
                "eduPersonAffiliation",
                "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
                "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
            ]),
        }
    }
}

/// What an IdP asserted, verified, after mapping. Serialised into the sign-in row and
/// shown by "test connection".
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    /// Stable id at the IdP (SAML NameID, OIDC `sub`).
    pub subject: String,
    /// Lower-cased.
    pub email: String,
    pub display_name: String,
    pub organisation: Option<String>,
    pub groups: Vec<String>,
    /// Every attribute or claim as asserted (for "test connection" and the audit).
    pub attributes: BTreeMap<String, Vec<String>>,
}

impl AttributeMap {
    /// Maps asserted attributes to an identity. `email_fallback` is a value the protocol
    /// itself carries (a SAML NameID in emailAddress format). No email → refused.
    pub fn identity(
        &self,
        subject: String,
        attributes: BTreeMap<String, Vec<String>>,
        email_fallback: Option<String>,
    ) -> Result<Identity, FederationError> {
        let first = |names: &[String]| {
            names.iter().find_map(|n| {
                attributes
                    .get(n)
                    .and_then(|vs| vs.iter().find(|v| !v.trim().is_empty()))
                    .map(|v| v.trim().to_owned())
            })
        };
        let email = first(&self.email)
            .or(email_fallback)
            .map(|e| e.to_ascii_lowercase())
            .filter(|e| super::email_domain(e).is_some())
            .ok_or(FederationError::NoEmail)?;
        let display_name = first(&self.display_name).unwrap_or_else(|| email.clone());
        let mut groups: Vec<String> = self
            .groups
            .iter()
            .filter_map(|n| attributes.get(n))
            .flatten()
            .filter(|g| !g.trim().is_empty())
            .cloned()
            .collect();
        groups.sort();
        groups.dedup();
        Ok(Identity {
            subject,
            email,
            display_name,
            organisation: first(&self.organisation),
            groups,
            attributes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, vs)| {
                (
                    (*k).to_owned(),
                    vs.iter().map(|v| (*v).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn maps_by_first_present_name_and_collects_groups() {
        let map = AttributeMap::default();
        let id = map
            .identity(
                "s-1".into(),
                attrs(&[
                    ("mail", &["Ann@Partner.Example"]),
                    ("displayName", &["Ann Example"]),
                    ("memberOf", &["auditors", "staff"]),
                    ("groups", &["staff"]),
                ]),
                None,
            )
            .unwrap();
        assert_eq!(id.email, "ann@partner.example");
        assert_eq!(id.display_name, "Ann Example");
        assert_eq!(id.groups, vec!["auditors", "staff"]);
        assert_eq!(id.organisation, None);
    }

    #[test]
    fn falls_back_to_the_protocol_email_and_refuses_without_one() {
        let map = AttributeMap::default();
        let id = map
            .identity("s".into(), attrs(&[]), Some("bob@partner.example".into()))
            .unwrap();
        assert_eq!(id.display_name, "bob@partner.example");
        let err = map
            .identity("s".into(), attrs(&[("mail", &["not-an-email"])]), None)
            .unwrap_err();
        assert_eq!(err.code(), "no_email");
    }
}
