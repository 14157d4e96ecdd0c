//! A guest's request for more time on a share that expired or used up its opens.

use serde::{Deserialize, Serialize};

/// Where a renewal request stands; stored as text in `renewal_requests.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalStatus {
    /// Waiting for the share's owner (or an administrator). At most one per share.
    Open,
    /// Granted: the share was extended or given more opens, and the guest mailed.
    Approved,
    /// Refused, with an optional note the guest is mailed.
    Declined,
    /// Settled without a decision: the share was revoked, or changed so that it opens again.
    Closed,
}

impl RenewalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RenewalStatus::Open => "open",
            RenewalStatus::Approved => "approved",
            RenewalStatus::Declined => "declined",
            RenewalStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(RenewalStatus::Open),
            "approved" => Some(RenewalStatus::Approved),
            "declined" => Some(RenewalStatus::Declined),
            "closed" => Some(RenewalStatus::Closed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_as_itself() {
        for s in [
            RenewalStatus::Open,
            RenewalStatus::Approved,
            RenewalStatus::Declined,
            RenewalStatus::Closed,
        ] {
            assert_eq!(RenewalStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RenewalStatus::parse("pending"), None);
    }
}
