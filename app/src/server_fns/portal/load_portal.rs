use leptos::prelude::*;

use crate::types::PortalView;

/// The guest's portal: the share's items, re-checked against revocation and expiry now.
#[server]
pub async fn load_portal() -> Result<PortalView, ServerFnError> {
    use crate::ssr::{context, fail, meta, portal_cookie, set_portal_cookie};
    use crate::types::PortalItemView;
    use backend::services::portal;
    let ctx = context()?;
    let closed = |message: &str| {
        Ok(PortalView::Closed {
            message: message.to_owned(),
        })
    };
    let Some(jwt) = portal_cookie().await else {
        let _ = fail(backend::services::ServiceError::Unauthenticated(
            "no session",
        ));
        return closed("Open the link you were sent to see the shared content.");
    };
    let guest = match portal::authenticate(&ctx.core, &jwt, &meta().await).await {
        Ok(g) => g,
        Err(e) => {
            let message = e.to_string();
            let _ = fail(e);
            set_portal_cookie(None, ctx.secure_cookies);
            return closed(&message);
        }
    };
    let items = portal::items(&ctx.core, &guest).await.map_err(fail)?;
    Ok(PortalView::Open {
        recipient_name: guest.recipient_name,
        items: items
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
