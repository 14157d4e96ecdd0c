use leptos::prelude::*;

use crate::error::AppError;
use crate::types::SecretsPageView;

/// The organisation's secrets, newest first, and the policy the create form must meet.
#[server]
pub async fn list_secrets() -> Result<SecretsPageView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::SecretRowView;
    use backend::domain::secrets::SecretRecipient;
    use backend::domain::{Action, Tlp};
    let ctx = context()?;
    let staff = require_staff().await?;
    let secrets = backend::services::secrets::list(&ctx.core, &staff, None)
        .await
        .map_err(fail)?;
    let policy = backend::services::policy::org_policy(&ctx.core, &staff.org_id)
        .await
        .map_err(fail)?;
    let revokes_any = staff.role.permits(Action::RevokeAnyShare);
    let manages_own = staff.role.permits(Action::ManageOwnShare);
    let rows = secrets
        .into_iter()
        .map(|s| SecretRowView {
            may_revoke: s.state == backend::domain::secrets::SecretState::Active
                && manages_own
                && (revokes_any || s.created_by == staff.user_id),
            id: s.id,
            kind: s.kind.label().to_owned(),
            label: s.label,
            tlp: s.tlp.label(),
            delivery: s.delivery.label().to_owned(),
            recipient: s.recipient_email,
            views: s.views,
            max_views: s.max_views,
            created_by: s.created_by_name,
            created_at: s.created_at,
            expires_at: s.expires_at,
            state: s.state.as_str().to_owned(),
        })
        .collect();
    let p = &policy.secrets;
    Ok(SecretsPageView {
        secrets: rows,
        may_create: staff.role.permits(Action::CreateShare),
        max_lifetime_hours: p.max_lifetime_hours,
        code_required_from: p.code_required_from.as_str().to_owned(),
        markings: Tlp::ALL
            .into_iter()
            .filter(|t| *t <= policy.tlp_ceiling)
            .map(|t| t.as_str().to_owned())
            .collect(),
        allow_anyone: p.recipients.contains(&SecretRecipient::Anyone),
        allow_email: p.recipients.contains(&SecretRecipient::Email),
    })
}
