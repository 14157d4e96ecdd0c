use leptos::prelude::*;

use crate::error::AppError;
use crate::types::BrandView;

/// The brand of the site the page was asked for: a portal's on its custom domain,
/// Liaison's own on the public URL (for pages that belong to no share, such as "Page not
/// found"). The disclaimer is left out.
#[server(prefix = "/api/guest")]
pub async fn site_brand() -> Result<BrandView, AppError> {
    use crate::ssr::{brand_view, context, fail, meta};
    use backend::services::portals::branding::{self, GuestBrand};
    let ctx = context()?;
    let brand = branding::for_site(&ctx.core, &meta().await?.site)
        .await
        .map_err(fail)?;
    Ok(brand_view(GuestBrand {
        disclaimer_html: String::new(),
        ..brand
    }))
}
