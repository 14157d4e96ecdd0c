use leptos::prelude::*;

use crate::error::AppError;

use crate::types::PartnerRowView;

/// Partner organisations with their IdPs, and the organisation's own (staff) IdPs as a
/// partner-less entry (administrators).
#[server]
pub async fn list_partners() -> Result<Vec<PartnerRowView>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    use crate::types::IdpRowView;
    let idp = |i: backend::services::partners::IdpView| IdpRowView {
        detail: match &i.config {
            backend::federation::IdpConfig::Saml(c) => c.entity_id.clone(),
            backend::federation::IdpConfig::Oidc(c) => c.issuer.clone(),
        },
        attribute_map: [
            i.attribute_map.email.join(", "),
            i.attribute_map.display_name.join(", "),
            i.attribute_map.organisation.join(", "),
            i.attribute_map.groups.join(", "),
        ],
        id: i.id,
        kind: i.kind,
        name: i.name,
        enabled: i.enabled,
        sp_entity_id: i.sp_entity_id,
        sp_acs_url: i.sp_acs_url,
        redirect_uri: i.redirect_uri,
    };
    let partners = backend::services::partners::list_partners(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    let staff_idps = backend::services::partners::list_staff_idps(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    let mut rows: Vec<PartnerRowView> = partners
        .into_iter()
        .map(|p| PartnerRowView {
            id: Some(p.id),
            name: p.name,
            domains: p.domains,
            enabled: p.enabled,
            law_enforcement: p.law_enforcement,
            idps: p.identity_providers.into_iter().map(idp).collect(),
        })
        .collect();
    rows.push(PartnerRowView {
        id: None,
        name: "Staff sign-in (this organisation)".into(),
        domains: Vec::new(),
        enabled: true,
        law_enforcement: false,
        idps: staff_idps.into_iter().map(idp).collect(),
    });
    Ok(rows)
}
