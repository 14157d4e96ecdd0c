//! What the browser receives. These are deliberately separate from the backend's row and
//! service types (which never compile to wasm): only fields a page shows are here.

use serde::{Deserialize, Serialize};

mod comments;
mod intelligence;
mod records;
mod register;
mod requests;
mod secrets;
mod viewer;
pub use comments::*;
pub use intelligence::*;
pub use records::*;
pub use register::*;
pub use requests::*;
pub use secrets::*;
pub use viewer::*;

/// The signed-in staff member, with the session's CSRF token for the forms on the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub name: String,
    pub email: String,
    pub role: String,
    pub csrf: String,
    /// The console pages the role matrix opens to them beyond what every role sees.
    pub pages: ConsolePages,
}

/// Which role-bound console pages the navigation offers (each answer from the role
/// matrix, `Role::permits`, so the bar never disagrees with the pages themselves).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsolePages {
    pub audit: bool,
    pub outbox: bool,
    pub partners: bool,
    pub users: bool,
    /// Upload documents and their revisions.
    pub upload: bool,
    /// Create shares.
    pub share: bool,
    /// Edit the policy, projects and legal terms, and move documents between projects.
    pub policy: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRowView {
    pub id: String,
    /// active | expired | revoked
    pub status: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub document_title: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// 0 = unlimited.
    pub max_access_count: i64,
    pub access_count: i64,
    pub last_activity_at: Option<String>,
    /// "TLP:AMBER" etc.
    pub tlp: String,
    /// The link can be copied again / the invitation re-sent.
    pub link_available: bool,
    /// A document it covers has a newer revision than the one it pins.
    pub revised: bool,
    /// Responses its guest has sent.
    pub responses: i64,
    /// Its guest may respond and has not.
    pub awaiting_response: bool,
}

/// The console home's figures, each a link to the filtered shares table (or, for the
/// denials, the audit log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub active: i64,
    pub expiring: i64,
    pub expiring_days: u32,
    pub awaiting_response: i64,
    /// `None`: the role does not read the audit log.
    pub denials_24h: Option<i64>,
    /// Renewal requests the viewer may decide; `None`: the role manages no share.
    pub open_renewals: Option<i64>,
    /// Undecided shares in the viewer's review queues; `None`: the role does not review.
    pub reviews_due: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharesPage {
    pub items: Vec<ShareRowView>,
    pub next_cursor: Option<String>,
}

/// Shown once, right after creation: the link is never stored and cannot be shown again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedShareView {
    pub id: String,
    pub url: String,
    pub recipient_name: String,
}

/// An audit event as the console lists it (and its live feeds send it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRowView {
    pub id: String,
    /// Its position in the organisation's chain (a live feed's cursor).
    pub seq: Option<i64>,
    pub occurred_at: String,
    pub event_type: String,
    pub actor_name: String,
    pub credential: String,
    pub share_id: Option<String>,
    pub ip: Option<String>,
    pub details: String,
}

#[cfg(feature = "ssr")]
impl From<backend::services::audit_log::AuditEventView> for AuditRowView {
    fn from(e: backend::services::audit_log::AuditEventView) -> Self {
        Self {
            id: e.id,
            seq: e.seq,
            occurred_at: e.occurred_at,
            event_type: e.event_type,
            actor_name: e.actor.name,
            credential: e.actor.credential,
            share_id: e.share_id,
            ip: e.ip,
            details: e.details.to_string(),
        }
    }
}

/// A row of the console's outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRowView {
    pub created_at: String,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub body_text: Option<String>,
}

/// What `/s/{token}` shows before the token is verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LandingView {
    Open {
        brand: BrandView,
        org_name: String,
        /// "TLP:AMBER" etc., shown on every page.
        tlp: String,
        needs_password: bool,
        needs_code: bool,
        require_acknowledgement: bool,
        /// (version, text) of legal terms to accept.
        terms: Option<(String, String)>,
        /// Federated shares: sign in at the partner's IdP first.
        federation: Option<FederationView>,
    },
    Denied {
        brand: BrandView,
        code: String,
        message: String,
        /// The share expired or used up its opens: the guest may ask for more time.
        may_ask_more_time: bool,
    },
}

/// A federated share's sign-in choices on its landing page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederationView {
    pub partner_name: String,
    /// (id, name) of the partner's identity providers.
    pub idps: Vec<(String, String)>,
    /// This browser signed in (and the share admits it) as this email.
    pub signed_in_as: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalItemView {
    pub id: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the file (hex), for the guest to verify what they download.
    pub sha256: String,
    /// A newer revision exists than the one shared.
    pub revised: bool,
    /// The comments the guest may read on it (the first page; the live channel brings the
    /// rest and every change); `None` where the item has no comments (a record's
    /// documents).
    pub comments: Option<CommentsView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortalView {
    Open {
        /// The share the page shows (its live channel must speak for this one).
        share_id: String,
        brand: BrandView,
        recipient_name: String,
        tlp: String,
        instructions: String,
        allow_download: bool,
        allow_print: bool,
        /// The share's permission allows a response and comments (and attachments).
        can_respond: bool,
        can_attach: bool,
        /// (decision, comment, time) of responses already sent.
        responses: Vec<(String, String, String)>,
        /// A record share's record (its documents are `items`).
        record: Option<Box<SharedRecordView>>,
        items: Vec<PortalItemView>,
    },
    Closed {
        brand: BrandView,
        message: String,
    },
}

impl PortalView {
    /// The brand the page is shown in, open or closed.
    pub fn brand(&self) -> BrandView {
        match self {
            Self::Open { brand, .. } | Self::Closed { brand, .. } => brand.clone(),
        }
    }
}

/// The guest's home: the shares of the recipient the session proves, standing now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HomeView {
    Open {
        brand: BrandView,
        recipient_name: String,
        recipient_email: String,
        /// The session proves who the guest is (else only its own share is listed, and
        /// "sign out everywhere" is not offered).
        proven: bool,
        /// By the portal's sections, in its order.
        groups: Vec<HomeGroupView>,
        /// Set for a manager of the portal.
        manager: Option<ManagerView>,
    },
    /// No session: the page asks for the link, in the site's brand.
    Closed { brand: BrandView },
}

/// Shares of one section of the portal (`section` empty: of items in no section).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeGroupView {
    pub section: Option<String>,
    pub shares: Vec<HomeShareView>,
}

/// A portal manager's part of their home: the domains they may add members from and the
/// members they added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerView {
    pub domains: Vec<String>,
    pub added: Vec<PortalMemberView>,
}

/// One share in the guest's home.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeShareView {
    pub share_id: String,
    pub title: String,
    pub tlp: String,
    pub expires_at: Option<String>,
    /// The share this session opened.
    pub current: bool,
    pub acknowledge: bool,
    pub respond: bool,
}

/// A staff account on the Users page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRowView {
    pub id: String,
    pub email: String,
    pub name: String,
    /// admin | controller | auditor
    pub role: String,
    pub role_label: String,
    /// password | idp
    pub sign_in: String,
    /// active | invited | no_password | disabled
    pub status: String,
    pub status_label: String,
    pub link_expires_at: Option<String>,
    pub created_at: String,
    pub you: bool,
}

/// An API key as its list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRowView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub owner: String,
    /// read | admin
    pub scope: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    /// active | expired | revoked
    pub status: String,
}

/// The API keys page: the keys the viewer may see, and what they may create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeysView {
    pub keys: Vec<ApiKeyRowView>,
    /// Whether the viewer's role may hold keys that change things.
    pub may_write: bool,
    /// Whether the list holds everyone's keys (administrators).
    pub everyone: bool,
}

/// A key just created: its secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKeyView {
    pub name: String,
    pub secret: String,
}

/// What the set-password page shows of a valid link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordLinkView {
    pub email: String,
    pub name: String,
    pub organisation: String,
    /// invitation | reset
    pub purpose: String,
    pub expires_at: String,
}

/// "12 KB" style sizes for tables.
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KB");
    }
}

/// A partner organisation (or, with no id, the organisation's own staff sign-in) in the
/// console.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRowView {
    pub id: Option<String>,
    pub name: String,
    pub domains: Vec<String>,
    pub enabled: bool,
    /// Registered as a law-enforcement agency (may receive criminal intelligence).
    pub law_enforcement: bool,
    pub idps: Vec<IdpRowView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpRowView {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    /// SAML entity id or OIDC issuer.
    pub detail: String,
    pub sp_entity_id: Option<String>,
    pub sp_acs_url: Option<String>,
    pub redirect_uri: Option<String>,
    /// Attribute / claim names per field, comma-separated: email, display name,
    /// organisation, groups.
    pub attribute_map: [String; 4],
}

/// The organisation's External Access settings as the settings page edits them. Enum
/// values carry their API names (`single_revision`, `link`, `AMBER+STRICT`, `not_found`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub default_expiry_days: u32,
    pub max_expiry_days: u32,
    pub allow_custom_expiry: bool,
    pub default_max_access_count: i64,
    pub allow_controller_override: bool,
    pub allowed_scopes: Vec<String>,
    pub require_acknowledgement: bool,
    pub allowed_methods: Vec<String>,
    pub tlp_ceiling: String,
    pub revoked_link: String,
    /// Secrets: the longest lifetime, the marking from which a code is required, and who
    /// may receive them (`anyone`, `email`).
    pub secret_max_lifetime_hours: u32,
    pub secret_code_required_from: String,
    pub secret_recipients: Vec<String>,
    /// The watermark: opacity in percent, lines of text across a page.
    pub watermark_opacity: u8,
    pub watermark_density: u8,
    /// Only administrators may change it; others see it read-only.
    pub is_admin: bool,
}

/// One share's page in the console.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareDetailView {
    pub share: ShareRowView,
    /// What the recipient may do: view | comment | edit.
    pub permission: String,
    pub allow_download: bool,
    pub allow_print: bool,
    pub watermark: bool,
    pub approved_devices_only: bool,
    pub devices: Vec<DeviceRowView>,
    pub responses: Vec<ResponseRowView>,
    /// The guest's requests for more time, newest first.
    pub renewals: Vec<RenewalRowView>,
}

/// A browser bound to a share: pending | approved | rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRowView {
    pub id: String,
    pub status: String,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRowView {
    /// approve | approve_with_comments | reject
    pub decision: String,
    pub comment: String,
    pub created_at: String,
    pub attachments: Vec<AttachmentRowView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRowView {
    pub id: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalRowView {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub branding: BrandingFormView,
    pub domains: Vec<DomainRowView>,
    /// Active members.
    pub members: Vec<PortalMemberView>,
    /// The email domains its managers may add members from, one per line.
    pub member_domains_text: String,
}

/// A portal's custom domain and the TXT record that proves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRowView {
    pub id: String,
    pub domain: String,
    /// pending | verified | suspended
    pub status: String,
    pub txt_name: String,
    pub txt_value: String,
}

/// A portal's brand as its console form shows it (empty = not set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandingFormView {
    pub display_name: String,
    pub primary: String,
    pub accent: String,
    pub background: String,
    pub disclaimer: String,
    pub support_contact: String,
    /// One "Label | https://…" per line.
    pub footer_links_text: String,
    pub terms_id: String,
    pub logo_url: Option<String>,
}

/// The brand a guest screen is drawn in. `disclaimer_html` is the server's safe rendering
/// of the portal's Markdown subset (no raw HTML survives it); everything else is text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandView {
    pub name: String,
    pub theme_path: Option<String>,
    /// (path, width, height).
    pub logo: Option<(String, u32, u32)>,
    pub disclaimer_html: String,
    /// (label, href).
    pub support: Option<(String, String)>,
    /// (label, https URL).
    pub footer_links: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalMemberView {
    pub id: String,
    pub name: String,
    pub email: String,
    /// member | manager
    pub role: String,
    /// The day the membership ends (`YYYY-MM-DD`, UTC), if it does.
    pub expires_on: Option<String>,
    /// The manager who added this member, when one did.
    pub added_by_manager: Option<String>,
}

/// A portal's sections page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionsPageView {
    pub portal_id: String,
    pub portal_name: String,
    pub sections: Vec<SectionRowView>,
    /// Library items in no section, to place.
    pub unplaced: Vec<SectionItemView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionRowView {
    pub id: String,
    pub name: String,
    pub items: Vec<SectionItemView>,
}

/// A library item as sections hold it; `key` (`kind:id`) names it in forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionItemView {
    pub key: String,
    /// Document | Package | Project
    pub kind_label: String,
    pub title: String,
}

/// What can be shared besides a single document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundlesView {
    pub packages: Vec<PackageRowView>,
    pub work_packages: Vec<WorkPackageRowView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRowView {
    pub id: String,
    pub name: String,
    /// Document ids, in the order they were added.
    pub documents: Vec<String>,
}

/// A project, shared as a work package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkPackageRowView {
    pub id: String,
    pub name: String,
    pub documents: usize,
}

/// Per-day activity of a portal or a share over a window ending today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsView {
    /// The portal's name, or the share's recipient and item.
    pub subject: String,
    pub window_days: i64,
    pub days: Vec<ActivityDayView>,
    /// Over the window: opens, unique guests (each once), downloads, responses, denials.
    pub totals: ActivityDayView,
    /// The console's CSV download of these numbers.
    pub csv_url: String,
}

/// One day's counts (`date` is `YYYY-MM-DD`; for totals, "Total").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityDayView {
    pub date: String,
    pub opens: i64,
    pub unique_guests: i64,
    pub downloads: i64,
    pub responses: i64,
    pub denials: i64,
}
