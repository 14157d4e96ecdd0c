//! A portal's structure: its members' roles and the sections its shared items are arranged
//! in.

use serde::{Deserialize, Serialize};

use super::controls::Scope;
use super::share::Share;

/// What a portal member may do there. Stored as text in `portal_members.role`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Sees what is shared with them.
    #[default]
    Member,
    /// Also adds members from the portal's member domains (never as managers, never for
    /// longer than their own membership).
    Manager,
}

impl MemberRole {
    pub const ALL: [MemberRole; 2] = [MemberRole::Member, MemberRole::Manager];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl TryFrom<String> for MemberRole {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown portal member role {s:?}"))
    }
}

/// Why a membership ended. Stored as text in `portal_members.ended_reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipEnd {
    /// An administrator removed the member.
    Removed,
    /// The membership reached its expiry.
    Expired,
}

impl MembershipEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipEnd::Removed => "removed",
            MembershipEnd::Expired => "expired",
        }
    }
}

/// What kind of item a section holds. Stored as text in `portal_section_items.item_kind`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = PortalItemKind)]
pub enum ItemKind {
    Document,
    /// A document package.
    Package,
    /// A work package (every document of a project).
    Project,
}

impl ItemKind {
    pub const ALL: [ItemKind; 3] = [ItemKind::Document, ItemKind::Package, ItemKind::Project];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Document => "document",
            ItemKind::Package => "package",
            ItemKind::Project => "project",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl TryFrom<String> for ItemKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown item kind {s:?}"))
    }
}

/// An item shared in a portal, as sections arrange it: what a share was made from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub id: String,
}

impl Share {
    /// The item this share was made from, as portal sections arrange items: its package
    /// or project, else its document. `None` for a record share (sections do not hold
    /// records; its guest sees it outside them).
    pub fn item(&self) -> Option<ItemRef> {
        Some(match (&self.settings.bundle, self.settings.scope) {
            (Some(b), Scope::WorkPackage) => ItemRef {
                kind: ItemKind::Project,
                id: b.id.clone(),
            },
            (Some(b), _) => ItemRef {
                kind: ItemKind::Package,
                id: b.id.clone(),
            },
            (None, _) => ItemRef {
                kind: ItemKind::Document,
                id: self.document_id.clone()?,
            },
        })
    }
}

/// Which way a section or an item moves in its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    Up,
    Down,
}

impl Move {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "up" => Some(Move::Up),
            "down" => Some(Move::Down),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip() {
        for r in MemberRole::ALL {
            assert_eq!(MemberRole::parse(r.as_str()), Some(r));
        }
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(MemberRole::parse("owner"), None);
        assert_eq!(ItemKind::parse("Document"), None);
        assert_eq!(Move::parse("sideways"), None);
    }
}
