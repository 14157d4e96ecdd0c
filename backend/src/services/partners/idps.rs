//! A partner's (or the organisation's own) identity providers: SAML from metadata, OIDC
//! from discovery; attribute mapping; "test connection".

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::clean_name;
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::federation::{oidc::OidcIdpConfig, saml, AttributeMap, IdpConfig, LoginPurpose};
use crate::services::{Result, ServiceError};
use crate::store::{self, new_id, partners::IdpRow};
use crate::Liaison;

/// An IdP as the API shows it (never the client secret).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IdpView {
    pub id: String,
    /// `null`: the organisation's own staff IdP.
    pub partner_id: Option<String>,
    /// `saml` or `oidc`.
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub config: IdpConfig,
    pub attribute_map: AttributeMap,
    pub has_client_secret: bool,
    /// SAML: what to register at the IdP.
    pub sp_entity_id: Option<String>,
    pub sp_acs_url: Option<String>,
    /// OIDC: the redirect URI to register at the provider.
    pub redirect_uri: Option<String>,
    /// SAML: the certificate our AuthnRequests are signed with (base64 DER).
    pub sp_certificate: Option<String>,
}

/// A new or changed IdP. SAML takes metadata (XML or URL); OIDC takes issuer and client.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdpInput {
    /// `saml` or `oidc` (an IdP's protocol cannot change).
    #[schema(example = "oidc")]
    pub kind: String,
    /// 1 to 200 characters.
    pub name: String,
    /// `false`: the IdP starts and finishes no sign-in.
    #[serde(default = "super::yes")]
    #[schema(default = true)]
    pub enabled: bool,
    /// SAML: the IdP's metadata document (or give `metadata_url`).
    #[serde(default)]
    pub metadata_xml: Option<String>,
    /// SAML: where to fetch the IdP's metadata (or give `metadata_xml`).
    #[serde(default)]
    pub metadata_url: Option<String>,
    /// SAML: accept sign-ins the IdP starts itself.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Clock skew tolerated on the IdP's timestamps, in seconds.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 600)]
    pub skew_secs: Option<i64>,
    /// OIDC: the issuer URL (discovered at once: it must answer).
    #[serde(default)]
    pub issuer: Option<String>,
    /// OIDC: the client id registered at the provider.
    #[serde(default)]
    pub client_id: Option<String>,
    /// OIDC: the client secret, sealed and never returned (absent on a change: kept).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub client_secret: Option<SecretString>,
    /// OIDC: the scopes to ask for (default `openid email profile`).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Which attributes or claims give the email, name, organisation and groups (absent
    /// on a change: kept; on a new IdP: common names).
    #[serde(default)]
    pub attribute_map: Option<AttributeMap>,
}

const MAX_SKEW_SECS: i64 = 600;

pub(super) fn idp_view(core: &Liaison, i: IdpRow) -> Result<IdpView> {
    let config: IdpConfig = serde_json::from_str(&i.config)
        .map_err(|e| ServiceError::internal_while(format!("IdP {} config", i.id), e))?;
    let attribute_map: AttributeMap = serde_json::from_str(&i.attribute_map)
        .map_err(|e| ServiceError::internal_while(format!("IdP {} attribute map", i.id), e))?;
    let sp = saml::SpEndpoints::for_idp(&core.settings.issuer(), &i.id);
    let is_saml = i.kind == "saml";
    Ok(IdpView {
        sp_entity_id: is_saml.then(|| sp.entity_id.clone()),
        sp_acs_url: is_saml.then(|| sp.acs_url.clone()),
        redirect_uri: (!is_saml).then(|| format!("{}/auth/oidc/callback", core.settings.issuer())),
        has_client_secret: i.client_secret_sealed.is_some(),
        sp_certificate: i.sp_cert.clone(),
        enabled: i.disabled_at.is_none(),
        id: i.id,
        partner_id: i.partner_id,
        kind: i.kind,
        name: i.name,
        config,
        attribute_map,
    })
}

/// Builds (and checks) an IdP configuration from the input: SAML metadata is parsed (a URL
/// is fetched through the outbound guard); an OIDC issuer is discovered.
async fn idp_config(core: &Liaison, input: &IdpInput) -> Result<IdpConfig> {
    let skew = input.skew_secs;
    if skew.is_some_and(|s| !(0..=MAX_SKEW_SECS).contains(&s)) {
        return Err(ServiceError::invalid(
            "skew_secs",
            format!("the clock skew must be between 0 and {MAX_SKEW_SECS} seconds"),
        ));
    }
    match input.kind.as_str() {
        "saml" => {
            let xml = match (&input.metadata_xml, &input.metadata_url) {
                (Some(xml), None) => xml.clone(),
                (None, Some(url)) => {
                    let url = Url::parse(url)
                        .map_err(|_| ServiceError::invalid("metadata_url", "not a URL"))?;
                    core.outbound
                        .get_text(&url)
                        .await
                        .map_err(|e| ServiceError::invalid("metadata_url", e.to_string()))?
                }
                _ => {
                    return Err(ServiceError::invalid(
                        "metadata_xml",
                        "give the IdP's metadata as metadata_xml or metadata_url (one of them)",
                    ))
                }
            };
            let mut cfg = saml::config_from_metadata(&xml)
                .map_err(|e| ServiceError::invalid("metadata_xml", e.to_string()))?;
            cfg.allow_idp_initiated = input.allow_idp_initiated;
            cfg.skew_secs = skew;
            Ok(IdpConfig::Saml(cfg))
        }
        "oidc" => {
            let issuer = input
                .issuer
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    ServiceError::invalid("issuer", "the OIDC issuer URL is required")
                })?;
            let client_id = input
                .client_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ServiceError::invalid("client_id", "the client id is required"))?;
            // Discovery proves the issuer answers and names itself correctly.
            crate::federation::oidc::discover(&core.outbound, issuer)
                .await
                .map_err(|e| ServiceError::invalid("issuer", e.to_string()))?;
            Ok(IdpConfig::Oidc(OidcIdpConfig {
                issuer: issuer.to_owned(),
                client_id: client_id.to_owned(),
                scopes: input
                    .scopes
                    .clone()
                    .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]),
                skew_secs: skew,
            }))
        }
        _ => Err(ServiceError::invalid(
            "kind",
            "kind must be \"saml\" or \"oidc\"",
        )),
    }
}

/// Adds an IdP to a partner, or with `partner_id = None` the organisation's own staff IdP.
#[tracing::instrument(skip_all)]
pub async fn create_idp(
    core: &Liaison,
    who: &Staff,
    partner_id: Option<&str>,
    input: IdpInput,
    meta: &RequestMeta,
) -> Result<IdpView> {
    crate::services::authorize(who, crate::domain::Action::ManagePartners)?;
    if let Some(p) = partner_id {
        store::partners::get_partner(core.db.pool(), &who.org_id, p)
            .await?
            .ok_or(ServiceError::NotFound("partner"))?;
    }
    let name = clean_name(&input.name, "name")?;
    let config = idp_config(core, &input).await?;
    let id = new_id();
    let now = core.now_ms();
    // SAML: this connection's own SP signing key, sealed; its certificate is public.
    let (sp_key_sealed, sp_cert) = match &config {
        IdpConfig::Saml(_) => {
            let sp = saml::SpEndpoints::for_idp(&core.settings.issuer(), &id);
            let (der, cert) = saml::generate_sp_key(&sp.entity_id)?;
            (
                Some(
                    core.sealer
                        .seal(&crate::services::federation::sp_key_context(&id), &der),
                ),
                Some(cert),
            )
        }
        IdpConfig::Oidc(_) => (None, None),
    };
    let row = IdpRow {
        sp_key_sealed,
        sp_cert,
        client_secret_sealed: input.client_secret.as_ref().map(|s| {
            core.sealer.seal(
                &crate::services::federation::secret_context(&id),
                s.expose_secret().as_bytes(),
            )
        }),
        id,
        org_id: who.org_id.clone(),
        partner_id: partner_id.map(str::to_owned),
        kind: config.kind().into(),
        name,
        config: serde_json::to_string(&config).map_err(ServiceError::internal)?,
        attribute_map: serde_json::to_string(
            &input
                .attribute_map
                .clone()
                .map(clean_attribute_map)
                .transpose()?
                .unwrap_or_default(),
        )
        .map_err(ServiceError::internal)?,
        created_at: now,
        updated_at: now,
        disabled_at: (!input.enabled).then_some(now),
    };
    let mut tx = core.db.begin().await?;
    store::partners::insert_idp(&mut *tx, &row).await?;
    crate::services::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::IdentityProviderChanged,
        json!({ "idp": row.id, "action": "created", "partner": row.partner_id, "kind": row.kind, "name": row.name }),
        meta,
    )
    .await?;
    tx.commit().await?;
    idp_view(core, row)
}

/// Replaces an IdP's configuration (a new client secret only when one is given).
#[tracing::instrument(skip_all)]
pub async fn update_idp(
    core: &Liaison,
    who: &Staff,
    id: &str,
    input: IdpInput,
    meta: &RequestMeta,
) -> Result<IdpView> {
    crate::services::authorize(who, crate::domain::Action::ManagePartners)?;
    let existing = store::partners::get_idp(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("identity provider"))?;
    if input.kind != existing.kind {
        return Err(ServiceError::invalid(
            "kind",
            "the protocol of an IdP cannot change; add a new one",
        ));
    }
    let name = clean_name(&input.name, "name")?;
    let config = idp_config(core, &input).await?;
    let now = core.now_ms();
    let row = IdpRow {
        client_secret_sealed: match &input.client_secret {
            Some(s) => Some(core.sealer.seal(
                &crate::services::federation::secret_context(id),
                s.expose_secret().as_bytes(),
            )),
            None => existing.client_secret_sealed.clone(),
        },
        name,
        config: serde_json::to_string(&config).map_err(ServiceError::internal)?,
        // Absent: the mapping stays as it is.
        attribute_map: match input.attribute_map.clone() {
            Some(map) => {
                serde_json::to_string(&clean_attribute_map(map)?).map_err(ServiceError::internal)?
            }
            None => existing.attribute_map.clone(),
        },
        updated_at: now,
        disabled_at: if input.enabled {
            None
        } else {
            existing.disabled_at.or(Some(now))
        },
        ..existing
    };
    let mut tx = core.db.begin().await?;
    store::partners::update_idp(&mut *tx, &row).await?;
    if !input.enabled {
        super::recheck_guests(&mut tx, &who.org_id);
    }
    crate::services::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::IdentityProviderChanged,
        json!({ "idp": id, "action": "updated", "name": row.name, "enabled": input.enabled }),
        meta,
    )
    .await?;
    tx.commit().await?;
    idp_view(core, row)
}

/// Replaces an IdP's attribute mapping (which attributes or claims give email, name,
/// organisation, groups); effective on the next sign-in.
#[tracing::instrument(skip_all)]
pub async fn set_attribute_map(
    core: &Liaison,
    who: &Staff,
    id: &str,
    map: AttributeMap,
    meta: &RequestMeta,
) -> Result<IdpView> {
    crate::services::authorize(who, crate::domain::Action::ManagePartners)?;
    let map = clean_attribute_map(map)?;
    let existing = store::partners::get_idp(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("identity provider"))?;
    let row = IdpRow {
        attribute_map: serde_json::to_string(&map).map_err(ServiceError::internal)?,
        updated_at: core.now_ms(),
        ..existing
    };
    let mut tx = core.db.begin().await?;
    store::partners::update_idp(&mut *tx, &row).await?;
    crate::services::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::IdentityProviderChanged,
        json!({ "idp": id, "action": "attribute_map_changed", "attribute_map": map }),
        meta,
    )
    .await?;
    tx.commit().await?;
    idp_view(core, row)
}

/// Trims names, drops empty ones and duplicates; an email source is required.
fn clean_attribute_map(map: AttributeMap) -> Result<AttributeMap> {
    const MAX_NAMES: usize = 16;
    const MAX_LEN: usize = 256;
    let clean = |field: &'static str, names: Vec<String>| -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            if n.len() > MAX_LEN || n.chars().any(char::is_control) {
                return Err(ServiceError::invalid(
                    field,
                    "an attribute name is at most 256 characters, without control characters",
                ));
            }
            if !out.iter().any(|o| o == n) {
                out.push(n.to_owned());
            }
        }
        if out.len() > MAX_NAMES {
            return Err(ServiceError::invalid(field, "at most 16 names per field"));
        }
        Ok(out)
    };
    let email = clean("email", map.email)?;
    if email.is_empty() {
        return Err(ServiceError::invalid(
            "email",
            "name at least one attribute or claim that carries the email address",
        ));
    }
    Ok(AttributeMap {
        email,
        display_name: clean("display_name", map.display_name)?,
        organisation: clean("organisation", map.organisation)?,
        groups: clean("groups", map.groups)?,
    })
}

#[tracing::instrument(skip_all)]
pub async fn get_idp(core: &Liaison, who: &Staff, id: &str) -> Result<IdpView> {
    crate::services::authorize(who, crate::domain::Action::ManagePartners)?;
    let row = store::partners::get_idp(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("identity provider"))?;
    idp_view(core, row)
}

/// The organisation's own (staff) IdPs.
#[tracing::instrument(skip_all)]
pub async fn list_staff_idps(core: &Liaison, who: &Staff) -> Result<Vec<IdpView>> {
    crate::services::authorize(who, crate::domain::Action::ManagePartners)?;
    store::partners::list_idps(core.db.pool(), &who.org_id, None)
        .await?
        .into_iter()
        .map(|i| idp_view(core, i))
        .collect()
}

/// "Test connection": a real sign-in round trip. Returns the URL to open in the browser;
/// the IdP's answer lands on a page that shows what it asserted.
#[tracing::instrument(skip_all)]
pub async fn test_connection(core: &Liaison, who: &Staff, id: &str) -> Result<Url> {
    crate::services::authorize(who, crate::domain::Action::ManagePartners)?;
    let row = store::partners::get_idp(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("identity provider"))?;
    crate::services::federation::begin(
        core,
        &row,
        crate::services::federation::Start {
            purpose: LoginPurpose::Test,
            share_id: None,
            device: None,
            user_id: Some(&who.user_id),
        },
    )
    .await
}
