use leptos::prelude::*;

use crate::types::LandingView;

/// What `/s/{token}` shows. Cheap (no PBKDF2) and counts nothing, so a mail scanner's
/// prefetch cannot use up an access. Denials carry their HTTP status (404 / 410).
#[server]
pub async fn share_landing(token: String) -> Result<LandingView, ServerFnError> {
    use crate::ssr::{context, fail, meta};
    use backend::services::{portal, ServiceError};
    let ctx = context()?;
    match portal::landing(&ctx.core, &token, &meta().await).await {
        Ok(l) => Ok(LandingView::Open {
            org_name: l.org_name,
            require_acknowledgement: l.require_acknowledgement,
        }),
        Err(ServiceError::Denied(d)) => {
            let _ = fail(ServiceError::Denied(d));
            Ok(LandingView::Denied {
                code: d.code().to_owned(),
                message: d.message().to_owned(),
            })
        }
        Err(e) => Err(fail(e)),
    }
}
