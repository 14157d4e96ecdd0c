use leptos::prelude::*;

use crate::error::AppError;

use crate::types::LandingView;

/// What `/s/{token}` shows. Cheap (no PBKDF2), counts nothing and sets no cookie, so a mail
/// scanner's prefetch cannot use up an access. Denials carry their HTTP status.
#[server(prefix = "/api/guest")]
pub async fn share_landing(token: String) -> Result<LandingView, AppError> {
    use crate::ssr::{brand_view, context, device_cookie, fail, fail_view, meta};
    use backend::services::{access, ServiceError};
    let ctx = context()?;
    let meta = meta().await?;
    let device = device_cookie(ctx.core.settings.secure_cookies_on(&meta.site)).await;
    match access::landing(&ctx.core, &token, device.as_ref(), &meta).await {
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
            fail_view(ServiceError::Denied(d));
            let brand = access::brand_for_link(&ctx.core, &token, &meta.site)
                .await
                .map_err(fail)?;
            Ok(LandingView::Denied {
                brand: brand_view(brand),
                code: d.code().to_owned(),
                message: d.message().to_owned(),
                may_ask_more_time: matches!(
                    d,
                    backend::domain::Denial::Expired | backend::domain::Denial::AccessCountExceeded
                ),
            })
        }
        Err(e) => Err(fail(e)),
    }
}
