// The server function takes one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

/// Adds a SAML IdP (metadata XML or URL) or an OpenID Provider (issuer, client) to a
/// partner, or with an empty `partner_id` to the organisation's own staff sign-in.
#[server]
pub async fn add_identity_provider(
    csrf: String,
    partner_id: String,
    kind: String,
    name: String,
    metadata_xml: Option<String>,
    metadata_url: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    allow_idp_initiated: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let some = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let input = backend::services::partners::IdpInput {
        kind,
        name,
        enabled: true,
        metadata_xml: some(metadata_xml),
        metadata_url: some(metadata_url),
        allow_idp_initiated: allow_idp_initiated.is_some(),
        skew_secs: None,
        issuer: some(issuer),
        client_id: some(client_id),
        client_secret: some(client_secret).map(secrecy::SecretString::from),
        scopes: None,
        attribute_map: None,
    };
    let partner = Some(partner_id).filter(|p| !p.is_empty());
    backend::services::partners::create_idp(
        &ctx.core,
        &staff,
        partner.as_deref(),
        input,
        &meta().await,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
