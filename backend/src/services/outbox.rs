//! The organisation's mail as the console shows it. Without SMTP configured this *is* the
//! delivery: administrators read local mail here (bodies included). Sent mail shows its
//! metadata only (its body was erased on delivery).

use serde::Serialize;

use super::{rfc3339, Result, ServiceError};
use crate::actor::Staff;
use crate::store::{self, from_millis, mail::MailStatus};
use crate::Liaison;

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MailView {
    pub id: String,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub status: MailStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// The plain-text body of mail kept in the local outbox.
    pub body_text: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff, limit: i64) -> Result<Vec<MailView>> {
    super::authorize(who, crate::domain::Action::ReadOutbox)?;
    if !(1..=500).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "limit must be between 1 and 500",
        ));
    }
    Ok(store::mail::list(core.db.pool(), &who.org_id, limit)
        .await?
        .into_iter()
        .map(|row| {
            let body_text = (row.status == MailStatus::Local)
                .then(|| crate::mail::open_body(&core.sealer, &row).map(|b| b.text))
                .flatten();
            MailView {
                id: row.id,
                kind: row.kind,
                to: format!("{} <{}>", row.to_name, row.to_address),
                subject: row.subject,
                status: row.status,
                attempts: row.attempts,
                last_error: row.last_error,
                created_at: rfc3339(from_millis(row.created_at)),
                sent_at: row.sent_at.map(|t| rfc3339(from_millis(t))),
                body_text,
            }
        })
        .collect())
}
