//! Internal staff roles and what each may do.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Policy, portals, partner IdPs, reviews, all shares.
    Admin,
    /// Creates and manages shares of content they can see.
    Controller,
    /// Read-only audit and exports.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Controller => "controller",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "controller" => Some(Role::Controller),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    pub fn can_manage_content(self) -> bool {
        matches!(self, Role::Admin | Role::Controller)
    }

    pub fn can_read_audit(self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }

    /// Sees every share in the organisation (controllers see their own).
    pub fn sees_all_shares(self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_table() {
        let table = [
            (Role::Admin, true, true, true),
            (Role::Controller, true, false, false),
            (Role::Auditor, false, true, true),
        ];
        for (role, manage, audit, all) in table {
            assert_eq!(role.can_manage_content(), manage, "{role:?}");
            assert_eq!(role.can_read_audit(), audit, "{role:?}");
            assert_eq!(role.sees_all_shares(), all, "{role:?}");
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
