use leptos::prelude::*;

use crate::error::AppError;

use crate::types::PortalView;

/// The guest's portal: the share's items, re-checked against revocation and expiry now.
#[server]
pub async fn load_portal() -> Result<PortalView, AppError> {
    use crate::ssr::{brand_view, context, fail, meta, portal_cookie, set_portal_cookie};
    use crate::types::PortalItemView;
    use backend::services::access;
    use backend::services::portals::branding::GuestBrand;
    let ctx = context()?;
    let closed = |message: &str| {
        Ok(PortalView::Closed {
            brand: brand_view(GuestBrand::liaison()),
            message: message.to_owned(),
        })
    };
    let Some(jwt) = portal_cookie().await else {
        let _ = fail(backend::services::ServiceError::Unauthenticated(
            "no session",
        ));
        return closed("Open the link you were sent to see the shared content.");
    };
    let guest = match access::authenticate(&ctx.core, &jwt, &meta().await).await {
        Ok(g) => g,
        Err(e) => {
            let message = e.to_string();
            let _ = fail(e);
            set_portal_cookie(None, ctx.secure_cookies);
            return closed(&message);
        }
    };
    let o = access::overview(&ctx.core, &guest).await.map_err(fail)?;
    let brand = access::brand_for_guest(&ctx.core, &guest)
        .await
        .map_err(fail)?;
    let watermark = o.watermark.then(|| {
        format!(
            "{} · {} · {} · {}",
            o.recipient_name,
            o.recipient_email,
            backend::services::rfc3339(ctx.core.now()),
            o.share_id
        )
    });
    let responses = backend::services::responses::mine(&ctx.core, &guest)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|r| {
            (
                r.decision.as_str().replace('_', " "),
                r.comment,
                r.created_at,
            )
        })
        .collect();
    Ok(PortalView::Open {
        brand: brand_view(brand),
        can_respond: o.permission >= backend::domain::Permission::Comment,
        can_attach: o.permission >= backend::domain::Permission::Edit,
        responses,
        recipient_name: o.recipient_name,
        watermark,
        tlp: o.tlp,
        instructions: o.instructions,
        allow_download: o.allow_download,
        allow_print: o.allow_print,
        items: o
            .items
            .into_iter()
            .map(|i| PortalItemView {
                id: i.id,
                title: i.title,
                file_name: i.file_name,
                content_type: i.content_type,
                size_bytes: i.size_bytes,
            })
            .collect(),
    })
}
