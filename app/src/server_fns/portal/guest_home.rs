use leptos::prelude::*;

use crate::error::AppError;
use crate::types::HomeView;

/// The guest's home, "Shared with you": the shares of the recipient this session proves,
/// standing now, in the site's brand. Without a session: `Closed`, as the portal page.
#[server(prefix = "/api/guest")]
pub async fn load_home() -> Result<HomeView, AppError> {
    use crate::server_fns::portals::member_view;
    use crate::ssr::{brand_view, context, cookie_guest, fail, fail_view, meta};
    use crate::types::{HomeGroupView, HomeShareView, ManagerView};
    use backend::services::access;
    use backend::services::portals::branding::{self, GuestBrand};
    let ctx = context()?;
    let meta = meta().await?;
    let Some(Ok(guest)) = cookie_guest(&ctx.core, &meta).await else {
        // The page says so with a 401, as the portal page does.
        fail_view(backend::services::ServiceError::Unauthenticated(
            "no session",
        ));
        let brand = branding::for_site(&ctx.core, &meta.site)
            .await
            .map_err(fail)?;
        return Ok(HomeView::Closed {
            brand: brand_view(GuestBrand {
                disclaimer_html: String::new(),
                ..brand
            }),
        });
    };
    let home = access::home(&ctx.core, &guest, &meta).await.map_err(fail)?;
    let brand = access::brand_for_guest(&ctx.core, &guest)
        .await
        .map_err(fail)?;
    Ok(HomeView::Open {
        brand: brand_view(GuestBrand {
            disclaimer_html: String::new(),
            ..brand
        }),
        recipient_name: home.recipient_name,
        recipient_email: home.recipient_email,
        proven: home.proven,
        groups: home
            .groups
            .into_iter()
            .map(|g| HomeGroupView {
                section: g.section,
                shares: g
                    .shares
                    .into_iter()
                    .map(|s| HomeShareView {
                        share_id: s.share_id,
                        title: s.title,
                        tlp: s.tlp,
                        expires_at: s.expires_at,
                        current: s.current,
                        acknowledge: s.acknowledge,
                        respond: s.respond,
                    })
                    .collect(),
            })
            .collect(),
        manager: home.manager.map(|m| ManagerView {
            domains: m.domains,
            added: m.added.into_iter().map(member_view).collect(),
        }),
    })
}

/// A portal's manager adds a member (from the portal's member domains) from their home.
#[server(prefix = "/api/guest")]
pub async fn add_member_as_manager(name: String, email: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    backend::services::access::add_member(&ctx.core, &guest, &name, &email, &meta)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Opens a share from the home: the browser goes to its link, whose landing asks for
/// whatever that share asks (code, password, acknowledgement). Only a share the home lists.
#[server(prefix = "/api/guest")]
pub async fn open_from_home(share_id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    use backend::services::access;
    use secrecy::ExposeSecret;
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    let link = access::link_from_home(&ctx.core, &guest, &share_id, &meta)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(link.expose_secret());
    Ok(())
}

/// Signs the guest out here, or with `everywhere` in every browser (every session of theirs
/// in the organisation), and clears the session cookie.
#[server(prefix = "/api/guest")]
pub async fn sign_out_guest(everywhere: Option<String>) -> Result<(), AppError> {
    use crate::ssr::{context, cookie_guest, fail, meta, set_portal_cookie};
    use backend::services::access;
    let ctx = context()?;
    let meta = meta().await?;
    let secure = ctx.core.settings.secure_cookies_on(&meta.site);
    match cookie_guest(&ctx.core, &meta).await.and_then(Result::ok) {
        Some(guest) => access::sign_out(&ctx.core, &guest, everywhere.is_some(), &meta)
            .await
            .map_err(fail)?,
        // Signing out everywhere needs a session that says who the guest is: never
        // claim it happened when it could not.
        None if everywhere.is_some() => {
            return Err(fail(backend::services::ServiceError::Unauthenticated(
                "Your session has already ended here, so it cannot sign you out elsewhere: \
                 open the link you were sent, then sign out everywhere.",
            )))
        }
        // A session that is already over needs no ending; the cookie is cleared anyway.
        None => {}
    }
    set_portal_cookie(None, secure);
    leptos_axum::redirect(if everywhere.is_some() {
        "/portal?signed_out=everywhere"
    } else {
        "/portal?signed_out=1"
    });
    Ok(())
}
