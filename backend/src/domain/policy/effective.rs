//! The policy that binds a project's shares: the organisation's and the project's override
//! merged field by field, each field the stricter of the two.
//!
//! Invariant: a project override is never silently discarded. Saving one that loosens a
//! field is refused ([`Policy::tightened_by`]); but when the organisation tightens its
//! policy later, a field of a saved override may end up looser than the new organisation
//! value. That field then follows the organisation while every other field of the
//! override still applies — the result is never looser than either side, in any field.

use super::{count_within, Policy, PolicyOverride, RevokedLink};

/// The organisation's list, keeping only what the project's (if it has one) also allows.
fn intersect<T: Clone + PartialEq>(org: &[T], project: Option<&Vec<T>>) -> Vec<T> {
    match project {
        Some(p) => org.iter().filter(|x| p.contains(x)).cloned().collect(),
        None => org.to_vec(),
    }
}

/// The stricter of two access-count limits (0 = unlimited).
fn stricter_count(a: i64, b: i64) -> i64 {
    if count_within(a, b) {
        a
    } else {
        b
    }
}

impl Policy {
    /// The organisation's policy (`self`) merged with a project's override, field by field,
    /// each the stricter of the two. Never fails; see the module's invariant.
    pub fn effective_with(&self, o: &PolicyOverride) -> Policy {
        let max_expiry_days = o
            .max_expiry_days
            .map_or(self.max_expiry_days, |v| v.min(self.max_expiry_days));
        let default_expiry_days = o
            .default_expiry_days
            .unwrap_or(self.default_expiry_days)
            .clamp(1, max_expiry_days);
        let both = |org: bool, project: Option<bool>| org && project.unwrap_or(org);
        Policy {
            default_expiry_days,
            max_expiry_days,
            allow_custom_expiry: both(self.allow_custom_expiry, o.allow_custom_expiry),
            default_max_access_count: o
                .default_max_access_count
                .map_or(self.default_max_access_count, |v| {
                    stricter_count(v, self.default_max_access_count)
                }),
            allow_controller_override: both(
                self.allow_controller_override,
                o.allow_controller_override,
            ),
            allowed_scopes: intersect(&self.allowed_scopes, o.allowed_scopes.as_ref()),
            require_acknowledgement: self.require_acknowledgement
                || o.require_acknowledgement.unwrap_or(false),
            allowed_methods: intersect(&self.allowed_methods, o.allowed_methods.as_ref()),
            tlp_ceiling: o
                .tlp_ceiling
                .map_or(self.tlp_ceiling, |v| v.min(self.tlp_ceiling)),
            revoked_link: match (self.revoked_link, o.revoked_link) {
                (RevokedLink::NotFound, _) | (_, Some(RevokedLink::NotFound)) => {
                    RevokedLink::NotFound
                }
                _ => RevokedLink::Message,
            },
            // An organisation-wide choice: projects do not override it.
            guests_see_staff_names: self.guests_see_staff_names,
            // Secrets belong to no project: the organisation's rules alone.
            secrets: self.secrets.clone(),
            // The watermark's look is the organisation's.
            viewer: self.viewer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::controls::{Method, Scope, Tlp};

    /// Security review, finding 3: tightening the organisation's policy used to drop a
    /// project's whole override once any one of its fields was looser than the new
    /// organisation value. Each row: the organisation's policy after tightening, a saved
    /// override, and the effective value of the field under test.
    #[test]
    fn each_field_is_the_stricter_of_org_and_project() {
        let org = Policy {
            max_expiry_days: 30,
            default_expiry_days: 14,
            tlp_ceiling: Tlp::Amber,
            default_max_access_count: 5,
            ..Policy::default()
        };
        // Saved when the organisation allowed 365 days: max_expiry 90 is now looser than
        // the organisation's 30, but its other fields are stricter and must survive.
        let project = PolicyOverride {
            max_expiry_days: Some(90),
            default_expiry_days: Some(7),
            allow_custom_expiry: Some(false),
            default_max_access_count: Some(3),
            allow_controller_override: Some(false),
            allowed_scopes: Some(vec![Scope::SingleRevision]),
            require_acknowledgement: Some(true),
            allowed_methods: Some(vec![Method::Invitation, Method::Federated]),
            tlp_ceiling: Some(Tlp::Green),
            revoked_link: Some(RevokedLink::NotFound),
        };
        let e = org.effective_with(&project);
        assert_eq!(e.max_expiry_days, 30, "the organisation's tighter ceiling");
        assert_eq!(e.default_expiry_days, 7);
        assert!(!e.allow_custom_expiry);
        assert_eq!(e.default_max_access_count, 3);
        assert!(!e.allow_controller_override);
        assert_eq!(e.allowed_scopes, vec![Scope::SingleRevision]);
        assert!(e.require_acknowledgement);
        assert_eq!(
            e.allowed_methods,
            vec![Method::Invitation, Method::Federated]
        );
        assert_eq!(e.tlp_ceiling, Tlp::Green);
        assert_eq!(e.revoked_link, RevokedLink::NotFound);
        // The old behaviour: the whole override gone.
        assert!(org.tightened_by(&project).is_err());
    }

    #[test]
    fn field_table_either_side_may_be_stricter() {
        type Case = (
            &'static str,
            Policy,
            PolicyOverride,
            fn(&Policy) -> String,
            &'static str,
        );
        let org = Policy::default;
        let cases: Vec<Case> = vec![
            (
                "max expiry: project stricter",
                Policy {
                    max_expiry_days: 90,
                    default_expiry_days: 14,
                    ..org()
                },
                PolicyOverride {
                    max_expiry_days: Some(10),
                    ..Default::default()
                },
                |p| format!("{}/{}", p.max_expiry_days, p.default_expiry_days),
                "10/10",
            ),
            (
                "max expiry: org stricter",
                Policy {
                    max_expiry_days: 10,
                    default_expiry_days: 7,
                    ..org()
                },
                PolicyOverride {
                    max_expiry_days: Some(90),
                    default_expiry_days: Some(60),
                    ..Default::default()
                },
                |p| format!("{}/{}", p.max_expiry_days, p.default_expiry_days),
                "10/10",
            ),
            (
                "count: unlimited org, project 3",
                Policy {
                    default_max_access_count: 0,
                    ..org()
                },
                PolicyOverride {
                    default_max_access_count: Some(3),
                    ..Default::default()
                },
                |p| p.default_max_access_count.to_string(),
                "3",
            ),
            (
                "count: org 2, project unlimited",
                Policy {
                    default_max_access_count: 2,
                    ..org()
                },
                PolicyOverride {
                    default_max_access_count: Some(0),
                    ..Default::default()
                },
                |p| p.default_max_access_count.to_string(),
                "2",
            ),
            (
                "count: org 2, project 5",
                Policy {
                    default_max_access_count: 2,
                    ..org()
                },
                PolicyOverride {
                    default_max_access_count: Some(5),
                    ..Default::default()
                },
                |p| p.default_max_access_count.to_string(),
                "2",
            ),
            (
                "custom expiry: org forbids, project allows",
                Policy {
                    allow_custom_expiry: false,
                    ..org()
                },
                PolicyOverride {
                    allow_custom_expiry: Some(true),
                    ..Default::default()
                },
                |p| p.allow_custom_expiry.to_string(),
                "false",
            ),
            (
                "acknowledgement: org requires, project not",
                Policy {
                    require_acknowledgement: true,
                    ..org()
                },
                PolicyOverride {
                    require_acknowledgement: Some(false),
                    ..Default::default()
                },
                |p| p.require_acknowledgement.to_string(),
                "true",
            ),
            (
                "methods: intersection",
                Policy {
                    allowed_methods: vec![Method::Link, Method::Invitation],
                    ..org()
                },
                PolicyOverride {
                    allowed_methods: Some(vec![Method::Invitation, Method::Portal]),
                    ..Default::default()
                },
                |p| format!("{:?}", p.allowed_methods),
                "[Invitation]",
            ),
            (
                "tlp: org stricter",
                Policy {
                    tlp_ceiling: Tlp::Green,
                    ..org()
                },
                PolicyOverride {
                    tlp_ceiling: Some(Tlp::Red),
                    ..Default::default()
                },
                |p| format!("{:?}", p.tlp_ceiling),
                "Green",
            ),
            (
                "revoked link: org hides",
                Policy {
                    revoked_link: RevokedLink::NotFound,
                    ..org()
                },
                PolicyOverride {
                    revoked_link: Some(RevokedLink::Message),
                    ..Default::default()
                },
                |p| format!("{:?}", p.revoked_link),
                "NotFound",
            ),
            (
                "no override: the organisation's",
                Policy {
                    max_expiry_days: 30,
                    ..org()
                },
                PolicyOverride::default(),
                |p| p.max_expiry_days.to_string(),
                "30",
            ),
        ];
        for (name, org, o, field, want) in cases {
            assert_eq!(field(&org.effective_with(&o)), want, "{name}");
        }
        // Where the override fits, the merge and the strict check agree.
        let org = Policy::default();
        let o = PolicyOverride {
            max_expiry_days: Some(30),
            tlp_ceiling: Some(Tlp::Amber),
            ..Default::default()
        };
        assert_eq!(org.effective_with(&o), org.tightened_by(&o).unwrap());
    }
}
