//! 28 CFR Part 23 in the console: an item's flag, the review queue and the dissemination
//! record.

use serde::{Deserialize, Serialize};

/// A flag on a document or record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagRowView {
    /// document or record.
    pub item_kind: String,
    pub item_id: String,
    pub title: String,
    pub submitting_agency: String,
    /// A–D, and its words.
    pub reliability: String,
    pub reliability_label: String,
    /// 1–4, and its words.
    pub validity: String,
    pub validity_label: String,
    /// RFC 3339.
    pub submitted_at: String,
    pub review_due: String,
    pub purged_at: Option<String>,
    /// The review date has passed.
    pub due: bool,
}

/// The review queue: the soonest reviews first, and whether later ones follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagQueueView {
    pub items: Vec<FlagRowView>,
    pub more: bool,
}

/// One recipient's receipt of one flagged item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisseminationRowView {
    /// RFC 3339.
    pub shared_at: String,
    pub item_kind: String,
    pub item_id: String,
    pub item_title: String,
    pub submitting_agency: String,
    pub reliability: String,
    pub validity: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub partner_name: String,
    pub justification: String,
    pub shared_by: String,
}
