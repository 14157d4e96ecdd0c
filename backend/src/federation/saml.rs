//! SAML 2.0 service provider: IdP metadata import, SP metadata, SP-initiated AuthnRequest
//! (HTTP-Redirect binding), and the Assertion Consumer Service's checks on HTTP-POST.
//!
//! Signature verification is xmlsec's (through samael), and only signed content is read:
//! samael reduces the document to what the IdP's certificate signed before anything is
//! parsed, so an unsigned assertion injected beside a signed one, or a signature moved onto
//! other content, leaves nothing to read (signature wrapping).

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use samael::crypto::AllowedSignatureAlgorithm;
use samael::metadata::EntityDescriptor;
use samael::schema::{Assertion, AuthnRequest, Issuer, NameIdPolicy};
use samael::service_provider::{Error as SamlError, ServiceProvider};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{AttributeMap, FederationError, Identity};

const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// A partner's SAML IdP, as imported from its metadata.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SamlIdpConfig {
    pub entity_id: String,
    /// SingleSignOnService with the HTTP-Redirect binding.
    pub sso_url: String,
    /// Base64 DER X.509 certificates whose keys may sign responses and assertions.
    pub signing_certs: Vec<String>,
    #[serde(default)]
    pub want_authn_requests_signed: bool,
    /// Accept responses no request of ours preceded (IdP-initiated sign-in).
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Clock skew tolerated on NotBefore / NotOnOrAfter (seconds).
    #[serde(default)]
    pub skew_secs: Option<i64>,
}

/// Our side of one IdP: each IdP gets its own SP entity id and ACS URL, so an assertion
/// minted for one partner's connection is refused at another's.
#[derive(Clone, Debug)]
pub struct SpEndpoints {
    pub entity_id: String,
    pub acs_url: String,
}

impl SpEndpoints {
    pub fn for_idp(public_url: &str, idp_id: &str) -> Self {
        let base = public_url.trim_end_matches('/');
        Self {
            entity_id: format!("{base}/auth/saml/{idp_id}/metadata"),
            acs_url: format!("{base}/auth/saml/{idp_id}/acs"),
        }
    }
}

/// Reads an IdP's metadata: its entity id, the HTTP-Redirect SSO endpoint and its signing
/// certificates (at least one, each a parseable X.509 certificate).
pub fn config_from_metadata(xml: &str) -> Result<SamlIdpConfig, FederationError> {
    let bad = |m: &str| FederationError::Malformed(format!("IdP metadata: {m}"));
    let ed: EntityDescriptor = xml
        .parse()
        .map_err(|e| bad(&format!("not SAML metadata ({e})")))?;
    let entity_id = ed.entity_id.clone().ok_or_else(|| bad("no entityID"))?;
    let idp = ed
        .idp_sso_descriptors
        .as_ref()
        .and_then(|d| d.first())
        .ok_or_else(|| bad("no IDPSSODescriptor"))?;
    let sso_url = idp
        .single_sign_on_services
        .iter()
        .find(|s| s.binding == REDIRECT_BINDING)
        .map(|s| s.location.clone())
        .ok_or_else(|| bad("no SingleSignOnService with the HTTP-Redirect binding"))?;
    let mut signing_certs: Vec<String> = idp
        .key_descriptors
        .iter()
        .filter(|k| {
            k.key_use
                .as_deref()
                .is_none_or(|u| u.is_empty() || u == "signing")
        })
        .filter_map(|k| k.key_info.x509_data.as_ref())
        .flat_map(|x| x.certificates.iter())
        .map(|c| c.split_whitespace().collect::<String>())
        .collect();
    signing_certs.dedup();
    if signing_certs.is_empty() {
        return Err(bad("no signing certificate"));
    }
    for c in &signing_certs {
        check_certificate(c)?;
    }
    Ok(SamlIdpConfig {
        entity_id,
        sso_url,
        signing_certs,
        want_authn_requests_signed: idp.want_authn_requests_signed.unwrap_or(false),
        allow_idp_initiated: false,
        skew_secs: None,
    })
}

/// A certificate must be base64 DER that parses as X.509.
pub fn check_certificate(b64: &str) -> Result<(), FederationError> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.split_whitespace().collect::<String>())
        .map_err(|_| FederationError::Malformed("a signing certificate is not base64".into()))?;
    openssl::x509::X509::from_der(&der)
        .map(|_| ())
        .map_err(|_| FederationError::Malformed("a signing certificate is not X.509 DER".into()))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Our SP signing key for one connection: RSA-2048 (PKCS#8 DER, to be sealed) and a
/// self-signed certificate (base64 DER) valid for ten years, named after the SP entity.
pub fn generate_sp_key(entity_id: &str) -> Result<(Vec<u8>, String), FederationError> {
    use openssl::{asn1::Asn1Time, bn::BigNum, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509};
    let fail = |e: openssl::error::ErrorStack| FederationError::Refused(format!("SP key: {e}"));
    let key = PKey::from_rsa(Rsa::generate(2048).map_err(fail)?).map_err(fail)?;
    let mut name = x509::X509NameBuilder::new().map_err(fail)?;
    let cn: String = entity_id.chars().take(64).collect();
    name.append_entry_by_text("CN", &cn).map_err(fail)?;
    let name = name.build();
    let mut b = x509::X509Builder::new().map_err(fail)?;
    b.set_version(2).map_err(fail)?;
    let serial = BigNum::from_slice(&rand_serial()).map_err(fail)?;
    let serial = serial.to_asn1_integer().map_err(fail)?;
    b.set_serial_number(&serial).map_err(fail)?;
    b.set_subject_name(&name).map_err(fail)?;
    b.set_issuer_name(&name).map_err(fail)?;
    b.set_pubkey(&key).map_err(fail)?;
    let (from, until) = (
        Asn1Time::days_from_now(0).map_err(fail)?,
        Asn1Time::days_from_now(3650).map_err(fail)?,
    );
    b.set_not_before(&from).map_err(fail)?;
    b.set_not_after(&until).map_err(fail)?;
    b.sign(&key, MessageDigest::sha256()).map_err(fail)?;
    let cert = b.build().to_der().map_err(fail)?;
    let der = key.private_key_to_pkcs8().map_err(fail)?;
    Ok((der, base64::engine::general_purpose::STANDARD.encode(cert)))
}

fn rand_serial() -> [u8; 16] {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[0] &= 0x7f;
    b
}

/// Our SP metadata for one IdP: entity id, ACS on HTTP-POST, signed assertions wanted, and
/// the certificate our AuthnRequests are signed with.
pub fn sp_metadata_xml(sp: &SpEndpoints, signing_cert: Option<&str>) -> String {
    let key = signing_cert
        .map(|c| {
            format!(
                r#"
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                xml_escape(c)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">
  <md:SPSSODescriptor AuthnRequestsSigned="{signed}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{key}
    <md:NameIDFormat>{EMAIL_FORMAT}</md:NameIDFormat>
    <md:AssertionConsumerService Binding="{POST_BINDING}" Location="{acs}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#,
        entity = xml_escape(&sp.entity_id),
        acs = xml_escape(&sp.acs_url),
        signed = signing_cert.is_some(),
    )
}

/// The IdP's redirect URL carrying an AuthnRequest with our (CSPRNG) request id and the
/// RelayState naming the sign-in, signed (HTTP-Redirect binding, RSA-SHA256) with the
/// connection's SP key when there is one.
pub fn authn_request_url(
    cfg: &SamlIdpConfig,
    sp: &SpEndpoints,
    request_id: &str,
    relay_state: &str,
    signing_key_der: Option<&[u8]>,
) -> Result<Url, FederationError> {
    if cfg.want_authn_requests_signed && signing_key_der.is_none() {
        return Err(FederationError::Refused(
            "this IdP requires signed AuthnRequests and this connection has no SP key".into(),
        ));
    }
    let req = AuthnRequest {
        id: request_id.to_owned(),
        version: "2.0".into(),
        issue_instant: Utc::now(),
        destination: Some(cfg.sso_url.clone()),
        assertion_consumer_service_url: Some(sp.acs_url.clone()),
        protocol_binding: Some(POST_BINDING.into()),
        issuer: Some(Issuer {
            value: Some(sp.entity_id.clone()),
            ..Issuer::default()
        }),
        name_id_policy: Some(NameIdPolicy {
            allow_create: Some(true),
            format: Some(EMAIL_FORMAT.into()),
            ..NameIdPolicy::default()
        }),
        ..AuthnRequest::default()
    };
    let encode = |e: Box<dyn std::error::Error>| {
        FederationError::Malformed(format!("could not encode the AuthnRequest: {e}"))
    };
    let url = match signing_key_der {
        Some(der) => {
            let key = openssl::pkey::PKey::private_key_from_der(der)
                .map_err(|e| FederationError::Refused(format!("SP key: {e}")))?;
            req.signed_redirect(relay_state, &key).map_err(encode)?
        }
        None => req.redirect(relay_state).map_err(encode)?,
    };
    url.ok_or_else(|| FederationError::Malformed("the IdP has no SSO URL".into()))
}

/// A verified assertion, reduced to what the caller needs.
#[derive(Debug)]
pub struct VerifiedAssertion {
    pub identity: Identity,
    /// For the replay cache.
    pub assertion_id: String,
    /// Until when the assertion could be presented (the replay cache keeps its id so long).
    pub valid_until: DateTime<Utc>,
}

/// Verifies a `SAMLResponse` posted to the ACS.
///
/// `expected_request_id` is the id of our AuthnRequest found through the RelayState; `None`
/// means no request of ours preceded it (IdP-initiated), allowed only when configured.
///
/// Checks, each against a named attack:
/// - a signature by one of the IdP's configured certificates over the Response or the
///   Assertion, algorithm in the SHA-2 family, and only signed content is read — stops
///   unsigned and self-signed forgeries, edits after signing and signature wrapping;
/// - Issuer equals the IdP's entity id — stops another IdP's assertions being accepted;
/// - AudienceRestriction present and naming this SP — stops assertions minted for another
///   service provider being replayed here;
/// - Recipient (and Destination, when present) equals this IdP's ACS URL — stops an
///   assertion addressed to another endpoint being forwarded here;
/// - NotBefore / NotOnOrAfter and the issue instant, with the configured skew — stops
///   stale and premature assertions;
/// - InResponseTo equals the request this sign-in sent (or is absent for an allowed
///   IdP-initiated sign-in) — stops unsolicited responses and cross-session injection;
/// - a NameID and an email are required — an anonymous assertion cannot open a share.
///
/// One-time use (the replay cache) is the caller's, keyed by [`VerifiedAssertion::assertion_id`].
pub fn verify_response(
    cfg: &SamlIdpConfig,
    sp: &SpEndpoints,
    map: &AttributeMap,
    saml_response_b64: &str,
    expected_request_id: Option<&str>,
) -> Result<VerifiedAssertion, FederationError> {
    if cfg.signing_certs.is_empty() {
        // Without certificates samael would skip verification altogether: never allowed.
        return Err(FederationError::BadSignature);
    }
    if expected_request_id.is_none() && !cfg.allow_idp_initiated {
        return Err(FederationError::IdpInitiatedNotAllowed);
    }
    let compact: String = saml_response_b64.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| FederationError::Malformed("SAMLResponse is not base64".into()))?;
    let xml = String::from_utf8(bytes)
        .map_err(|_| FederationError::Malformed("SAMLResponse is not UTF-8".into()))?;

    check_structure(&xml, sp)?;

    let skew = chrono::Duration::seconds(cfg.skew_secs.unwrap_or(super::DEFAULT_SKEW_SECS));
    let provider = ServiceProvider {
        entity_id: Some(sp.entity_id.clone()),
        acs_url: Some(sp.acs_url.clone()),
        metadata_url: Some(sp.entity_id.clone()),
        slo_url: None,
        idp_metadata: idp_entity_descriptor(cfg)?,
        allow_idp_initiated: expected_request_id.is_none(),
        max_issue_delay: chrono::Duration::seconds(90) + skew,
        max_clock_skew: skew,
        allowed_signature_algorithms: Some(vec![
            AllowedSignatureAlgorithm::RsaSha256,
            AllowedSignatureAlgorithm::RsaSha384,
            AllowedSignatureAlgorithm::RsaSha512,
            AllowedSignatureAlgorithm::EcdsaSha256,
            AllowedSignatureAlgorithm::EcdsaSha384,
            AllowedSignatureAlgorithm::EcdsaSha512,
        ]),
        ..ServiceProvider::default()
    };
    let ids: Vec<&str> = expected_request_id.into_iter().collect();
    let assertion = provider
        .parse_xml_response(&xml, expected_request_id.map(|_| ids.as_slice()))
        .map_err(saml_error)?;
    extra_checks(&assertion, sp, expected_request_id)?;
    let valid_until = valid_until(&assertion).ok_or(FederationError::Expired)?;
    let subject = assertion
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| (n.value.trim().to_owned(), n.format.clone()))
        .filter(|(v, _)| !v.is_empty())
        .ok_or_else(|| FederationError::Malformed("the assertion has no NameID".into()))?;
    let email_fallback = (subject.1.as_deref() == Some(EMAIL_FORMAT)).then(|| subject.0.clone());
    let identity = map.identity(subject.0, attributes(&assertion), email_fallback)?;
    Ok(VerifiedAssertion {
        identity,
        assertion_id: assertion.id.clone(),
        valid_until,
    })
}

const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Shape checks before any signature work, on the raw document.
///
/// - no DTD (entity expansion and external entities: XXE, "billion laughs");
/// - the root is a `samlp:Response` with exactly one `Assertion` and no encrypted one — a
///   second assertion beside (or hidden inside) the signed one is the signature-wrapping
///   pattern, refused outright rather than left to the reduction;
/// - every `ds:Signature` has exactly one Reference, to its own parent element (the
///   Response or the Assertion) — a signature moved away from what it signs is refused;
/// - a Destination, when present, is this ACS (it is unsigned if only the assertion is
///   signed, so it can refuse a response but never make one acceptable).
fn check_structure(xml: &str, sp: &SpEndpoints) -> Result<(), FederationError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| {
        FederationError::Malformed(format!("not well-formed XML without a DTD: {e}"))
    })?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(PROTOCOL_NS) || root.tag_name().name() != "Response" {
        return Err(FederationError::Malformed(
            "the document is not a SAML Response".into(),
        ));
    }
    if root
        .attribute("Destination")
        .is_some_and(|d| d != sp.acs_url)
    {
        return Err(FederationError::WrongRecipient);
    }
    let assertions: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.tag_name().namespace() == Some(ASSERTION_NS))
        .filter(|n| matches!(n.tag_name().name(), "Assertion" | "EncryptedAssertion"))
        .collect();
    let [assertion] = assertions.as_slice() else {
        return Err(FederationError::Malformed(format!(
            "a response must carry exactly one assertion (this one has {})",
            assertions.len()
        )));
    };
    if assertion.tag_name().name() != "Assertion" {
        return Err(FederationError::Refused(
            "encrypted assertions are not accepted; switch encryption off for Liaison's SP".into(),
        ));
    }
    if assertion.parent_element() != Some(root) {
        return Err(FederationError::Malformed(
            "the assertion is not a direct child of the Response".into(),
        ));
    }
    // A duplicated ID lets a reference resolve to content other than the element checked
    // below.
    let mut ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("ID"))
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != count {
        return Err(FederationError::Malformed(
            "the response repeats an ID".into(),
        ));
    }
    for sig in doc
        .descendants()
        .filter(|n| n.tag_name().namespace() == Some(DSIG_NS) && n.tag_name().name() == "Signature")
    {
        let parent = sig
            .parent_element()
            .ok_or_else(|| FederationError::Malformed("a signature has no parent".into()))?;
        if parent != root && parent != *assertion {
            return Err(FederationError::BadSignature);
        }
        let references: Vec<&str> = sig
            .descendants()
            .filter(|n| {
                n.tag_name().namespace() == Some(DSIG_NS) && n.tag_name().name() == "Reference"
            })
            .map(|n| n.attribute("URI").unwrap_or_default())
            .collect();
        let own = parent.attribute("ID").map(|id| format!("#{id}"));
        if references.len() != 1 || own.as_deref() != Some(references[0]) {
            return Err(FederationError::BadSignature);
        }
    }
    Ok(())
}

/// What samael leaves to the caller.
fn extra_checks(
    assertion: &Assertion,
    sp: &SpEndpoints,
    expected_request_id: Option<&str>,
) -> Result<(), FederationError> {
    // samael checks the audience only when a restriction is present; a bearer assertion
    // without one could be replayed to any SP trusting the IdP (SAML profiles §4.1.4.2).
    let audiences: Vec<&String> = assertion
        .conditions
        .iter()
        .flat_map(|c| c.audience_restrictions.iter().flatten())
        .flat_map(|r| r.audience.iter())
        .collect();
    if audiences.is_empty() || !audiences.iter().any(|a| **a == sp.entity_id) {
        return Err(FederationError::WrongAudience);
    }
    // IdP-initiated: an InResponseTo names a request we never sent (or one of another
    // browser's sign-ins) — refuse rather than ignore it.
    if expected_request_id.is_none() {
        let names_a_request = assertion
            .subject
            .iter()
            .flat_map(|s| s.subject_confirmations.iter().flatten())
            .filter_map(|c| c.subject_confirmation_data.as_ref())
            .any(|d| d.in_response_to.is_some());
        if names_a_request {
            return Err(FederationError::UnknownInResponseTo);
        }
    }
    Ok(())
}

/// The latest instant at which the assertion could still be accepted.
fn valid_until(assertion: &Assertion) -> Option<DateTime<Utc>> {
    let from_conditions = assertion
        .conditions
        .as_ref()
        .and_then(|c| c.not_on_or_after);
    let from_confirmation = assertion
        .subject
        .iter()
        .flat_map(|s| s.subject_confirmations.iter().flatten())
        .filter_map(|c| c.subject_confirmation_data.as_ref())
        .filter_map(|d| d.not_on_or_after)
        .max();
    [from_conditions, from_confirmation]
        .into_iter()
        .flatten()
        .max()
}

fn attributes(assertion: &Assertion) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for attr in assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| s.attributes.iter())
    {
        let values: Vec<String> = attr.values.iter().filter_map(|v| v.value.clone()).collect();
        for key in [&attr.name, &attr.friendly_name].into_iter().flatten() {
            out.entry(key.clone())
                .or_default()
                .extend(values.iter().cloned());
        }
    }
    out
}

/// Minimal IdP metadata for samael, built from the stored configuration.
fn idp_entity_descriptor(cfg: &SamlIdpConfig) -> Result<EntityDescriptor, FederationError> {
    let keys: String = cfg
        .signing_certs
        .iter()
        .map(|c| {
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                xml_escape(c)
            )
        })
        .collect();
    let xml = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{keys}<md:SingleSignOnService Binding="{REDIRECT_BINDING}" Location="{sso}"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
        entity = xml_escape(&cfg.entity_id),
        sso = xml_escape(&cfg.sso_url),
    );
    xml.parse()
        .map_err(|e| FederationError::Malformed(format!("stored IdP configuration: {e}")))
}

fn saml_error(e: SamlError) -> FederationError {
    use SamlError as E;
    match e {
        E::FailedToValidateSignature | E::CryptoXmlError(_) | E::CryptoProviderError(_) => {
            FederationError::BadSignature
        }
        E::DestinationValidationError { .. } | E::AssertionRecipientMismatch { .. } => {
            FederationError::WrongRecipient
        }
        E::AssertionExpired { .. }
        | E::ResponseExpired { .. }
        | E::AssertionConditionExpired { .. }
        | E::AssertionSubjectConfirmationExpired { .. } => FederationError::Expired,
        E::AssertionConditionExpiredBefore { .. }
        | E::AssertionSubjectConfirmationExpiredBefore { .. } => FederationError::NotYetValid,
        E::AssertionIssuerMismatch { .. } | E::ResponseIssuerMismatch { .. } => {
            FederationError::WrongIssuer
        }
        E::AssertionConditionAudienceRestrictionFailed { .. } => FederationError::WrongAudience,
        E::AssertionInResponseToInvalid { .. } | E::ResponseInResponseToInvalid { .. } => {
            FederationError::UnknownInResponseTo
        }
        E::ResponseBadStatusCode { code } => FederationError::IdpError(format!("status {code}")),
        E::EncryptedAssertionsNotYetSupported
        | E::MissingPrivateKeySP
        | E::MissingEncryptedKeyInfo
        | E::MissingEncryptedValueInfo => FederationError::Refused(
            "encrypted assertions are not accepted; switch encryption off for Liaison's SP".into(),
        ),
        other => FederationError::Malformed(other.to_string()),
    }
}
