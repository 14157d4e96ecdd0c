//! What guests ask of staff, as the console shows it: renewal requests.

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
