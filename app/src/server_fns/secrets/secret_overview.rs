use leptos::prelude::*;

use crate::error::AppError;
use crate::types::SecretPageView;

/// What `/secret/{token}` shows before the reveal. Takes no view and sets no cookie, so a
/// mail scanner's prefetch cannot use a view up. A link that names nothing, or a secret
/// that is gone, carries its HTTP status (404, 410).
#[server(prefix = "/api/guest")]
pub async fn secret_overview(token: String) -> Result<SecretPageView, AppError> {
    use crate::ssr::{brand_view, context, fail, fail_view, meta};
    use crate::types::{SecretPageState, SecretReadyView};
    use backend::domain::secrets::SecretState;
    use backend::domain::{Denial, Tlp};
    use backend::services::portals::branding::{self, GuestBrand};
    use backend::services::secrets::reveal;
    use backend::services::{rfc3339, ServiceError};
    let ctx = context()?;
    let meta = meta().await?;
    let brand = branding::for_site(&ctx.core, &meta.site)
        .await
        .map_err(fail)?;
    let brand = brand_view(GuestBrand {
        disclaimer_html: String::new(),
        ..brand
    });
    let gone = |code: &str, message: &str| SecretPageState::Gone {
        code: code.to_owned(),
        message: message.to_owned(),
    };
    let state = match reveal::overview(&ctx.core, &token, &meta).await {
        Ok(o) if o.state == SecretState::Active => SecretPageState::Ready(SecretReadyView {
            organisation: o.organisation,
            kind: o.kind.as_str().to_owned(),
            kind_label: o.kind.with_article().to_owned(),
            tlp: if o.tlp == Tlp::Clear {
                String::new()
            } else {
                o.tlp.label()
            },
            access_code: o.delivery == backend::domain::secrets::Delivery::AccessCode,
            salt: o.salt.as_deref().map(crate::secret_client::b64url),
            views_left: o.views_left,
            max_views: o.max_views,
            expires_at: rfc3339(backend::store::from_millis(o.expires_at_ms)),
        }),
        Ok(o) => {
            fail_view(ServiceError::Denied(Denial::SecretGone));
            gone(
                &format!("secret_{}", o.state.as_str()),
                o.state.gone_message().unwrap_or_default(),
            )
        }
        Err(ServiceError::Denied(d)) => {
            fail_view(ServiceError::Denied(d));
            gone(
                d.code(),
                "This link does not lead to a secret. Check that you copied all of it.",
            )
        }
        Err(e) => return Err(fail(e)),
    };
    Ok(SecretPageView { brand, state })
}
