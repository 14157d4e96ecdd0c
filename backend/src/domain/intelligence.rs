//! 28 CFR Part 23, criminal intelligence shared between agencies: the vocabulary of a flag
//! (submitting agency, source reliability, content validity), the five-year review period
//! and what a dissemination must state.
//!
//! Invariants the services keep: an item flagged as criminal intelligence reaches only a
//! recipient in a partner registered as a law-enforcement agency, whose identity the share
//! proves (never an "anyone with the link" share), under a written need-to-know and
//! right-to-know justification; every such dissemination is recorded and the record
//! outlives a purge of the item.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How far the source is trusted (28 CFR 23.20(g)'s "source reliability").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Reliability {
    /// Reliable.
    A,
    /// Usually reliable.
    B,
    /// Unreliable.
    C,
    /// Reliability unknown.
    D,
}

impl Reliability {
    pub const ALL: [Reliability; 4] = [Self::A, Self::B, Self::C, Self::D];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::A => "A: reliable",
            Self::B => "B: usually reliable",
            Self::C => "C: unreliable",
            Self::D => "D: reliability unknown",
        }
    }
}

/// How far the content is believed ("content validity").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Validity {
    #[serde(rename = "1")]
    Confirmed,
    #[serde(rename = "2")]
    ProbablyTrue,
    #[serde(rename = "3")]
    DoubtfullyTrue,
    #[serde(rename = "4")]
    CannotBeJudged,
}

impl Validity {
    pub const ALL: [Validity; 4] = [
        Self::Confirmed,
        Self::ProbablyTrue,
        Self::DoubtfullyTrue,
        Self::CannotBeJudged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "1",
            Self::ProbablyTrue => "2",
            Self::DoubtfullyTrue => "3",
            Self::CannotBeJudged => "4",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Confirmed => "1: confirmed",
            Self::ProbablyTrue => "2: probably true",
            Self::DoubtfullyTrue => "3: doubtfully true",
            Self::CannotBeJudged => "4: cannot be judged",
        }
    }
}

/// What a flag is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntelItemKind {
    /// A document family: every revision.
    Document,
    Record,
}

impl IntelItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Record => "record",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "document" => Some(Self::Document),
            "record" => Some(Self::Record),
            _ => None,
        }
    }
}

/// A review's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Still relevant and valid: kept five more years.
    Retained,
    /// Content and shares deleted; the dissemination record kept.
    Purged,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retained => "retained",
            Self::Purged => "purged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "retained" | "retain" => Some(Self::Retained),
            "purged" | "purge" => Some(Self::Purged),
            _ => None,
        }
    }
}

/// How long an item is kept before it must be reviewed (28 CFR 23.20(h)).
pub const RETENTION_YEARS: i32 = 5;

/// A justification says who needs the information and why they may have it; a few words
/// cannot.
pub const MIN_JUSTIFICATION_CHARS: usize = 30;
pub const MAX_JUSTIFICATION_CHARS: usize = 2000;
/// A review's reason, kept with the decision.
pub const MIN_REASON_CHARS: usize = 10;

/// The review date [`RETENTION_YEARS`] after `from` (29 February falls to 28 February).
pub fn review_due(from: OffsetDateTime) -> OffsetDateTime {
    let year = from.year() + RETENTION_YEARS;
    from.replace_year(year)
        .or_else(|_| from.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(from)
}

/// Why a justification is refused, or `None` when it will do.
pub fn justification_problem(text: &str) -> Option<String> {
    let n = text.trim().chars().count();
    if n == 0 {
        Some(
            "criminal intelligence is shared only under a written need-to-know and \
             right-to-know justification"
                .into(),
        )
    } else if n < MIN_JUSTIFICATION_CHARS {
        Some(format!(
            "say who needs this and why they may have it, in at least \
             {MIN_JUSTIFICATION_CHARS} characters"
        ))
    } else if n > MAX_JUSTIFICATION_CHARS {
        Some(format!(
            "a justification has at most {MAX_JUSTIFICATION_CHARS} characters"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn review_falls_five_years_on_even_from_a_leap_day() {
        assert_eq!(
            review_due(datetime!(2026-12-07 10:00 UTC)),
            datetime!(2031-12-07 10:00 UTC)
        );
        assert_eq!(
            review_due(datetime!(2028-02-29 08:30 UTC)),
            datetime!(2033-02-28 08:30 UTC)
        );
    }

    #[test]
    fn the_codes_read_back() {
        for r in Reliability::ALL {
            assert_eq!(Reliability::parse(r.as_str()), Some(r));
        }
        for v in Validity::ALL {
            assert_eq!(Validity::parse(v.as_str()), Some(v));
        }
        assert_eq!(Reliability::parse("E"), None);
        assert_eq!(Validity::parse("5"), None);
        assert_eq!(
            serde_json::to_string(&Validity::ProbablyTrue).unwrap(),
            "\"2\""
        );
    }

    #[test]
    fn a_justification_must_say_something() {
        assert!(justification_problem("").is_some());
        assert!(justification_problem("because").is_some());
        assert!(justification_problem(
            "Task force 7 investigates the Ghent thefts; Det. Ada needs the lot history."
        )
        .is_none());
        assert!(justification_problem(&"x".repeat(MAX_JUSTIFICATION_CHARS + 1)).is_some());
    }
}
