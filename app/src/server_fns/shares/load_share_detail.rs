use leptos::prelude::*;

use crate::error::AppError;

use crate::types::ShareDetailView;

/// One share with the browsers bound to it and the recipient's responses.
#[server]
pub async fn load_share_detail(id: String) -> Result<ShareDetailView, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::{AttachmentRowView, DeviceRowView, ResponseRowView};
    use backend::services::{responses, shares};
    let ctx = context()?;
    let staff = require_staff().await?;
    let share = shares::get(&ctx.core, &staff, &id).await.map_err(fail)?;
    let devices = shares::devices(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    let answers = responses::for_share(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    let renewals = backend::services::renewals::for_share(&ctx.core, &staff, &id)
        .await
        .map_err(fail)?;
    let settings = share.settings.clone();
    Ok(ShareDetailView {
        share: super::share_row(share),
        permission: settings.permission.as_str().to_owned(),
        allow_download: settings.allow_download,
        allow_print: settings.allow_print,
        watermark: settings.watermark,
        approved_devices_only: settings.approved_devices_only,
        devices: devices
            .into_iter()
            .map(|d| DeviceRowView {
                id: d.id,
                status: d.status.as_str().to_owned(),
                first_seen_at: d.first_seen_at,
                last_seen_at: d.last_seen_at,
                ip: d.ip,
                user_agent: d.user_agent,
            })
            .collect(),
        responses: answers
            .into_iter()
            .map(|r| ResponseRowView {
                decision: r.decision.as_str().to_owned(),
                comment: r.comment,
                created_at: r.created_at,
                attachments: r
                    .attachments
                    .into_iter()
                    .map(|a| AttachmentRowView {
                        id: a.id,
                        file_name: a.file_name,
                        size_bytes: a.size_bytes,
                        sha256: a.sha256,
                    })
                    .collect(),
            })
            .collect(),
        renewals: renewals
            .into_iter()
            .map(crate::server_fns::renewals::renewal_row)
            .collect(),
    })
}
