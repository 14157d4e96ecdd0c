//! A share and the rules deciding whether it may be opened now.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::crypto::KdfHash;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// Why an open or a portal request was refused. The guest sees [`Denial::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Denial {
    UnknownToken,
    Revoked,
    Expired,
    AccessCountExceeded,
    AcknowledgementRequired,
}

impl Denial {
    pub fn code(self) -> &'static str {
        match self {
            Denial::UnknownToken => "unknown_token",
            Denial::Revoked => "share_revoked",
            Denial::Expired => "share_expired",
            Denial::AccessCountExceeded => "access_count_exceeded",
            Denial::AcknowledgementRequired => "acknowledgement_required",
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
            Denial::AcknowledgementRequired => {
                "You must accept the acknowledgement before the content is shown."
            }
        }
    }
}

/// A share as stored. `verifier_hash` never leaves the backend.
#[derive(Clone, Debug)]
pub struct Share {
    pub id: String,
    pub org_id: String,
    pub selector: String,
    pub verifier_hash: KdfHash,
    pub document_id: String,
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
mod tests {
    use super::*;
    use time::macros::datetime;

    fn share() -> Share {
        Share {
            id: "s".into(),
            org_id: "o".into(),
            selector: "sel".into(),
            verifier_hash: KdfHash::from_stored(String::new()),
            document_id: "d".into(),
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
