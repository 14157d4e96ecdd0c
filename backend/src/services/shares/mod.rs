//! The staff side of shares, one module per action: `create`, `view` (list and get),
//! `change`, `revoke`, `link` (copy and re-send), `devices` and `sweep` (expiry and
//! reminders). What every path needs of a share (find, stand, deny, revoke inside a
//! transaction, the sealed link) lives below them in `share_core`.

mod change;
mod create;
mod devices;
mod link;
mod revoke;
mod sweep;
mod view;

pub(crate) use change::{apply, plan};
pub use change::{change, ShareChange};
pub use create::{create, CreatedShare};
pub use devices::{decide_device, devices, DeviceView};
pub use link::{copy_link, resend_invitation};
pub use revoke::{revoke, revoke_many, MAX_BULK_REVOKE};
pub use sweep::{send_expiry_reminders, sweep_expired};
pub use view::{get, list, Page, ShareFilter};

/// Whether `who` may change, copy the link of, re-send or decide devices of a share that
/// `created_by` made: their own with `ManageOwnShare`, anyone else's only with
/// `ManageAnyShare` (the role matrix).
pub(crate) fn authorize_manage(who: &crate::actor::Staff, created_by: &str) -> Result<()> {
    use crate::domain::Action;
    crate::services::authorize(who, Action::ManageOwnShare)?;
    if created_by != who.user_id {
        crate::services::authorize(who, Action::ManageAnyShare)?;
    }
    Ok(())
}

use crate::domain::{Method, Share, ShareSettings, ShareStatus, Tlp};
use crate::services::{rfc3339, Result};
use crate::store::shares::ShareListRow;
use secrecy::SecretString;
use serde::Serialize;
use time::OffsetDateTime;

pub const MAX_PAGE: i64 = 200;

/// Most recipients one bulk creation may name (each gets its own share and link).
pub const MAX_BULK: usize = 200;

pub const MIN_PASSWORD_LEN: usize = 8;

/// When a new share expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expiry {
    /// The policy's default.
    #[default]
    Default,
    /// A number of hours from now; 1 and 24 are presets, anything else is custom.
    Hours(u32),
    /// A number of days from now; 7, 14 and 30 are the presets, anything else is custom.
    Days(u32),
    /// A custom date.
    At(OffsetDateTime),
}

impl Expiry {
    fn is_custom(self) -> bool {
        match self {
            Expiry::Default => false,
            Expiry::Hours(h) => ![1, 24].contains(&h),
            Expiry::Days(d) => ![7, 14, 30].contains(&d),
            Expiry::At(_) => true,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// What a share covers: one document, or several shared as one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharedItem {
    /// One document (scope "single revision"), by id.
    Document(String),
    /// A document package (scope "document package"), by id.
    Package(String),
    /// Every document of a project (scope "work package"), by project id.
    WorkPackage(String),
    /// A data record (scope "record"), by id: what its guest sees is the record as it
    /// stands at each view, through the one redaction projection.
    Record(String),
}

impl Default for SharedItem {
    /// No item chosen yet: creation answers "document not found" on field `item`.
    fn default() -> Self {
        SharedItem::Document(String::new())
    }
}

/// A request to share one [`SharedItem`] with one or more recipients (one share each).
#[derive(Clone, Debug, Default)]
pub struct NewShare {
    pub item: SharedItem,
    pub recipients: Vec<Recipient>,
    pub method: Option<Method>,
    pub expiry: Expiry,
    /// `None` = the policy's default; 0 = unlimited.
    pub max_access_count: Option<i64>,
    pub require_acknowledgement: bool,
    pub tlp: Option<Tlp>,
    pub settings: ShareSettings,
    pub password: Option<SecretString>,
    /// A link share: mail the link to the recipient now (with the instructions), as an
    /// invitation is. Invitation, portal and federated shares are always mailed.
    pub send_link: bool,
    /// Legal terms the recipient must accept (an id of the organisation's terms); `None` =
    /// the portal's terms, if it has any.
    pub terms_id: Option<String>,
    /// The portal the share belongs to (`None` = the organisation's default portal). A
    /// portal access share must name one.
    pub portal_id: Option<String>,
    /// The need-to-know and right-to-know justification a share of criminal intelligence
    /// requires (28 CFR Part 23); kept in the dissemination record.
    pub justification: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Person {
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = SharedItemRef)]
pub struct ItemRef {
    /// `document`, `document_package`, `work_package` or `record`.
    pub kind: &'static str,
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct UserRef {
    pub id: String,
    pub name: String,
}

/// A share as staff see it (never the token or a hash).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ShareView {
    pub id: String,
    pub status: ShareStatus,
    pub method: Method,
    pub recipient: Person,
    pub item: ItemRef,
    pub created_by: UserRef,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub max_access_count: i64,
    pub access_count: i64,
    pub require_acknowledgement: bool,
    pub tlp: String,
    pub settings: ShareSettings,
    pub has_password: bool,
    pub terms_id: Option<String>,
    pub portal_id: String,
    /// Whether staff can copy this share's link again (shares made before links were
    /// sealed cannot).
    pub link_available: bool,
    pub last_activity_at: Option<String>,
    pub revoked_at: Option<String>,
    /// A document the share covers has a newer revision than the one the share pins (its
    /// guest is told to ask for a new share).
    pub revised: bool,
    /// How many responses its guest has sent.
    pub responses: i64,
    /// The share is active, its guest may respond and has not yet.
    pub awaiting_response: bool,
}

impl ShareView {
    fn from_row(r: ShareListRow, now: OffsetDateTime) -> Result<Self> {
        let link_available = r.share.token_sealed.is_some();
        let revised = r.revised > 0;
        let responses = r.response_count;
        let may_respond = r.may_respond == 1;
        let share = Share::try_from(r.share)?;
        let status = share.status(now);
        let item = match &share.settings.bundle {
            Some(b) => ItemRef {
                kind: scope_kind(share.settings.scope),
                id: b.id.clone(),
                title: b.name.clone(),
            },
            None => ItemRef {
                kind: scope_kind(share.settings.scope),
                id: share.item_id().to_owned(),
                title: r.document_title,
            },
        };
        Ok(Self {
            status,
            method: share.method,
            recipient: Person {
                name: share.recipient_name,
                email: share.recipient_email,
            },
            item,
            created_by: UserRef {
                id: share.created_by,
                name: r.creator_name,
            },
            created_at: rfc3339(share.created_at),
            expires_at: share.expires_at.map(rfc3339),
            max_access_count: share.max_access_count,
            access_count: share.access_count,
            require_acknowledgement: share.require_acknowledgement,
            tlp: share.tlp.label(),
            settings: share.settings,
            has_password: share.password_hash.is_some(),
            terms_id: share.terms_id,
            portal_id: share.portal_id,
            link_available,
            last_activity_at: share.last_activity_at.map(rfc3339),
            revoked_at: share.revoked_at.map(rfc3339),
            revised,
            responses,
            awaiting_response: may_respond && responses == 0 && status == ShareStatus::Active,
            id: share.id,
        })
    }
}

/// The item kind a scope shares (as the API names it).
fn scope_kind(scope: crate::domain::Scope) -> &'static str {
    match scope {
        crate::domain::Scope::SingleRevision => "document",
        crate::domain::Scope::DocumentPackage => "document_package",
        crate::domain::Scope::WorkPackage => "work_package",
        crate::domain::Scope::Record => "record",
    }
}

/// When the expiry reminder of a share expiring at `expires_at_ms` is due (none for 0 days).
fn remind_at(expires_at_ms: i64, days: u32) -> Option<i64> {
    (days > 0).then(|| expires_at_ms - i64::from(days) * 86_400_000)
}
