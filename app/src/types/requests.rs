//! What asks staff for a decision, as the console shows it: renewal requests and access
//! reviews.

use serde::{Deserialize, Serialize};

/// A guest's request for more time on a share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalRowView {
    pub id: String,
    pub share_id: String,
    /// open | approved | declined | closed
    pub status: String,
    pub reason: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub decision_note: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub document_title: String,
    pub owner_name: String,
    /// The viewer may approve or decline it.
    pub may_decide: bool,
}

/// An access review campaign as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRowView {
    pub id: String,
    pub name: String,
    pub scope_text: String,
    pub reviewer_text: String,
    /// keep | revoke
    pub default_action: String,
    /// once | monthly | quarterly
    pub recurrence: String,
    pub due_at: String,
    /// open | closed
    pub status: String,
    pub created_by: String,
    pub closed_at: Option<String>,
    pub items: i64,
    pub pending: i64,
}

/// The choices of the "Start a review" form (administrators).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFormOptions {
    /// (id, name) of the staff who may review (administrators and controllers).
    pub reviewers: Vec<(String, String)>,
    /// (id, name) of every staff member, for "created by".
    pub staff: Vec<(String, String)>,
    pub projects: Vec<(String, String)>,
    pub partners: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewsPageView {
    pub campaigns: Vec<CampaignRowView>,
    /// `Some` for administrators, who start campaigns.
    pub form: Option<ReviewFormOptions>,
}

/// One share in a review queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRowView {
    pub share_id: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub document_title: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub access_count: i64,
    pub max_access_count: i64,
    pub tlp: String,
    /// active | expired | revoked
    pub status: String,
    /// The flags' names (`never_opened`, …).
    pub flags: Vec<String>,
    pub reviewer: String,
    pub decision: Option<String>,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub auto_applied: bool,
    pub may_decide: bool,
    /// "Extend" is offered (the viewer may change this share).
    pub may_extend: bool,
}

/// A campaign with a page of its queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub campaign: CampaignRowView,
    pub items: Vec<QueueRowView>,
    pub next_after: Option<String>,
    /// Start, end and report (administrators).
    pub may_manage: bool,
    /// May read every reviewer's queue and the outcome report (administrators, auditors).
    pub sees_everyone: bool,
}
