//! Access reviews: the vocabulary of a campaign (who reviews, what undecided shares get,
//! how often it runs, which shares it covers) and the flags a reviewer sees on each share.

use serde::{Deserialize, Serialize};
use time::{Month, OffsetDateTime};

use super::Tlp;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

text_enum!(
    /// What a reviewer decides for one share.
    ReviewDecision {
        /// Leave the share as it is.
        Keep => "keep",
        /// Give it more time (within the policy).
        Extend => "extend",
        /// End it now.
        Revoke => "revoke",
    }
);

text_enum!(
    /// What undecided shares get at the due date (Entra's "auto-apply").
    DefaultAction {
        Keep => "keep",
        Revoke => "revoke",
    }
);

impl DefaultAction {
    pub fn decision(self) -> ReviewDecision {
        match self {
            DefaultAction::Keep => ReviewDecision::Keep,
            DefaultAction::Revoke => ReviewDecision::Revoke,
        }
    }
}

text_enum!(
    /// Whose queue a share goes to.
    ReviewerRule {
        /// The staff member who created the share.
        Creator => "creator",
        /// One named staff member reviews every share.
        Named => "named",
        /// The controllers of the project the shared document is filed under.
        ProjectControllers => "project_controllers",
    }
);

text_enum!(
    /// How often a campaign runs again once it closes.
    Recurrence {
        Once => "once",
        Monthly => "monthly",
        Quarterly => "quarterly",
    }
);

impl Recurrence {
    /// The due date of run `n` (the first is run 0) of a series first due at `first`: the
    /// same day of the month, `n` periods on — the month's last day where it is shorter,
    /// without drifting (31 January, 28 February, 31 March). `None` for a one-off campaign.
    pub fn nth_due(self, first: OffsetDateTime, n: u32) -> Option<OffsetDateTime> {
        let months = match self {
            Recurrence::Once => return None,
            Recurrence::Monthly => n as i32,
            Recurrence::Quarterly => 3 * n as i32,
        };
        let total = first.month() as i32 - 1 + months;
        let year = first.year() + total.div_euclid(12);
        let month = Month::try_from((total.rem_euclid(12) + 1) as u8).ok()?;
        let day = first.day().min(month.length(year));
        first
            .replace_day(1)
            .ok()?
            .replace_year(year)
            .ok()?
            .replace_month(month)
            .ok()?
            .replace_day(day)
            .ok()
    }
}

text_enum!(
    CampaignStatus {
        Open => "open",
        Closed => "closed",
    }
);

/// Which active shares a campaign covers: all of them, narrowed by any of these.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewScope {
    /// Shares of documents filed under this project.
    pub project_id: Option<String>,
    /// Shares whose recipient's email domain belongs to this partner.
    pub partner_id: Option<String>,
    pub tlp: Option<Tlp>,
    /// Shares this staff member created.
    pub created_by: Option<String>,
    /// Shares created before this time (ms since the epoch).
    pub created_before_ms: Option<i64>,
}

/// What a reviewer should look at twice on a share, computed as the queue is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFlags {
    /// The guest has never opened it.
    pub never_opened: bool,
    /// The guest may respond and has not, for the campaign's N days since it was shared.
    pub no_response: bool,
    /// TLP:AMBER+STRICT or TLP:RED.
    pub sensitive_marking: bool,
    /// The recipient's email domain belongs to no partner organisation.
    pub outside_partners: bool,
    /// At least 80 % of a limited number of opens used.
    pub nearly_used: bool,
}

/// The facts of a share the flags are computed from.
#[derive(Clone, Copy, Debug)]
pub struct FlagFacts {
    pub access_count: i64,
    pub max_access_count: i64,
    pub may_respond: bool,
    pub response_count: i64,
    pub created_at_ms: i64,
    pub tlp: Tlp,
    pub recipient_in_partner_domain: bool,
}

impl ReviewFlags {
    pub fn of(f: FlagFacts, now_ms: i64, no_response_days: i64) -> Self {
        ReviewFlags {
            never_opened: f.access_count == 0,
            no_response: f.may_respond
                && f.response_count == 0
                && now_ms - f.created_at_ms >= no_response_days * 86_400_000,
            sensitive_marking: matches!(f.tlp, Tlp::AmberStrict | Tlp::Red),
            outside_partners: !f.recipient_in_partner_domain,
            nearly_used: f.max_access_count > 0 && f.access_count * 5 >= f.max_access_count * 4,
        }
    }

    /// The flags that are set, by their names in reports (`never_opened`, …).
    pub fn names(self) -> Vec<&'static str> {
        [
            (self.never_opened, "never_opened"),
            (self.no_response, "no_response"),
            (self.sensitive_marking, "sensitive_marking"),
            (self.outside_partners, "outside_partners"),
            (self.nearly_used, "nearly_used"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_word_reads_back_as_itself() {
        for d in ReviewDecision::ALL {
            assert_eq!(ReviewDecision::parse(d.as_str()), Some(*d));
        }
        for r in ReviewerRule::ALL {
            assert_eq!(ReviewerRule::parse(r.as_str()), Some(*r));
        }
        for r in Recurrence::ALL {
            assert_eq!(Recurrence::parse(r.as_str()), Some(*r));
        }
        assert_eq!(DefaultAction::parse("extend"), None);
    }

    #[test]
    fn recurring_campaigns_fall_due_on_the_same_day_or_the_months_last() {
        let first = datetime!(2026-01-31 17:00 UTC);
        assert_eq!(Recurrence::Once.nth_due(first, 1), None);
        assert_eq!(
            Recurrence::Monthly.nth_due(first, 1),
            Some(datetime!(2026-02-28 17:00 UTC))
        );
        // No drift: the third month is the 31st again.
        assert_eq!(
            Recurrence::Monthly.nth_due(first, 2),
            Some(datetime!(2026-03-31 17:00 UTC))
        );
        assert_eq!(
            Recurrence::Monthly.nth_due(first, 11),
            Some(datetime!(2026-12-31 17:00 UTC))
        );
        assert_eq!(
            Recurrence::Monthly.nth_due(first, 12),
            Some(datetime!(2027-01-31 17:00 UTC))
        );
        assert_eq!(
            Recurrence::Quarterly.nth_due(datetime!(2026-11-15 09:30 UTC), 1),
            Some(datetime!(2027-02-15 09:30 UTC))
        );
    }

    #[test]
    fn flags_follow_the_share() {
        let day = 86_400_000;
        let facts = FlagFacts {
            access_count: 0,
            max_access_count: 10,
            may_respond: true,
            response_count: 0,
            created_at_ms: 0,
            tlp: Tlp::Green,
            recipient_in_partner_domain: true,
        };
        let f = ReviewFlags::of(facts, 13 * day, 14);
        assert!(f.never_opened && !f.no_response && !f.nearly_used && !f.outside_partners);
        assert!(ReviewFlags::of(facts, 14 * day, 14).no_response);
        let used = ReviewFlags::of(
            FlagFacts {
                access_count: 8,
                tlp: Tlp::Red,
                recipient_in_partner_domain: false,
                ..facts
            },
            0,
            14,
        );
        assert_eq!(
            used.names(),
            ["sensitive_marking", "outside_partners", "nearly_used"]
        );
        let unlimited = FlagFacts {
            max_access_count: 0,
            access_count: 100,
            ..facts
        };
        assert!(!ReviewFlags::of(unlimited, 0, 14).nearly_used);
    }
}
