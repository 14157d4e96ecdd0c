//! Renewal requests in the console: the list, and approving or declining one.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::types::RenewalRowView;

#[cfg(feature = "ssr")]
pub(crate) fn renewal_row(r: backend::services::renewals::RenewalView) -> RenewalRowView {
    RenewalRowView {
        id: r.id,
        share_id: r.share_id,
        status: r.status.as_str().to_owned(),
        reason: r.reason,
        requested_at: r.requested_at,
        decided_at: r.decided_at,
        decided_by: r.decided_by,
        decision_note: r.decision_note,
        recipient_name: r.recipient_name,
        recipient_email: r.recipient_email,
        document_title: r.document_title,
        owner_name: r.owner_name,
        may_decide: r.may_decide,
    }
}

/// Every open request of the organisation (oldest first), then the latest decided.
#[server]
pub async fn list_renewals() -> Result<Vec<RenewalRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let rows = backend::services::renewals::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(rows.into_iter().map(renewal_row).collect())
}

/// The decision form, as it posts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RenewalDecisionForm {
    pub csrf: String,
    pub id: String,
    /// `approve` or `decline`.
    pub decision: String,
    /// Approving: `keep` (the expiry stays), `default` (the policy's), or a preset
    /// (`1h`, `24h`, `7d`, `14d`, `30d`) counted from now.
    #[serde(default)]
    pub expiry: String,
    /// Approving: the new access limit (0 = unlimited); blank leaves it.
    #[serde(default)]
    pub max_access_count: String,
    /// Sent to the guest.
    #[serde(default)]
    pub note: String,
}

/// Approves (with more time or more opens) or declines a renewal request.
#[server]
pub async fn decide_renewal(
    #[server(flatten)] form: RenewalDecisionForm,
) -> Result<RenewalRowView, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::renewals::{self, Grant};
    use backend::services::ServiceError;
    let ctx = context()?;
    let staff = require_staff_csrf(&form.csrf).await?;
    let meta = meta().await?;
    let decided = match form.decision.as_str() {
        "approve" => {
            let expiry = match form.expiry.trim() {
                "keep" => None,
                choice => {
                    Some(crate::server_fns::shares::form_expiry(choice, "", "").map_err(fail)?)
                }
            };
            let max_access_count =
                crate::server_fns::shares::form_access_count(&form.max_access_count)
                    .map_err(fail)?;
            let grant = Grant {
                expiry,
                max_access_count,
                note: form.note,
            };
            renewals::approve(&ctx.core, &staff, &form.id, grant, &meta).await
        }
        "decline" => renewals::decline(&ctx.core, &staff, &form.id, &form.note, &meta).await,
        _ => Err(ServiceError::Invalid {
            field: "decision",
            message: "decision must be approve or decline".into(),
        }),
    }
    .map_err(fail)?;
    Ok(renewal_row(decided))
}
