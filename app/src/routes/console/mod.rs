//! The admin console: every page sits in [`ConsoleLayout`], which requires a signed-in
//! staff member and provides them (with the CSRF token) to the pages.

mod api_keys;
mod audit;
mod document;
mod documents;
mod layout;
mod new_share;
mod outbox;
mod partners;
mod portal_analytics;
mod portal_members;
mod portal_sections;
mod portals;
mod projects;
mod records;
mod renewals;
mod review;
mod reviews;
mod settings;
mod share_detail;
mod shares;
mod terms;
mod users;

pub use api_keys::ApiKeysPage;
pub use audit::AuditPage;
pub use document::DocumentPage;
pub use documents::DocumentsPage;
pub use layout::ConsoleLayout;
pub use new_share::NewSharePage;
pub use outbox::OutboxPage;
pub use partners::PartnersPage;
pub use portal_analytics::PortalAnalyticsPage;
pub use portal_sections::PortalSectionsPage;
pub use portals::PortalsPage;
pub use projects::ProjectsPage;
pub use records::{RecordPage, RecordsPage};
pub use renewals::RenewalsPage;
pub use review::ReviewPage;
pub use reviews::ReviewsPage;
pub use settings::SettingsPage;
pub use share_detail::ShareDetailPage;
pub use shares::SharesPage;
pub use terms::TermsPage;
pub use users::UsersPage;
