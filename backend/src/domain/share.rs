//! A share and the rules deciding whether it may be opened now.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::controls::{Method, ShareSettings, Tlp};
use crate::crypto::KdfHash;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareStatus {
    Active,
    /// Past its expiry date or its access count is used up.
    Expired,
    Revoked,
}

impl ShareStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareStatus::Active => "active",
            ShareStatus::Expired => "expired",
            ShareStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(ShareStatus::Active),
            "expired" => Some(ShareStatus::Expired),
            "revoked" => Some(ShareStatus::Revoked),
            _ => None,
        }
    }
}

/// Where a browser bound to a share stands; stored as text in `share_devices.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Passed the checks (or approved by the owner): re-opens without a secret.
    Approved,
    /// "Approved devices only": waits for the owner's decision.
    Pending,
    /// Refused by the owner: cut off at its next request.
    Rejected,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Approved => "approved",
            DeviceStatus::Pending => "pending",
            DeviceStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(DeviceStatus::Approved),
            "pending" => Some(DeviceStatus::Pending),
            "rejected" => Some(DeviceStatus::Rejected),
            _ => None,
        }
    }
}

impl TryFrom<String> for DeviceStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown device status {s:?}"))
    }
}

/// Why an open or a portal request was refused. The guest sees [`Denial::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Denial {
    UnknownToken,
    Revoked,
    Expired,
    AccessCountExceeded,
    /// Network, country or device rules (the guest is not told which).
    NotAllowedFromHere,
    /// The browser is new and the share admits approved devices only.
    DeviceApprovalPending,
    /// The organisation's policy, tightened since the share was made, no longer allows it.
    PolicyForbids,
    PasswordRequired,
    WrongPassword,
    CodeRequired,
    WrongCode,
    /// The share is federated and this browser has not signed in at the partner's IdP.
    FederatedSignInRequired,
    /// The IdP vouched for someone the share does not admit.
    FederatedIdentityMismatch,
    /// A portal access share whose recipient is no longer a member of the portal.
    NotAMember,
    TooManyAttempts,
    AcknowledgementRequired,
    TermsRequired,
    /// A secret viewed as many times as allowed (its ciphertext is deleted).
    SecretGone,
    /// A secret's access code did not prove the key.
    WrongAccessCode,
}

impl Denial {
    pub fn code(self) -> &'static str {
        match self {
            Denial::UnknownToken => "unknown_token",
            Denial::Revoked => "share_revoked",
            Denial::Expired => "share_expired",
            Denial::AccessCountExceeded => "access_count_exceeded",
            Denial::NotAllowedFromHere => "not_allowed_from_here",
            Denial::DeviceApprovalPending => "device_approval_pending",
            Denial::PolicyForbids => "policy_forbids",
            Denial::PasswordRequired => "password_required",
            Denial::WrongPassword => "wrong_password",
            Denial::CodeRequired => "code_required",
            Denial::WrongCode => "wrong_code",
            Denial::FederatedSignInRequired => "federated_sign_in_required",
            Denial::FederatedIdentityMismatch => "federated_identity_mismatch",
            Denial::NotAMember => "not_a_member",
            Denial::TooManyAttempts => "too_many_attempts",
            Denial::AcknowledgementRequired => "acknowledgement_required",
            Denial::TermsRequired => "terms_required",
            Denial::SecretGone => "secret_gone",
            Denial::WrongAccessCode => "wrong_access_code",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Denial::UnknownToken => "This link is not valid.",
            Denial::Revoked => "This link has been revoked.",
            Denial::Expired => "This link has expired.",
            Denial::AccessCountExceeded => {
                "This link's access count exceeded: it has been opened as many times as allowed."
            }
            Denial::NotAllowedFromHere => "Access to this link is not allowed from here.",
            Denial::DeviceApprovalPending => {
                "This browser is waiting for the sender's approval. Try again once they have approved it."
            }
            Denial::PolicyForbids => "This link is no longer allowed by the sender's sharing policy.",
            Denial::PasswordRequired => "This link needs a password.",
            Denial::WrongPassword => "The password is not correct.",
            Denial::CodeRequired => "Enter the verification code we sent to your email address.",
            Denial::WrongCode => "The verification code is not correct or has expired.",
            Denial::FederatedSignInRequired => {
                "Sign in with your organisation's account to open this link."
            }
            Denial::FederatedIdentityMismatch => {
                "The account you signed in with is not the one this link was sent to."
            }
            Denial::NotAMember => "You are no longer a member of the portal this link belongs to.",
            Denial::TooManyAttempts => "Too many failed attempts. Try again later.",
            Denial::AcknowledgementRequired => {
                "You must accept the acknowledgement before the content is shown."
            }
            Denial::TermsRequired => "You must accept the terms before the content is shown.",
            Denial::SecretGone => {
                "This secret has been viewed as many times as its sender allowed and is deleted."
            }
            Denial::WrongAccessCode => "The access code is not correct.",
        }
    }

    /// Does this denial end the link for good (as opposed to asking for something)?
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Denial::UnknownToken
                | Denial::Revoked
                | Denial::Expired
                | Denial::AccessCountExceeded
                | Denial::PolicyForbids
                | Denial::NotAMember
                | Denial::SecretGone
        )
    }
}

/// A share as stored. `verifier_hash` never leaves the backend.
#[derive(Clone, Debug)]
pub struct Share {
    pub id: String,
    pub org_id: String,
    pub selector: String,
    pub verifier_hash: KdfHash,
    pub method: Method,
    pub tlp: Tlp,
    pub settings: ShareSettings,
    /// Set when the share has a password; never leaves the backend.
    pub password_hash: Option<KdfHash>,
    /// The legal terms the recipient must accept, if any.
    pub terms_id: Option<String>,
    /// The portal the share belongs to: its brand is what the guest sees, and a portal
    /// access share admits only this portal's active members.
    pub portal_id: String,
    /// The (first) document the share covers; `None` for a record share.
    pub document_id: Option<String>,
    /// The data record the share covers; `None` for a document share. Exactly one of
    /// `document_id` and `record_id` is set.
    pub record_id: Option<String>,
    pub recipient_name: String,
    pub recipient_email: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    /// 0 = unlimited.
    pub max_access_count: i64,
    pub access_count: i64,
    pub require_acknowledgement: bool,
    pub last_activity_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
    pub expired_at: Option<OffsetDateTime>,
}

impl Share {
    /// The id of what the share covers (its first document, or its record): the item its
    /// audit events name.
    pub fn item_id(&self) -> &str {
        self.document_id
            .as_deref()
            .or(self.record_id.as_deref())
            .unwrap_or_default()
    }

    pub fn is_date_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    pub fn is_count_exhausted(&self) -> bool {
        self.max_access_count > 0 && self.access_count >= self.max_access_count
    }

    pub fn status(&self, now: OffsetDateTime) -> ShareStatus {
        if self.revoked_at.is_some() {
            ShareStatus::Revoked
        } else if self.is_date_expired(now) || self.is_count_exhausted() {
            ShareStatus::Expired
        } else {
            ShareStatus::Active
        }
    }

    /// May a *new* open (one that uses up an access) happen now? Checked in this order:
    /// revoked, expired by date, access count used up.
    pub fn check_new_open(&self, now: OffsetDateTime) -> Result<(), Denial> {
        self.check_session(now)?;
        if self.is_count_exhausted() {
            return Err(Denial::AccessCountExceeded);
        }
        Ok(())
    }

    /// May an already-open portal session continue? Revocation and the expiry date end it;
    /// the access count does not (the session *is* one of the counted accesses).
    pub fn check_session(&self, now: OffsetDateTime) -> Result<(), Denial> {
        if self.revoked_at.is_some() {
            return Err(Denial::Revoked);
        }
        if self.is_date_expired(now) {
            return Err(Denial::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
impl Share {
    /// A share with every field set, for unit tests.
    pub(crate) fn sample() -> Share {
        use time::macros::datetime;
        Share {
            id: "s".into(),
            org_id: "o".into(),
            selector: "sel".into(),
            verifier_hash: KdfHash::from_stored(String::new()),
            method: Method::Link,
            tlp: Tlp::Amber,
            settings: ShareSettings::default(),
            portal_id: "p".into(),
            password_hash: None,
            terms_id: None,
            document_id: Some("d".into()),
            record_id: None,
            recipient_name: "R".into(),
            recipient_email: "r@example.org".into(),
            created_by: "u".into(),
            created_at: datetime!(2026-01-01 0:00 UTC),
            expires_at: Some(datetime!(2026-02-01 0:00 UTC)),
            max_access_count: 2,
            access_count: 0,
            require_acknowledgement: true,
            last_activity_at: None,
            revoked_at: None,
            revoked_by: None,
            expired_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn share() -> Share {
        Share::sample()
    }

    #[test]
    fn access_rules_table() {
        let before = datetime!(2026-01-15 0:00 UTC);
        let at_expiry = datetime!(2026-02-01 0:00 UTC);
        let revoked = Some(datetime!(2026-01-10 0:00 UTC));
        // (revoked_at, access_count, max, now) -> (new open, session, status)
        let cases = [
            (None, 0, 2, before, Ok(()), Ok(()), ShareStatus::Active),
            (None, 1, 2, before, Ok(()), Ok(()), ShareStatus::Active),
            (
                None,
                2,
                2,
                before,
                Err(Denial::AccessCountExceeded),
                Ok(()),
                ShareStatus::Expired,
            ),
            (None, 99, 0, before, Ok(()), Ok(()), ShareStatus::Active),
            (
                None,
                0,
                2,
                at_expiry,
                Err(Denial::Expired),
                Err(Denial::Expired),
                ShareStatus::Expired,
            ),
            (
                revoked,
                0,
                2,
                before,
                Err(Denial::Revoked),
                Err(Denial::Revoked),
                ShareStatus::Revoked,
            ),
            // Revocation wins over expiry and count.
            (
                revoked,
                2,
                2,
                at_expiry,
                Err(Denial::Revoked),
                Err(Denial::Revoked),
                ShareStatus::Revoked,
            ),
            // Expiry by date is reported before the count.
            (
                None,
                2,
                2,
                at_expiry,
                Err(Denial::Expired),
                Err(Denial::Expired),
                ShareStatus::Expired,
            ),
        ];
        for (i, (revoked_at, count, max, now, open, session, status)) in
            cases.into_iter().enumerate()
        {
            let s = Share {
                revoked_at,
                access_count: count,
                max_access_count: max,
                ..share()
            };
            assert_eq!(s.check_new_open(now), open, "case {i}");
            assert_eq!(s.check_session(now), session, "case {i}");
            assert_eq!(s.status(now), status, "case {i}");
        }
    }

    #[test]
    fn no_expiry_date_never_expires() {
        let s = Share {
            expires_at: None,
            ..share()
        };
        assert_eq!(
            s.status(datetime!(2999-01-01 0:00 UTC)),
            ShareStatus::Active
        );
    }

    #[test]
    fn denial_messages_are_the_documented_ones() {
        assert_eq!(Denial::Revoked.message(), "This link has been revoked.");
        assert_eq!(Denial::Expired.message(), "This link has expired.");
        assert!(Denial::AccessCountExceeded
            .message()
            .contains("access count exceeded"));
        for s in ["active", "expired", "revoked"] {
            assert_eq!(ShareStatus::parse(s).map(ShareStatus::as_str), Some(s));
        }
    }
}
