use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The "Add an identity provider" form, as it posts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IdpForm {
    pub csrf: String,
    pub partner_id: String,
    pub kind: String,
    pub name: String,
    pub metadata_xml: Option<String>,
    pub metadata_url: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub allow_idp_initiated: Option<String>,
}

/// Adds a SAML IdP (metadata XML or URL) or an OpenID Provider (issuer, client) to a
/// partner, or with an empty `partner_id` to the organisation's own staff sign-in.
#[server]
pub async fn add_identity_provider(#[server(flatten)] form: IdpForm) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let IdpForm {
        csrf,
        partner_id,
        kind,
        name,
        metadata_xml,
        metadata_url,
        issuer,
        client_id,
        client_secret,
        allow_idp_initiated,
    } = form;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let some = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let input = backend::services::partners::IdpInput {
        kind,
        name,
        enabled: true,
        metadata_xml: some(metadata_xml),
        metadata_url: some(metadata_url),
        allow_idp_initiated: crate::server_fns::ticked(&allow_idp_initiated),
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
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
