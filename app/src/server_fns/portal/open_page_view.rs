use leptos::prelude::*;

use crate::error::AppError;
use crate::types::PageViewInfo;

/// Opens a shared document in the protected viewer: its pages' sizes and the view the page
/// images are asked under (audited as a view).
#[server(prefix = "/api/guest")]
pub async fn open_page_view(item_id: String) -> Result<PageViewInfo, AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    use backend::services::access;
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    let v = access::open_view(&ctx.core, &guest, &item_id, &meta)
        .await
        .map_err(fail)?;
    Ok(PageViewInfo {
        view: v.view,
        pages: v.pages.iter().map(|p| (p.width, p.height)).collect(),
        watermark: v.watermark,
    })
}
