//! Reading the audit trail (admins and auditors).

use serde::Serialize;

use super::{rfc3339, Result, ServiceError};
use crate::actor::Staff;
use crate::audit::EventType;
use crate::store::{self, audit::AuditQuery};
use crate::Liaison;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AuditActorView {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub name: String,
    pub credential: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AuditEventView {
    pub id: String,
    pub occurred_at: String,
    pub event_type: String,
    pub actor: AuditActorView,
    pub share_id: Option<String>,
    pub item_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub share_id: Option<String>,
    pub event_type: Option<String>,
    pub limit: Option<i64>,
}

pub async fn list(core: &Liaison, who: &Staff, f: AuditFilter) -> Result<Vec<AuditEventView>> {
    if !who.role.can_read_audit() {
        return Err(ServiceError::Forbidden(
            "Your role may not read the audit log.",
        ));
    }
    if let Some(t) = &f.event_type {
        if EventType::parse(t).is_none() {
            return Err(ServiceError::invalid(
                "event_type",
                format!("unknown event type {t:?}"),
            ));
        }
    }
    let limit = f.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    let q = AuditQuery {
        share_id: f.share_id,
        event_type: f.event_type,
        before: None,
        limit,
    };
    let rows = store::audit::list(core.db.pool(), &who.org_id, &q).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEventView {
            occurred_at: rfc3339(store::from_millis(r.occurred_at)),
            actor: AuditActorView {
                kind: r.actor_type,
                id: r.actor_id,
                name: r.actor_name,
                credential: r.credential,
            },
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            id: r.id,
            event_type: r.event_type,
            share_id: r.share_id,
            item_id: r.item_id,
            ip: r.ip,
            user_agent: r.user_agent,
        })
        .collect())
}
