//! Audit events: what happened, to what, by whom, with which credential, from where.
//! Written through [`record`] inside the transaction of the change itself, and chained per
//! organisation so that any later edit, deletion or reordering is detected ([`chain`]).

pub mod activity;
pub mod chain;
pub mod coalesce;

use serde::Serialize;

use crate::actor::{Guest, RequestMeta, Staff};
use crate::store::{self, audit::AuditRow, new_id, Db, Tx};

/// Declares [`EventType`] from one table of variant => stable name.
macro_rules! event_types {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What happened. The names are stable: exports and integrations key on them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum EventType { $($(#[$doc])* $variant,)* }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $name,)* }
            }
        }
    };
}

event_types! {
    SignedIn => "auth.signed_in",
    SignInFailed => "auth.sign_in_failed",
    SignedOut => "auth.signed_out",
    DocumentUploaded => "document.uploaded",
    /// A new revision of a document uploaded (details name the family and revision).
    DocumentRevised => "document.revised",
    /// Put in a project or taken out; details carry `from_project` and `to_project`.
    DocumentMoved => "document.moved",
    ShareCreated => "share.created",
    ShareAccessed => "share.accessed",
    AcknowledgementAccepted => "share.acknowledgement_accepted",
    /// Details carry the accepted version and the SHA-256 of its text.
    TermsAccepted => "share.terms_accepted",
    /// Details carry the reason code (`Denial::code`).
    ShareDenied => "share.denied",
    ShareExpired => "share.expired",
    ShareRevoked => "share.revoked",
    /// Expiry, access limit or permissions changed; details carry before and after.
    ShareChanged => "share.changed",
    ShareLinkCopied => "share.link_copied",
    InvitationSent => "share.invitation_sent",
    VerificationCodeSent => "share.code_sent",
    DeviceApprovalRequested => "share.device_approval_requested",
    DeviceDecided => "share.device_decided",
    /// Details carry the decision, the comment and the attachments' names and hashes.
    ResponseSubmitted => "share.response_submitted",
    /// Staff downloaded a file a guest attached to a response (details name it and its
    /// hash).
    AttachmentDownloaded => "share.attachment_downloaded",
    ExpiryReminderSent => "share.expiry_reminder_sent",
    /// A guest whose share no longer opens asked for more time (details carry the reason).
    RenewalRequested => "share.renewal_requested",
    /// Staff granted a renewal request (the change itself is its own `share.changed`).
    RenewalApproved => "share.renewal_approved",
    /// Staff declined a renewal request (details carry the note the guest was sent).
    RenewalDeclined => "share.renewal_declined",
    ItemViewed => "item.viewed",
    ItemDownloaded => "item.downloaded",
    PrintAttempted => "item.print_attempted",
    /// A document could not be shown as pages: unreadable, or over its renderer's time or
    /// memory budget (details: the title and the reason, never the file's content).
    RenderFailed => "item.render_failed",
    /// Staff traced a leaked page (a screenshot or photo) to the views its marks name
    /// (details: each view with its share, document and recipient; never the picture).
    LeakTraced => "item.leak_traced",
    PolicyChanged => "policy.changed",
    AuditExported => "audit.exported",
    /// Details name the IdP, the protocol and the asserted email.
    FederatedSignIn => "federation.signed_in",
    /// Details name the IdP and the reason code (`FederationError::code`).
    FederatedSignInFailed => "federation.sign_in_failed",
    /// "Test connection" completed; details carry what the IdP asserted.
    FederationTested => "federation.tested",
    PartnerChanged => "federation.partner_changed",
    IdentityProviderChanged => "federation.idp_changed",
    /// A portal created, a member added or removed (details name the action).
    PortalChanged => "portal.changed",
    /// A portal membership reached its expiry and ended (details name the member and how
    /// many of their shares were revoked); the actor is the system.
    MembershipExpired => "portal.membership_expired",
    /// A guest signed out (details: `everywhere`, when every session of theirs ended).
    GuestSignedOut => "portal.signed_out",
    /// A document package created, a document added or removed (details name the action).
    PackageChanged => "package.changed",
    /// A data record created (details: id, kind, type, title, reference — never field
    /// values, which a purge must be able to remove).
    RecordCreated => "record.created",
    /// Records created from one import (details: format, how many, their ids).
    RecordsImported => "record.imported",
    /// A record's data, history, links, documents or marks changed (details name the
    /// action and the field paths concerned, never their values).
    RecordChanged => "record.changed",
    /// A field name added to or taken from the organisation's redaction rules.
    RedactionRuleChanged => "record.rule_changed",
    /// An admin API key created or revoked (details name the action, key id and prefix).
    ApiKeyChanged => "api_key.changed",
    /// A staff account invited, its role changed, disabled, enabled or its password reset
    /// (details name the action, the account and its email).
    StaffChanged => "staff.changed",
    /// A staff member set their password through a one-time link.
    StaffPasswordSet => "staff.password_set",
    /// An access review campaign started (details: name, scope, rule, default action, due
    /// date, how many shares).
    ReviewStarted => "review.started",
    /// A share of a campaign decided — by its reviewer, or by the default action at the due
    /// date (actor: the system, details `auto: true`).
    ReviewDecided => "review.decided",
    /// A campaign closed (details: the outcome by decision, and the next run if recurring).
    ReviewClosed => "review.closed",
    /// A comment written on a shared document (details: comment, thread, whether a reply,
    /// page, the shares that read the thread, the text).
    CommentPosted => "comment.posted",
    /// A comment's text changed by its author (details: before and after).
    CommentEdited => "comment.edited",
    /// A comment deleted by its author or a moderator (details: by whom, the text).
    CommentDeleted => "comment.deleted",
    /// The portal signing key rotated (details name the new kid and when it signs).
    SigningKeyRotated => "keys.rotated",
    /// An end-to-end encrypted secret created (details: kind, label, marking, delivery,
    /// recipient, views, expiry, size — never content, key, code or proof).
    SecretCreated => "secret.created",
    /// A secret revealed to a browser that proved its key or code (details: which view,
    /// how many are left).
    SecretViewed => "secret.viewed",
    /// A secret's last view taken: its ciphertext is deleted.
    SecretBurned => "secret.burned",
    SecretRevoked => "secret.revoked",
    /// A secret's time ran out: its ciphertext is deleted.
    SecretExpired => "secret.expired",
    /// A reveal with a wrong access code or key (details: the reason, whether it locked
    /// the secret).
    SecretAttemptFailed => "secret.attempt_failed",
    /// A document or record flagged as criminal intelligence, or its flags changed
    /// (details: the item, agency, reliability, validity, submission and review dates, the
    /// flags before).
    IntelFlagged => "intel.flagged",
    /// A flag taken off an item flagged in error (details: the item, the reason).
    IntelUnflagged => "intel.unflagged",
    /// A flagged item shared (details: the item, the recipient and their law-enforcement
    /// partner, the justification).
    IntelDisseminated => "intel.disseminated",
    /// A review retained an item five more years (details: the reason, the next review).
    IntelRetained => "intel.retained",
    /// A review purged an item: its content deleted, its shares revoked (details: the
    /// reason, how many shares and files).
    IntelPurged => "intel.purged",
}

impl EventType {
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s)
    }

    /// The event types a filter names: one type by its name, or a group's by the group's.
    pub fn parse_filter(s: &str) -> Option<Vec<Self>> {
        match EventGroup::parse(s) {
            Some(g) => Some(g.members().collect()),
            None => Self::parse(s).map(|e| vec![e]),
        }
    }
}

/// A named set of event types, offered beside the single types wherever events are
/// filtered. Group names have no dot, so they never collide with an event type's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventGroup {
    /// Everything that happens to a guest share and what its guest did with the items:
    /// `share.*` and `item.*`.
    GuestShare,
    /// Everything that happens to end-to-end encrypted secrets: `secret.*`.
    Secrets,
    /// 28 CFR Part 23: flags, disseminations, reviews and purges: `intel.*`.
    Intelligence,
}

impl EventGroup {
    pub const ALL: &'static [EventGroup] = &[
        EventGroup::GuestShare,
        EventGroup::Secrets,
        EventGroup::Intelligence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventGroup::GuestShare => "guest_share",
            EventGroup::Secrets => "secrets",
            EventGroup::Intelligence => "intelligence",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventGroup::GuestShare => "Guest share",
            EventGroup::Secrets => "Secrets",
            EventGroup::Intelligence => "Criminal intelligence",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|g| g.as_str() == s)
    }

    pub fn members(self) -> impl Iterator<Item = EventType> {
        EventType::ALL.iter().copied().filter(move |e| match self {
            EventGroup::GuestShare => {
                e.as_str().starts_with("share.") || e.as_str().starts_with("item.")
            }
            EventGroup::Secrets => e.as_str().starts_with("secret."),
            EventGroup::Intelligence => e.as_str().starts_with("intel."),
        })
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Who an event is attributed to.
#[derive(Clone, Debug)]
pub enum AuditActor<'a> {
    Staff(&'a Staff),
    /// A guest identified only by holding the link (before a portal session exists).
    LinkHolder {
        recipient_name: &'a str,
    },
    Guest(&'a Guest),
    /// A guest (or someone claiming to be one) at a partner's IdP, before a portal session.
    Federated {
        name: &'a str,
        idp_id: &'a str,
    },
    System,
}

impl AuditActor<'_> {
    fn columns(&self) -> (&'static str, Option<String>, String, String) {
        match self {
            AuditActor::Staff(s) => (
                "user",
                Some(s.user_id.clone()),
                s.name.clone(),
                s.credential.audit_label(),
            ),
            AuditActor::LinkHolder { recipient_name } => (
                "guest",
                None,
                (*recipient_name).to_owned(),
                "share_link".into(),
            ),
            AuditActor::Guest(g) => (
                "guest",
                None,
                g.recipient_name.clone(),
                match &g.idp_id {
                    Some(idp) => format!("idp:{idp} portal_session:{}", g.session_id),
                    None => format!("portal_session:{}", g.session_id),
                },
            ),
            AuditActor::Federated { name, idp_id } => {
                ("guest", None, (*name).to_owned(), format!("idp:{idp_id}"))
            }
            AuditActor::System => ("system", None, "Liaison".into(), "system".into()),
        }
    }
}

pub struct NewEvent<'a> {
    pub org_id: &'a str,
    pub event_type: EventType,
    pub actor: AuditActor<'a>,
    pub share_id: Option<&'a str>,
    pub item_id: Option<&'a str>,
    pub details: serde_json::Value,
    pub meta: &'a RequestMeta,
    pub at_ms: i64,
}

/// Appends an event inside `tx`, the transaction of the change being recorded, so the
/// change and its record commit together or not at all.
pub async fn record(tx: &mut Tx, e: NewEvent<'_>) -> store::Result<()> {
    let row = row_of(e);
    let counted = activity::Counted::of(&row);
    chain::append(tx, row).await?;
    match counted {
        Some(c) => c.count(tx).await,
        None => Ok(()),
    }
}

/// Records several events of one organisation in one go (one head update, multi-row
/// inserts), inside `tx`.
pub async fn record_many(
    tx: &mut Tx,
    org_id: &str,
    events: Vec<NewEvent<'_>>,
) -> store::Result<()> {
    let rows: Vec<AuditRow> = events.into_iter().map(row_of).collect();
    let counted: Vec<_> = rows.iter().filter_map(activity::Counted::of).collect();
    chain::append_many(tx, org_id, rows).await?;
    for c in counted {
        c.count(tx).await?;
    }
    Ok(())
}

fn row_of(e: NewEvent<'_>) -> AuditRow {
    let (actor_type, actor_id, actor_name, credential) = e.actor.columns();
    AuditRow {
        id: new_id(),
        org_id: e.org_id.to_owned(),
        seq: None,
        occurred_at: e.at_ms,
        event_type: e.event_type.as_str().to_owned(),
        actor_type: actor_type.to_owned(),
        actor_id,
        actor_name,
        credential,
        share_id: e.share_id.map(str::to_owned),
        item_id: e.item_id.map(str::to_owned),
        ip: e.meta.ip.map(|ip| ip.to_string()),
        user_agent: e.meta.user_agent.clone(),
        details: e.details.to_string(),
        prev_hash: None,
        hash: None,
    }
}

/// Records an event that is not part of any other change (a denial, a view) in its own
/// transaction.
pub async fn record_alone(db: &Db, e: NewEvent<'_>) -> store::Result<()> {
    let mut tx = db.begin().await?;
    record(&mut tx, e).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip_and_match_serde() {
        for &e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::json!(e.as_str())
            );
        }
        assert_eq!(EventType::parse("share.deleted"), None);
    }
}
