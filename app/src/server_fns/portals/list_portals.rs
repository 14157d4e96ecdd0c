use leptos::prelude::*;

use crate::error::AppError;

use crate::types::PortalRowView;

/// The organisation's portals (the default one first) with their brand and active members.
#[server]
pub async fn list_portals() -> Result<Vec<PortalRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    use crate::types::{BrandingFormView, DomainRowView};
    let ctx = context()?;
    let staff = require_staff().await?;
    let portals = backend::services::portals::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    let domains = backend::services::portals::domains::list(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    Ok(portals
        .into_iter()
        .map(|p| {
            let b = p.branding;
            PortalRowView {
                domains: domains
                    .iter()
                    .filter(|d| d.portal_id == p.id)
                    .map(|d| DomainRowView {
                        id: d.id.clone(),
                        domain: d.domain.clone(),
                        status: d.status.as_str().to_owned(),
                        txt_name: d.txt_name.clone(),
                        txt_value: d.txt_value.clone(),
                    })
                    .collect(),
                id: p.id,
                name: p.name,
                is_default: p.is_default,
                branding: BrandingFormView {
                    display_name: b.display_name,
                    primary: b.primary,
                    accent: b.accent,
                    background: b.background,
                    disclaimer: b.disclaimer,
                    support_contact: b.support_contact,
                    footer_links_text: b
                        .footer_links
                        .into_iter()
                        .map(|l| format!("{} | {}", l.label, l.url))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    terms_id: b.terms_id.unwrap_or_default(),
                    logo_url: b.logo_url,
                },
                members: p.members.into_iter().map(member_view).collect(),
                member_domains_text: p.member_domains.join("\n"),
            }
        })
        .collect())
}

/// (id, "version N") of the organisation's legal terms, for the portal form's choice.
#[server]
pub async fn list_terms_choices() -> Result<Vec<(String, String)>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    Ok(backend::services::policy::all_terms(&ctx.core, &staff)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|t| (t.id, format!("Version {}", t.version)))
        .collect())
}

/// A member as the console and a manager's home show them.
#[cfg(feature = "ssr")]
pub(crate) fn member_view(
    m: backend::services::portals::MemberView,
) -> crate::types::PortalMemberView {
    crate::types::PortalMemberView {
        id: m.id,
        name: m.name,
        email: m.email,
        role: m.role.as_str().to_owned(),
        expires_on: m.expires_at.and_then(|e| e.get(..10).map(str::to_owned)),
        added_by_manager: m.added_by_manager,
    }
}
