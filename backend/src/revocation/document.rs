//! What live channels follow besides revocations: changes about a document (its comments,
//! who is viewing it, who is typing) and changes to a staff member's standing, as the bus
//! and `NOTIFY` carry them — ids only.

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
    /// Who is viewing it changed: read its presence.
    Presence,
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

    /// `{kind}:{org}:{document}[:{presence}:{thread or -}]` (ids never hold a colon).
    pub(super) fn payload(&self) -> String {
        let DocumentRef {
            org_id,
            document_id,
        } = &self.document;
        match &self.topic {
            Topic::Comments => format!("comments:{org_id}:{document_id}"),
            Topic::Presence => format!("presence:{org_id}:{document_id}"),
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
            "comments" => Topic::Comments,
            "presence" => Topic::Presence,
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
