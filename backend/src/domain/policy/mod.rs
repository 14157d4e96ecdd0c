//! External Access policy: organisation settings, project overrides that may only tighten
//! them, and the checks applied to a share at creation and again at every access (so a
//! policy tightened later binds existing shares at their next access).

use serde::{Deserialize, Serialize};

use super::controls::{Method, Scope, Tlp};
use super::secrets::SecretPolicy;

mod effective;
mod viewer;

pub use viewer::{ViewerPolicy, DENSITY_RANGE, OPACITY_RANGE};

/// What a revoked link shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevokedLink {
    /// "This link has been revoked."
    #[default]
    Message,
    /// A plain 404, as if the link never existed.
    NotFound,
}

/// An organisation's External Access settings (SPEC §4, §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Expiry applied when the creator names none (7, 14, 30 or any custom value), at most
    /// `max_expiry_days`.
    #[schema(minimum = 1, maximum = 3650)]
    pub default_expiry_days: u32,
    /// No share may live longer than this from its creation.
    #[schema(minimum = 1, maximum = 3650)]
    pub max_expiry_days: u32,
    /// May creators pick an expiry other than the default?
    pub allow_custom_expiry: bool,
    /// Access count applied when the creator names none (0 = unlimited).
    #[schema(minimum = 0, maximum = 100000)]
    pub default_max_access_count: i64,
    /// May controllers (not only admins) change expiry and access count from the defaults?
    pub allow_controller_override: bool,
    /// At least one (a project's effective policy may be left with none).
    pub allowed_scopes: Vec<Scope>,
    /// Every share shows the acknowledgement screen, whatever it says itself.
    pub require_acknowledgement: bool,
    /// At least one (a project's effective policy may be left with none).
    pub allowed_methods: Vec<Method>,
    /// The most restrictive TLP marking that may leave the organisation.
    pub tlp_ceiling: Tlp,
    pub revoked_link: RevokedLink,
    /// Guests see the names of staff who comment; otherwise "Staff of <organisation>".
    pub guests_see_staff_names: bool,
    /// End-to-end encrypted secrets: longest lifetime, when a code is needed, recipients.
    pub secrets: SecretPolicy,
    /// The watermark baked into the pages guests are served.
    pub viewer: ViewerPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            default_expiry_days: 14,
            max_expiry_days: 365,
            allow_custom_expiry: true,
            default_max_access_count: 0,
            allow_controller_override: true,
            allowed_scopes: Scope::ALL.to_vec(),
            require_acknowledgement: false,
            allowed_methods: Method::ALL.to_vec(),
            tlp_ceiling: Tlp::Red,
            revoked_link: RevokedLink::Message,
            guests_see_staff_names: false,
            secrets: SecretPolicy::default(),
            viewer: ViewerPolicy::default(),
        }
    }
}

/// A project's override: each field, when set, must be at least as strict as the
/// organisation's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyOverride {
    /// Days; more than the project's maximum expiry is taken as the maximum.
    #[schema(minimum = 1)]
    pub default_expiry_days: Option<u32>,
    #[schema(minimum = 1, maximum = 3650)]
    pub max_expiry_days: Option<u32>,
    pub allow_custom_expiry: Option<bool>,
    /// 0 = unlimited.
    #[schema(minimum = 0, maximum = 100000)]
    pub default_max_access_count: Option<i64>,
    pub allow_controller_override: Option<bool>,
    #[schema(min_items = 1)]
    pub allowed_scopes: Option<Vec<Scope>>,
    pub require_acknowledgement: Option<bool>,
    #[schema(min_items = 1)]
    pub allowed_methods: Option<Vec<Method>>,
    pub tlp_ceiling: Option<Tlp>,
    pub revoked_link: Option<RevokedLink>,
}

/// A rule broken, named by the field it concerns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyViolation {
    pub field: &'static str,
    pub message: String,
}

fn violation(field: &'static str, message: impl Into<String>) -> PolicyViolation {
    PolicyViolation {
        field,
        message: message.into(),
    }
}

pub const MAX_EXPIRY_DAYS_CEILING: u32 = 3650;
pub const MAX_ACCESS_COUNT: i64 = 100_000;

/// Access counts compare with 0 meaning "unlimited": is `a` at most as generous as `b`?
fn count_within(a: i64, b: i64) -> bool {
    b == 0 || (a != 0 && a <= b)
}

impl Policy {
    /// Whether someone of `role` may set a share's expiry and access count away from the
    /// defaults: those who manage the policy always, others where it lets controllers.
    pub fn lets_override(&self, role: super::Role) -> bool {
        role.permits(super::Action::ManagePolicy) || self.allow_controller_override
    }

    /// Internal consistency: defaults inside the ceilings, lists not empty.
    pub fn validate(&self) -> Result<(), PolicyViolation> {
        if !(1..=MAX_EXPIRY_DAYS_CEILING).contains(&self.max_expiry_days) {
            return Err(violation(
                "max_expiry_days",
                format!("the maximum expiry must be between 1 and {MAX_EXPIRY_DAYS_CEILING} days"),
            ));
        }
        if self.default_expiry_days == 0 || self.default_expiry_days > self.max_expiry_days {
            return Err(violation(
                "default_expiry_days",
                "the default expiry must be at least 1 day and within the maximum expiry",
            ));
        }
        if !(0..=MAX_ACCESS_COUNT).contains(&self.default_max_access_count) {
            return Err(violation(
                "default_max_access_count",
                format!(
                    "the default access count must be between 0 (unlimited) and {MAX_ACCESS_COUNT}"
                ),
            ));
        }
        if self.allowed_scopes.is_empty() {
            return Err(violation("allowed_scopes", "allow at least one scope"));
        }
        if self.allowed_methods.is_empty() {
            return Err(violation(
                "allowed_methods",
                "allow at least one sharing method",
            ));
        }
        self.secrets
            .validate()
            .map_err(|r| violation(r.field, r.message))?;
        self.viewer.validate()?;
        Ok(())
    }

    /// The effective policy of a project: the organisation's, tightened by `o`. An override
    /// that would loosen any setting is refused, naming the setting.
    pub fn tightened_by(&self, o: &PolicyOverride) -> Result<Policy, PolicyViolation> {
        let mut p = self.clone();
        let looser = |field: &'static str| {
            violation(
                field,
                format!("a project may tighten the organisation's {field} but not loosen it"),
            )
        };
        if let Some(v) = o.max_expiry_days {
            if v > self.max_expiry_days {
                return Err(looser("max_expiry_days"));
            }
            p.max_expiry_days = v;
        }
        if let Some(v) = o.default_expiry_days {
            p.default_expiry_days = v;
        }
        p.default_expiry_days = p.default_expiry_days.min(p.max_expiry_days);
        if let Some(v) = o.allow_custom_expiry {
            if v && !self.allow_custom_expiry {
                return Err(looser("allow_custom_expiry"));
            }
            p.allow_custom_expiry = v;
        }
        if let Some(v) = o.default_max_access_count {
            if !count_within(v, self.default_max_access_count) {
                return Err(looser("default_max_access_count"));
            }
            p.default_max_access_count = v;
        }
        if let Some(v) = o.allow_controller_override {
            if v && !self.allow_controller_override {
                return Err(looser("allow_controller_override"));
            }
            p.allow_controller_override = v;
        }
        if let Some(v) = &o.allowed_scopes {
            if v.iter().any(|s| !self.allowed_scopes.contains(s)) {
                return Err(looser("allowed_scopes"));
            }
            p.allowed_scopes = v.clone();
        }
        if let Some(v) = o.require_acknowledgement {
            if !v && self.require_acknowledgement {
                return Err(looser("require_acknowledgement"));
            }
            p.require_acknowledgement = v;
        }
        if let Some(v) = &o.allowed_methods {
            if v.iter().any(|m| !self.allowed_methods.contains(m)) {
                return Err(looser("allowed_methods"));
            }
            p.allowed_methods = v.clone();
        }
        if let Some(v) = o.tlp_ceiling {
            if v > self.tlp_ceiling {
                return Err(looser("tlp_ceiling"));
            }
            p.tlp_ceiling = v;
        }
        if let Some(v) = o.revoked_link {
            // Hiding a revoked link entirely is the stricter choice.
            if v == RevokedLink::Message && self.revoked_link == RevokedLink::NotFound {
                return Err(looser("revoked_link"));
            }
            p.revoked_link = v;
        }
        p.validate()?;
        Ok(p)
    }
}

/// The policy-relevant facts of a share, at creation or at access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareFacts {
    pub method: Method,
    pub scope: Scope,
    pub tlp: Tlp,
    pub allow_download: bool,
    pub watermark: bool,
    /// Creation time and expiry, milliseconds.
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
}

const DAY_MS: i64 = 86_400_000;

impl Policy {
    /// Rules every share must satisfy, at creation and at each access: method, scope,
    /// TLP ceiling and the TLP rules of SPEC §7, and the expiry ceiling.
    pub fn check(&self, s: &ShareFacts) -> Result<(), PolicyViolation> {
        if !self.allowed_methods.contains(&s.method) {
            return Err(violation(
                "method",
                format!(
                    "the sharing policy does not allow {} shares",
                    s.method.as_str()
                ),
            ));
        }
        if !self.allowed_scopes.contains(&s.scope) {
            return Err(violation(
                "scope",
                "the sharing policy does not allow this scope",
            ));
        }
        if s.tlp > self.tlp_ceiling {
            return Err(violation(
                "tlp",
                format!(
                    "{} is above the organisation's ceiling of {}",
                    s.tlp.label(),
                    self.tlp_ceiling.label()
                ),
            ));
        }
        tlp_rules(s)?;
        let ceiling = s.created_at_ms + i64::from(self.max_expiry_days) * DAY_MS;
        match s.expires_at_ms {
            None => Err(violation(
                "expires_at",
                format!(
                    "every share must expire within {} days",
                    self.max_expiry_days
                ),
            )),
            Some(at) if at > ceiling => Err(violation(
                "expires_at",
                format!(
                    "the expiry must be within {} days of creation",
                    self.max_expiry_days
                ),
            )),
            Some(_) => Ok(()),
        }
    }
}

/// FIRST TLP 2.0 as SPEC §7 applies it: RED only to named, verified individuals, never
/// downloadable, always watermarked; AMBER+STRICT never by anonymous link.
pub fn tlp_rules(s: &ShareFacts) -> Result<(), PolicyViolation> {
    match s.tlp {
        Tlp::Red => {
            if !s.method.verifies_identity() {
                return Err(violation(
                    "method",
                    "TLP:RED goes only to named, verified individuals, never by link",
                ));
            }
            if s.allow_download {
                return Err(violation(
                    "allow_download",
                    "TLP:RED content may not be downloaded",
                ));
            }
            if !s.watermark {
                return Err(violation(
                    "watermark",
                    "TLP:RED content is always watermarked",
                ));
            }
        }
        Tlp::AmberStrict if !s.method.verifies_identity() => {
            return Err(violation(
                "method",
                "TLP:AMBER+STRICT stays within the recipient's organisation: it needs a verified recipient, not a link",
            ));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ShareFacts {
        ShareFacts {
            method: Method::Link,
            scope: Scope::SingleRevision,
            tlp: Tlp::Amber,
            allow_download: true,
            watermark: false,
            created_at_ms: 0,
            expires_at_ms: Some(7 * DAY_MS),
        }
    }

    #[test]
    fn defaults_are_valid_and_permissive_within_a_year() {
        let p = Policy::default();
        p.validate().unwrap();
        p.check(&facts()).unwrap();
    }

    #[test]
    fn tlp_rules_table() {
        let red = |method, download, watermark| ShareFacts {
            tlp: Tlp::Red,
            method,
            allow_download: download,
            watermark,
            ..facts()
        };
        let cases = [
            (red(Method::Link, false, true), Some("method")),
            (red(Method::Invitation, true, true), Some("allow_download")),
            (red(Method::Invitation, false, false), Some("watermark")),
            (red(Method::Invitation, false, true), None),
            (red(Method::Portal, false, true), None),
            (
                ShareFacts {
                    tlp: Tlp::AmberStrict,
                    ..facts()
                },
                Some("method"),
            ),
            (
                ShareFacts {
                    tlp: Tlp::AmberStrict,
                    method: Method::Invitation,
                    ..facts()
                },
                None,
            ),
            (
                ShareFacts {
                    tlp: Tlp::Clear,
                    ..facts()
                },
                None,
            ),
            (
                ShareFacts {
                    tlp: Tlp::Green,
                    ..facts()
                },
                None,
            ),
        ];
        for (i, (f, field)) in cases.into_iter().enumerate() {
            assert_eq!(tlp_rules(&f).err().map(|v| v.field), field, "case {i}");
        }
    }

    #[test]
    fn checks_table() {
        let strict = Policy {
            max_expiry_days: 30,
            default_expiry_days: 7,
            allowed_methods: vec![Method::Invitation],
            allowed_scopes: vec![Scope::SingleRevision],
            tlp_ceiling: Tlp::Amber,
            ..Policy::default()
        };
        let inv = ShareFacts {
            method: Method::Invitation,
            ..facts()
        };
        let cases = [
            (inv.clone(), None),
            (facts(), Some("method")),
            (
                ShareFacts {
                    scope: Scope::WorkPackage,
                    ..inv.clone()
                },
                Some("scope"),
            ),
            (
                ShareFacts {
                    tlp: Tlp::AmberStrict,
                    ..inv.clone()
                },
                Some("tlp"),
            ),
            (
                ShareFacts {
                    expires_at_ms: None,
                    ..inv.clone()
                },
                Some("expires_at"),
            ),
            (
                ShareFacts {
                    expires_at_ms: Some(31 * DAY_MS),
                    ..inv.clone()
                },
                Some("expires_at"),
            ),
            (
                ShareFacts {
                    expires_at_ms: Some(30 * DAY_MS),
                    ..inv.clone()
                },
                None,
            ),
        ];
        for (i, (f, field)) in cases.into_iter().enumerate() {
            assert_eq!(strict.check(&f).err().map(|v| v.field), field, "case {i}");
        }
    }

    #[test]
    fn overrides_tighten_but_never_loosen() {
        let org = Policy {
            max_expiry_days: 90,
            default_expiry_days: 30,
            allow_custom_expiry: false,
            default_max_access_count: 10,
            allow_controller_override: false,
            allowed_methods: vec![Method::Link, Method::Invitation],
            require_acknowledgement: true,
            tlp_ceiling: Tlp::AmberStrict,
            revoked_link: RevokedLink::NotFound,
            ..Policy::default()
        };
        let loosen = [
            (
                PolicyOverride {
                    max_expiry_days: Some(91),
                    ..Default::default()
                },
                "max_expiry_days",
            ),
            (
                PolicyOverride {
                    allow_custom_expiry: Some(true),
                    ..Default::default()
                },
                "allow_custom_expiry",
            ),
            (
                PolicyOverride {
                    default_max_access_count: Some(0),
                    ..Default::default()
                },
                "default_max_access_count",
            ),
            (
                PolicyOverride {
                    default_max_access_count: Some(11),
                    ..Default::default()
                },
                "default_max_access_count",
            ),
            (
                PolicyOverride {
                    allow_controller_override: Some(true),
                    ..Default::default()
                },
                "allow_controller_override",
            ),
            (
                PolicyOverride {
                    allowed_methods: Some(vec![Method::Portal]),
                    ..Default::default()
                },
                "allowed_methods",
            ),
            (
                PolicyOverride {
                    require_acknowledgement: Some(false),
                    ..Default::default()
                },
                "require_acknowledgement",
            ),
            (
                PolicyOverride {
                    tlp_ceiling: Some(Tlp::Red),
                    ..Default::default()
                },
                "tlp_ceiling",
            ),
            (
                PolicyOverride {
                    revoked_link: Some(RevokedLink::Message),
                    ..Default::default()
                },
                "revoked_link",
            ),
        ];
        for (o, field) in loosen {
            assert_eq!(org.tightened_by(&o).unwrap_err().field, field);
        }
        let p = org
            .tightened_by(&PolicyOverride {
                max_expiry_days: Some(14),
                default_max_access_count: Some(3),
                allowed_methods: Some(vec![Method::Invitation]),
                tlp_ceiling: Some(Tlp::Green),
                ..Default::default()
            })
            .unwrap();
        assert_eq!((p.max_expiry_days, p.default_expiry_days), (14, 14));
        assert_eq!(p.default_max_access_count, 3);
        assert_eq!(p.allowed_methods, vec![Method::Invitation]);
        assert_eq!(p.tlp_ceiling, Tlp::Green);
        assert_eq!(org.tightened_by(&PolicyOverride::default()).unwrap(), org);
    }

    #[test]
    fn invalid_policies_name_their_field() {
        let bad = [
            (
                Policy {
                    max_expiry_days: 0,
                    ..Policy::default()
                },
                "max_expiry_days",
            ),
            (
                Policy {
                    default_expiry_days: 400,
                    ..Policy::default()
                },
                "default_expiry_days",
            ),
            (
                Policy {
                    default_max_access_count: -1,
                    ..Policy::default()
                },
                "default_max_access_count",
            ),
            (
                Policy {
                    allowed_methods: vec![],
                    ..Policy::default()
                },
                "allowed_methods",
            ),
        ];
        for (p, field) in bad {
            assert_eq!(p.validate().unwrap_err().field, field);
        }
        assert!(serde_json::from_str::<Policy>(r#"{"tlp_celing":"RED"}"#).is_err());
    }
}
