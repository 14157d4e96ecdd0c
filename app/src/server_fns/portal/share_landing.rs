use leptos::prelude::*;

use crate::error::AppError;

use crate::types::LandingView;

/// What `/s/{token}` shows. Cheap (no PBKDF2), counts nothing and sets no cookie, so a mail
/// scanner's prefetch cannot use up an access. Denials carry their HTTP status.
#[server]
pub async fn share_landing(token: String) -> Result<LandingView, AppError> {
    use crate::ssr::{brand_view, context, device_cookie, fail, meta};
    use backend::services::{access, ServiceError};
    let ctx = context()?;
    let device = device_cookie().await;
    match access::landing(&ctx.core, &token, device.as_ref(), &meta().await).await {
        Ok(l) => Ok(LandingView::Open {
            brand: brand_view(l.brand),
            org_name: l.org_name,
            tlp: l.tlp,
            needs_password: l.needs_password,
            needs_code: l.needs_code,
            require_acknowledgement: l.require_acknowledgement,
            terms: l.terms.map(|t| (t.version, t.body)),
            federation: l.federation.map(|f| crate::types::FederationView {
                partner_name: f.partner_name,
                idps: f.idps,
                signed_in_as: f.signed_in_as,
            }),
        }),
        Err(ServiceError::Denied(d)) => {
            let _ = fail(ServiceError::Denied(d));
            let brand = access::brand_for_link(&ctx.core, &token)
                .await
                .map_err(fail)?;
            Ok(LandingView::Denied {
                brand: brand_view(brand),
                code: d.code().to_owned(),
                message: d.message().to_owned(),
            })
        }
        Err(e) => Err(fail(e)),
    }
}
