//! The document register, projects, legal terms and activity as the console shows them.

use serde::{Deserialize, Serialize};

use super::PolicyView;

/// One revision of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: String,
    /// 1, 2, 3, …
    pub revision: i64,
    pub number: Option<String>,
    /// The project's name, if the document is filed under one.
    pub project: Option<String>,
}

/// A document's page: its revisions (newest, the current one, first) and what may be done
/// with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPageView {
    pub revisions: Vec<DocumentView>,
    pub project_id: Option<String>,
    /// The projects it may be moved to (id, name), for those who may move it.
    pub projects: Vec<(String, String)>,
    /// Its criminal intelligence flag (28 CFR Part 23), if flagged.
    pub intel: Option<super::FlagRowView>,
}

/// A project and its policy override. Each override field is empty when the project
/// inherits the organisation's setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: String,
    pub name: String,
    pub default_expiry_days: Option<u32>,
    pub max_expiry_days: Option<u32>,
    pub allow_custom_expiry: Option<bool>,
    pub default_max_access_count: Option<i64>,
    pub allow_controller_override: Option<bool>,
    pub allowed_scopes: Option<Vec<String>>,
    pub require_acknowledgement: Option<bool>,
    pub allowed_methods: Option<Vec<String>>,
    pub tlp_ceiling: Option<String>,
    pub revoked_link: Option<String>,
    /// The organisation's policy tightened by the override.
    pub effective: PolicyView,
    /// (id, name) of the staff who review its shares when a review says "the project's
    /// controllers".
    pub controllers: Vec<(String, String)>,
}

/// The projects page: the organisation's policy (the ceilings) and its projects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectsView {
    pub organisation: PolicyView,
    pub projects: Vec<ProjectView>,
    /// (id, name) of the active staff who may review (administrators only; empty for
    /// others, who cannot name controllers).
    pub reviewers: Vec<(String, String)>,
}

/// One published version of the legal terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsView {
    pub id: String,
    pub version: String,
    pub body: String,
    pub sha256: String,
}

/// One guest's acceptance of a version of the terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsAcceptanceView {
    pub version: String,
    pub share_id: Option<String>,
    pub recipient_name: String,
    pub recipient_email: String,
    pub accepted_at: String,
}

/// The legal terms page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsPageView {
    pub versions: Vec<TermsView>,
    pub acceptances: Vec<TermsAcceptanceView>,
}

/// What an event filter offers: the groups, then every event type (value, label).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilterChoices {
    pub groups: Vec<(String, String)>,
    pub types: Vec<String>,
}

/// The organisation's redaction rules, and whether the viewer may change them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionRulesView {
    pub rules: Vec<String>,
    pub may_change: bool,
}
