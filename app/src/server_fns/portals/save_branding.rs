use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The portal brand form, as it posts. Footer links arrive one per line as
/// "Label | https://…".
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BrandingForm {
    pub csrf: String,
    pub portal_id: String,
    pub display_name: String,
    pub primary: String,
    pub accent: String,
    pub background: String,
    pub disclaimer: String,
    pub support_contact: String,
    pub footer_links_text: String,
    pub terms_id: String,
}

/// Replaces a portal's brand and terms (administrators). Every field is checked by the
/// service; a refusal names its field.
#[server]
pub async fn save_branding(#[server(flatten)] form: BrandingForm) -> Result<(), AppError> {
    use backend::domain::branding::FooterLink;
    use backend::services::portals::branding::{self, BrandingInput};
    use backend::services::ServiceError;

    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&form.csrf).await?;
    let mut footer_links = Vec::new();
    for line in form
        .footer_links_text
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let Some((label, url)) = line.split_once('|') else {
            return Err(fail(ServiceError::Invalid {
                field: "footer_links",
                message: format!("{line:?} is not \"Label | https://…\""),
            }));
        };
        footer_links.push(FooterLink {
            label: label.trim().to_owned(),
            url: url.trim().to_owned(),
        });
    }
    let input = BrandingInput {
        display_name: form.display_name,
        primary: form.primary,
        accent: form.accent,
        background: form.background,
        disclaimer: form.disclaimer,
        support_contact: form.support_contact,
        footer_links,
        terms_id: Some(form.terms_id).filter(|t| !t.is_empty()),
    };
    branding::set(&ctx.core, &staff, &form.portal_id, &input, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
