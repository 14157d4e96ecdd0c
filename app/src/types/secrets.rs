//! What the browser receives about end-to-end encrypted secrets: never content, key or code.

use serde::{Deserialize, Serialize};

use super::BrandView;

/// A secret's page, `/secret/{token}`, before anything is revealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretPageView {
    pub brand: BrandView,
    pub state: SecretPageState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretPageState {
    /// Waiting to be revealed.
    Ready(SecretReadyView),
    /// Gone (viewed as often as allowed, expired, withdrawn) or never existed: the message
    /// says which, and `code` names it for tests and integrations.
    Gone { code: String, message: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretReadyView {
    pub organisation: String,
    /// `password`, `note`, `api_secret`, `file`.
    pub kind: String,
    /// "a password", "an API secret".
    pub kind_label: String,
    /// `TLP:AMBER`; empty for TLP:CLEAR.
    pub tlp: String,
    /// The recipient types an access code (the key is derived from it).
    pub access_code: bool,
    /// base64url PBKDF2 salt (access codes only).
    pub salt: Option<String>,
    pub views_left: i64,
    pub max_views: i64,
    pub expires_at: String,
}

/// A secret as the console's list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRowView {
    pub id: String,
    /// "Password", "API secret".
    pub kind: String,
    pub label: String,
    pub tlp: String,
    /// "Key in link" or "Access code".
    pub delivery: String,
    pub recipient: Option<String>,
    pub views: i64,
    pub max_views: i64,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    /// active | burned | revoked | expired
    pub state: String,
    /// Whether the viewer may revoke it.
    pub may_revoke: bool,
}

/// The console's secrets page: the list, and the policy the form must meet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretsPageView {
    pub secrets: Vec<SecretRowView>,
    pub may_create: bool,
    pub max_lifetime_hours: u32,
    /// `AMBER`: markings from which an access code is required.
    pub code_required_from: String,
    /// The markings the organisation lets out, least strict first.
    pub markings: Vec<String>,
    pub allow_anyone: bool,
    pub allow_email: bool,
}
