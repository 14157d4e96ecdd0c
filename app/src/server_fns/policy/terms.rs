use leptos::prelude::*;

use crate::error::AppError;

use crate::types::TermsPageView;

/// The legal terms page: the versions and who accepted which.
#[server]
pub async fn load_terms_page() -> Result<TermsPageView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let versions = backend::services::policy::all_terms(&ctx.core, &staff)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|t| crate::types::TermsView {
            id: t.id,
            version: t.version,
            body: t.body,
            sha256: t.sha256,
        })
        .collect();
    let acceptances = backend::services::policy::terms_acceptances(&ctx.core, &staff)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|a| crate::types::TermsAcceptanceView {
            version: a.version,
            share_id: a.share_id,
            recipient_name: a.recipient_name,
            recipient_email: a.recipient_email,
            accepted_at: a.accepted_at,
        })
        .collect();
    Ok(TermsPageView {
        versions,
        acceptances,
    })
}

/// Publishes a new version (versions never change: a change is a new version).
#[server]
pub async fn publish_terms(csrf: String, version: String, body: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::policy::publish_terms(&ctx.core, &staff, &version, &body, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
