//! What live channels follow besides revocations: changes about a document (its comments,
//! who is viewing it, who is typing), changes to a staff member's standing, and the audit
//! events a staff page watches ([`Watched`]), as the bus and `NOTIFY` carry them — ids
//! only.

/// A document of an organisation, as live announcements name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRef {
    pub org_id: String,
    pub document_id: String,
}

/// What changed about a document that live channels follow. Ids only: receivers read what
/// they need from the database, as their viewer may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topic {
    /// Its comments changed: read the changes after your cursor.
    Comments,
    /// Who is viewing it changed: read its presence. `staff`: the change may concern a
    /// staff member's entry (guests, who are shown staff only, skip the others unread).
    Presence { staff: bool },
    /// Someone present (by presence id) is typing, in a thread (or a new one).
    Typing {
        presence: String,
        thread: Option<String>,
    },
}

/// A change to a followed document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentEvent {
    pub document: DocumentRef,
    pub topic: Topic,
}

/// A change to a document as this node heard it.
#[derive(Clone, Debug)]
pub struct HeardDocument {
    pub event: DocumentEvent,
    /// When this node published it: a read started since sees what it announced (it is
    /// published once committed), which lets one read serve every channel that heard it.
    pub at: std::time::Instant,
}

/// Two are equal when they announce the same change, whenever each was heard.
impl PartialEq for HeardDocument {
    fn eq(&self, other: &Self) -> bool {
        self.event == other.event
    }
}

impl Eq for HeardDocument {}

impl HeardDocument {
    /// `event`, heard now.
    pub fn now(event: DocumentEvent) -> Self {
        Self {
            event,
            at: std::time::Instant::now(),
        }
    }
}

impl DocumentEvent {
    pub fn new(org_id: &str, document_id: &str, topic: Topic) -> Self {
        Self {
            document: DocumentRef {
                org_id: org_id.to_owned(),
                document_id: document_id.to_owned(),
            },
            topic,
        }
    }

    /// `{kind}:{org}:{document}[:{staff|guest}][:{presence}:{thread or -}]` (ids never hold
    /// a colon).
    pub(super) fn payload(&self) -> String {
        let DocumentRef {
            org_id,
            document_id,
        } = &self.document;
        match &self.topic {
            // Announced by the changing transaction (`store::Committed::Comments`), which
            // says it the same way.
            Topic::Comments => format!("comments:{org_id}:{document_id}"),
            Topic::Presence { staff } => format!(
                "presence:{org_id}:{document_id}:{}",
                if *staff { "staff" } else { "guest" }
            ),
            Topic::Typing { presence, thread } => format!(
                "typing:{org_id}:{document_id}:{presence}:{}",
                thread.as_deref().unwrap_or("-")
            ),
        }
    }

    pub(super) fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        let kind = parts.next()?;
        let (org_id, document_id) = (parts.next()?, parts.next()?);
        let topic = match kind {
            "presence" => Topic::Presence {
                // Without the part (a node of the previous version), anyone's.
                staff: match parts.next() {
                    Some("staff") | None => true,
                    Some("guest") => false,
                    Some(_) => return None,
                },
            },
            "typing" => {
                let presence = parts.next()?.to_owned();
                let thread = parts.next()?;
                Topic::Typing {
                    presence,
                    thread: (thread != "-").then(|| thread.to_owned()),
                }
            }
            _ => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self::new(org_id, document_id, topic))
    }
}

/// A staff member whose standing changed (signed out, disabled, role changed, password
/// reset): their open console channels re-check their session at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRef {
    pub org_id: String,
    pub user_id: String,
}

impl StaffRef {
    pub fn of(who: &crate::actor::Staff) -> Self {
        Self {
            org_id: who.org_id.clone(),
            user_id: who.user_id.clone(),
        }
    }

    /// `staff:{org}:{user}`.
    pub(super) fn payload(&self) -> String {
        format!("staff:{}:{}", self.org_id, self.user_id)
    }

    pub(super) fn parse(payload: &str) -> Option<Self> {
        let (org_id, user_id) = payload.strip_prefix("staff:")?.split_once(':')?;
        (!user_id.contains(':')).then(|| Self {
            org_id: org_id.to_owned(),
            user_id: user_id.to_owned(),
        })
    }
}

/// Whose audit events a staff channel shows as they are appended: one organisation's,
/// about one share or about one document (its revisions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    pub org_id: String,
    pub watching: Watching,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Watching {
    Share(String),
    /// A document family and the revisions it had when last read; a new revision is
    /// heard by its family.
    Document {
        family_id: String,
        items: Vec<String>,
    },
}

impl Watched {
    /// Whether `a` may hold events this watch shows (several events at once may).
    pub fn hears(&self, a: &crate::store::audit::Appended) -> bool {
        use crate::store::audit::About;
        if a.org_id != self.org_id {
            return false;
        }
        match (&a.about, &self.watching) {
            (About::Many, _) => true,
            (About::One { share_id, .. }, Watching::Share(s)) => share_id.as_ref() == Some(s),
            (About::One { item_id, .. }, Watching::Document { items, .. }) => {
                item_id.as_ref().is_some_and(|i| items.contains(i))
            }
            (About::Revision { .. }, Watching::Share(_)) => false,
            (About::Revision { family_id, .. }, Watching::Document { family_id: f, .. }) => {
                family_id == f
            }
        }
    }
}
