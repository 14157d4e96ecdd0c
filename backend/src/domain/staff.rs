//! Internal staff roles and the one role matrix: what each role may do ([`Role::permits`]),
//! narrowed by an API key's scope ([`KeyScope`]). Services ask
//! `services::authorize(who, Action::…)`; nothing else decides a role question.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: staff, keys, policy, portals, partner IdPs, reviews, all shares.
    Admin,
    /// Creates and manages shares of the content they can see; sees every share of the
    /// organisation and may revoke any; changes only the shares they created.
    Controller,
    /// Reads everything the console shows, including the audit log and its exports.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Controller, Role::Auditor];

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

    /// How the console names the role.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Controller => "Document controller",
            Role::Auditor => "Auditor",
        }
    }

    /// The role matrix. Every authorization decision in the services comes from here.
    pub fn permits(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Controller => matches!(
                action,
                ViewShares
                    | CreateShare
                    | ManageOwnShare
                    | RevokeAnyShare
                    | ViewDocuments
                    | UploadDocument
                    | ManagePackages
                    | ViewRecords
                    | ManageRecords
                    | ViewPortals
                    | ViewPolicy
                    | ViewApiKeys
                    | ManageOwnApiKeys
                    | ReviewShares
                    | Comment
                    | ViewIntelligence
                    | FlagIntelligence
            ),
            Role::Auditor => matches!(
                action,
                ViewShares
                    | ViewDocuments
                    | ViewRecords
                    | ViewPortals
                    | ViewPolicy
                    | ReadAudit
                    | ViewApiKeys
                    | ManageOwnApiKeys
                    | ViewIntelligence
            ),
        }
    }

    /// Whether a key of this role may be given the `admin` scope: only roles that may
    /// write anything (an auditor's keys are read-only).
    pub fn may_hold_write_keys(self) -> bool {
        Action::ALL
            .iter()
            .any(|a| a.needs_admin_scope() && *a != Action::ManageOwnApiKeys && self.permits(*a))
    }
}

/// Everything staff do that a role decides. Reads are named `View…`/`Read…`; every other
/// action writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The active shares table, a share's detail, devices, responses.
    ViewShares,
    CreateShare,
    /// Change, copy the link of, re-send or decide devices of a share one created.
    ManageOwnShare,
    /// The same on a share someone else created.
    ManageAnyShare,
    /// Revoke any share of the organisation.
    RevokeAnyShare,
    /// The document register and packages.
    ViewDocuments,
    UploadDocument,
    ManagePackages,
    /// Data records: their fields, history, links and documents, unredacted.
    ViewRecords,
    /// Create, import and edit records, and mark what guests may not see of them.
    ManageRecords,
    /// Portals, their sections, domains, members and analytics.
    ViewPortals,
    ManagePortals,
    /// The sharing policy, projects and legal terms.
    ViewPolicy,
    ManagePolicy,
    /// Partner organisations and identity providers (reading included: their
    /// configuration is the administrators' business).
    ManagePartners,
    /// The audit log, its exports and its verification.
    ReadAudit,
    /// The mail outbox (addresses and subjects of every mail).
    ReadOutbox,
    /// Invite staff, change roles, disable, reset passwords.
    ManageStaff,
    /// List one's own API keys (administrators: everyone's).
    ViewApiKeys,
    /// Create and revoke one's own API keys.
    ManageOwnApiKeys,
    /// List and revoke every API key of the organisation.
    ManageAllApiKeys,
    RotateSigningKeys,
    /// Decide the shares of an access review that are in one's queue.
    ReviewShares,
    /// Start and close access review campaigns, name the controllers of projects.
    ManageReviews,
    /// Write comments on documents to their guests or to staff; edit and delete one's own.
    Comment,
    /// Delete anyone's comment; open an item-wide thread to named shares.
    ModerateComments,
    /// 28 CFR Part 23: which items are criminal intelligence, the review queue and the
    /// dissemination record.
    ViewIntelligence,
    /// Flag a document or record as criminal intelligence, or change its flags.
    FlagIntelligence,
    /// Decide a review: retain an item five more years, or purge it.
    ReviewIntelligence,
}

impl Action {
    pub const ALL: [Action; 29] = [
        Action::ViewShares,
        Action::CreateShare,
        Action::ManageOwnShare,
        Action::ManageAnyShare,
        Action::RevokeAnyShare,
        Action::ViewDocuments,
        Action::UploadDocument,
        Action::ManagePackages,
        Action::ViewRecords,
        Action::ManageRecords,
        Action::ViewPortals,
        Action::ManagePortals,
        Action::ViewPolicy,
        Action::ManagePolicy,
        Action::ManagePartners,
        Action::ReadAudit,
        Action::ReadOutbox,
        Action::ManageStaff,
        Action::ViewApiKeys,
        Action::ManageOwnApiKeys,
        Action::ManageAllApiKeys,
        Action::RotateSigningKeys,
        Action::ReviewShares,
        Action::ManageReviews,
        Action::Comment,
        Action::ModerateComments,
        Action::ViewIntelligence,
        Action::FlagIntelligence,
        Action::ReviewIntelligence,
    ];

    /// Whether a key needs the `admin` scope for the action (a `read` key may do only the
    /// others): every action that changes anything, and reading the outbox, which on a
    /// server without SMTP holds the mails themselves — share links, codes, set-password
    /// links — that would turn a read-only key into access.
    pub fn needs_admin_scope(self) -> bool {
        !matches!(
            self,
            Action::ViewShares
                | Action::ViewDocuments
                | Action::ViewRecords
                | Action::ViewPortals
                | Action::ViewPolicy
                | Action::ReadAudit
                | Action::ViewApiKeys
                | Action::ViewIntelligence
        )
    }

    /// What a refusal says.
    pub fn refusal(self) -> &'static str {
        match self {
            Action::ViewShares => "Your role may not see shares.",
            Action::CreateShare => "Your role may not create shares.",
            Action::ManageOwnShare => "Your role may not change shares.",
            Action::ManageAnyShare => "Your role may not change shares created by someone else.",
            Action::RevokeAnyShare => "Your role may not revoke shares.",
            Action::ViewDocuments => "Your role may not see documents.",
            Action::UploadDocument => "Your role may not upload documents.",
            Action::ManagePackages => "Your role may not change document packages.",
            Action::ViewRecords => "Your role may not see data records.",
            Action::ManageRecords => "Your role may not change data records.",
            Action::ViewPortals => "Your role may not see portals.",
            Action::ManagePortals => "Your role may not change portals and their members.",
            Action::ViewPolicy => "Your role may not see the sharing policy.",
            Action::ManagePolicy => {
                "Your role may not change the sharing policy, projects or legal terms."
            }
            Action::ManagePartners => "Your role may not manage partners and identity providers.",
            Action::ReadAudit => "Your role may not read the audit log.",
            Action::ReadOutbox => "Your role may not read the mail outbox.",
            Action::ManageStaff => "Your role may not manage staff accounts.",
            Action::ViewApiKeys => "Your role may not see API keys.",
            Action::ManageOwnApiKeys => "Your role may not create API keys.",
            Action::ManageAllApiKeys => "Your role may not manage other people's API keys.",
            Action::RotateSigningKeys => "Your role may not rotate signing keys.",
            Action::ReviewShares => "Your role may not decide access reviews.",
            Action::ManageReviews => "Your role may not start or close access reviews.",
            Action::Comment => "Your role may not write comments.",
            Action::ModerateComments => {
                "Your role may not moderate comments or open a thread to several shares."
            }
            Action::ViewIntelligence => "Your role may not see criminal intelligence records.",
            Action::FlagIntelligence => "Your role may not flag criminal intelligence.",
            Action::ReviewIntelligence => {
                "Your role may not retain or purge criminal intelligence at review."
            }
        }
    }
}

/// How a staff account signs in to the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignIn {
    /// A password the person sets through a one-time link (invitation or reset).
    Password,
    /// Only through the organisation's own identity provider; no password exists.
    Idp,
}

impl SignIn {
    pub fn as_str(self) -> &'static str {
        match self {
            SignIn::Password => "password",
            SignIn::Idp => "idp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "password" => Some(SignIn::Password),
            "idp" => Some(SignIn::Idp),
            _ => None,
        }
    }
}

/// What an API key may do on behalf of its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyScope {
    /// Only actions that change nothing and reveal no secret
    /// ([`Action::needs_admin_scope`]).
    Read,
    /// Everything the owner's role permits.
    Admin,
}

impl KeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Read => "read",
            KeyScope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(KeyScope::Read),
            "admin" => Some(KeyScope::Admin),
            _ => None,
        }
    }

    pub fn permits(self, action: Action) -> bool {
        self == KeyScope::Admin || !action.needs_admin_scope()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix as a table a reviewer can read: A = admin, C = controller, U = auditor.
    #[test]
    fn the_role_matrix() {
        use Action::*;
        let table: [(Action, &str); 29] = [
            (ViewShares, "ACU"),
            (CreateShare, "AC"),
            (ManageOwnShare, "AC"),
            (ManageAnyShare, "A"),
            (RevokeAnyShare, "AC"),
            (ViewDocuments, "ACU"),
            (UploadDocument, "AC"),
            (ManagePackages, "AC"),
            (ViewRecords, "ACU"),
            (ManageRecords, "AC"),
            (ViewPortals, "ACU"),
            (ManagePortals, "A"),
            (ViewPolicy, "ACU"),
            (ManagePolicy, "A"),
            (ManagePartners, "A"),
            (ReadAudit, "AU"),
            (ReadOutbox, "A"),
            (ManageStaff, "A"),
            (ViewApiKeys, "ACU"),
            (ManageOwnApiKeys, "ACU"),
            (ManageAllApiKeys, "A"),
            (RotateSigningKeys, "A"),
            (ReviewShares, "AC"),
            (ManageReviews, "A"),
            (Comment, "AC"),
            (ModerateComments, "A"),
            (ViewIntelligence, "ACU"),
            (FlagIntelligence, "AC"),
            (ReviewIntelligence, "A"),
        ];
        assert_eq!(table.map(|(a, _)| a), Action::ALL);
        for (action, who) in table {
            for (role, letter) in [
                (Role::Admin, 'A'),
                (Role::Controller, 'C'),
                (Role::Auditor, 'U'),
            ] {
                assert_eq!(
                    role.permits(action),
                    who.contains(letter),
                    "{role:?} {action:?}"
                );
            }
        }
        assert!(Role::Admin.may_hold_write_keys());
        assert!(Role::Controller.may_hold_write_keys());
        assert!(!Role::Auditor.may_hold_write_keys());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_read_key_only_reads() {
        for action in Action::ALL {
            assert!(KeyScope::Admin.permits(action));
            assert_eq!(
                KeyScope::Read.permits(action),
                !action.needs_admin_scope(),
                "{action:?}"
            );
        }
        assert_eq!(KeyScope::parse("read"), Some(KeyScope::Read));
        assert_eq!(KeyScope::parse("write"), None);
        // A server without SMTP keeps its mails, links and codes included, in the outbox.
        assert!(!KeyScope::Read.permits(Action::ReadOutbox));
    }
}
