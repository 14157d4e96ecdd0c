use leptos::prelude::*;

use crate::error::AppError;

use crate::types::BundlesView;

/// The organisation's document packages (with their documents) and its projects as work
/// packages: what can be shared besides a single document.
#[server]
pub async fn list_packages() -> Result<BundlesView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::{PackageRowView, WorkPackageRowView};
    use backend::services::packages;
    let ctx = context()?;
    let staff = require_staff().await?;
    let list = packages::list(&ctx.core, &staff).await.map_err(fail)?;
    let work = packages::work_packages(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(BundlesView {
        packages: list
            .into_iter()
            .map(|p| PackageRowView {
                id: p.id,
                name: p.name,
                documents: p.documents,
            })
            .collect(),
        work_packages: work
            .into_iter()
            .map(|w| WorkPackageRowView {
                id: w.id,
                name: w.name,
                documents: w.documents,
            })
            .collect(),
    })
}
