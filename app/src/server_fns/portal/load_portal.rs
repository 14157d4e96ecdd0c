use leptos::prelude::*;

use crate::error::AppError;

use crate::types::PortalView;

/// The guest's portal: the share's items, re-checked against revocation and expiry now.
#[server(prefix = "/api/guest")]
pub async fn load_portal() -> Result<PortalView, AppError> {
    use crate::ssr::{brand_view, context, cookie_guest, fail, fail_view, meta, set_portal_cookie};
    use crate::types::PortalItemView;
    use backend::services::access;
    use backend::services::portals::branding::{self, GuestBrand};
    let ctx = context()?;
    let meta = meta().await?;
    // Without a session, the page is in the site's brand: the portal's on its domain.
    let closed = |message: String| async {
        let brand = branding::for_site(&ctx.core, &meta.site)
            .await
            .map_err(fail)?;
        Ok(PortalView::Closed {
            brand: brand_view(GuestBrand {
                disclaimer_html: String::new(),
                ..brand
            }),
            message,
        })
    };
    let guest = match cookie_guest(&ctx.core, &meta).await {
        Some(Ok(g)) => g,
        None => {
            fail_view(backend::services::ServiceError::Unauthenticated(
                "no session",
            ));
            return closed("Open the link you were sent to see the shared content.".into()).await;
        }
        Some(Err(e)) => {
            let message = e.to_string();
            fail_view(e);
            set_portal_cookie(None, ctx.core.settings.secure_cookies_on(&meta.site));
            return closed(message).await;
        }
    };
    let o = access::overview(&ctx.core, &guest).await.map_err(fail)?;
    let brand = access::brand_for_guest(&ctx.core, &guest)
        .await
        .map_err(fail)?;
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
    let record = access::shared_record(&ctx.core, &guest, &meta)
        .await
        .map_err(fail)?
        .map(|g| Box::new(crate::server_fns::records::shared_record_view(g)));
    let mut items = Vec::with_capacity(o.items.len());
    for i in o.items {
        // Comments are on shared documents; a record's documents have none.
        let comments = match record {
            Some(_) => None,
            None => Some(crate::server_fns::comments::mirror(
                backend::services::comments::for_guest(&ctx.core, &guest, &i.id, 0)
                    .await
                    .map_err(fail)?,
            )?),
        };
        items.push(PortalItemView {
            comments,
            id: i.id,
            title: i.title,
            file_name: i.file_name,
            content_type: i.content_type,
            size_bytes: i.size_bytes,
            sha256: i.sha256,
            revised: i.revised,
        });
    }
    Ok(PortalView::Open {
        share_id: guest.share_id.clone(),
        brand: brand_view(brand),
        can_respond: o.permission >= backend::domain::Permission::Comment,
        can_attach: o.permission >= backend::domain::Permission::Edit,
        responses,
        recipient_name: o.recipient_name,
        tlp: o.tlp,
        instructions: o.instructions,
        allow_download: o.allow_download,
        allow_print: o.allow_print,
        record,
        items,
    })
}
