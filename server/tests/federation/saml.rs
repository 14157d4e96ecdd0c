//! SAML: a partner user signs in at SimpleSAMLphp and opens a federated share; the refusals
//! on real and crafted (xmlsec1-signed) responses.

use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{self, hidden, reason, App, Client, Page, Peer};

/// A partner with SimpleSAMLphp as its IdP, registered both ways.
async fn saml_setup() -> (App, Peer, String) {
    let app = App::start().await;
    let ssp = harness::simplesamlphp().await;
    let partner = app.partner().await;
    let (s, idp) = app
        .rest(
            Method::POST,
            &format!("/api/v1/partners/{partner}/idps"),
            Some(json!({
                "kind": "saml",
                "name": "Partner SSO",
                "metadata_url": format!("{}/saml2/idp/metadata.php", ssp.base),
            })),
        )
        .await;
    assert_eq!(s, 201, "{idp}");
    // SimpleSAMLphp validates our AuthnRequest signatures with this certificate.
    ssp.register_sp(
        idp["sp_entity_id"].as_str().unwrap(),
        idp["sp_acs_url"].as_str().unwrap(),
        idp["sp_certificate"].as_str().unwrap(),
    );
    (app, ssp, idp["id"].as_str().unwrap().to_owned())
}

/// Starts the share's sign-in in `browser` and signs in at SimpleSAMLphp as `user`;
/// returns the auto-submit form's (SAMLResponse, RelayState, ACS URL).
async fn sign_in_at_ssp(
    app: &App,
    browser: &Client,
    token: &str,
    user: &str,
) -> (String, String, String) {
    let start = browser
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token)],
            Some(&app.base),
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.body);
    let to_idp = harness::refresh_url(&start);
    assert!(
        to_idp.contains("&SigAlg=") && to_idp.contains("&Signature="),
        "signed AuthnRequest: {to_idp}"
    );
    let login = browser.follow(&to_idp).await;
    let auth_state =
        hidden(&login.body, "AuthState").unwrap_or_else(|| panic!("no login form: {}", login.body));
    let posted = browser
        .post_form(
            &login.url,
            &[
                ("username", user),
                ("password", "x"),
                ("AuthState", &auth_state),
            ],
            None,
        )
        .await;
    let form = browser.follow_page(posted).await;
    let response = hidden(&form.body, "SAMLResponse")
        .unwrap_or_else(|| panic!("no SAMLResponse: {}", form.body));
    let relay = hidden(&form.body, "RelayState").unwrap_or_default();
    let at = form.body.find("action=\"").unwrap() + 8;
    let action = harness::unescape(&form.body[at..at + form.body[at..].find('"').unwrap()]);
    (response, relay, action)
}

/// Posts an answer to the ACS as the IdP's auto-submit form does (cross-site), and, when
/// the ACS accepts it, follows its same-site continuation in the same browser: the page
/// returned is where the sign-in ends (a refusal, the link, or the console's finish step).
async fn post_acs(
    browser: &Client,
    acs: &str,
    response: &str,
    relay: &str,
    idp_origin: &str,
) -> Page {
    let page = deliver(browser, acs, response, relay, idp_origin).await;
    if page.status == 200 && page.body.contains("/continue?state=") {
        return browser.get(&harness::refresh_url(&page)).await;
    }
    page
}

/// Only the ACS step: the answer is verified and handed to this browser (a one-time
/// delivery cookie), not yet applied.
async fn deliver(
    browser: &Client,
    acs: &str,
    response: &str,
    relay: &str,
    idp_origin: &str,
) -> Page {
    browser
        .post_form(
            acs,
            &[("SAMLResponse", response), ("RelayState", relay)],
            Some(idp_origin),
        )
        .await
}

fn decode(b64: &str) -> String {
    String::from_utf8(B64.decode(b64).unwrap()).unwrap()
}

fn encode(xml: &str) -> String {
    B64.encode(xml)
}

#[tokio::test]
async fn partner_user_signs_in_at_simplesamlphp_and_opens_the_share() {
    let (app, ssp, idp_id) = saml_setup().await;
    let (share_id, token) = app.federated_share("ann@partner.test", false).await;
    let device = harness::device_id();
    let browser = Client::new();
    browser.set_cookie(&app.base, &format!("liaison_device={device}"));

    // Before signing in, the share does not open.
    let (s, body) = app.open(&token, &device).await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(body["error"]["code"], "federated_sign_in_required");

    // SimpleSAMLphp really checks our AuthnRequest signature: without it, no login form.
    let start = browser
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token.as_str())],
            Some(&app.base),
        )
        .await;
    let signed = harness::refresh_url(&start);
    let unsigned = &signed[..signed.find("&SigAlg=").unwrap()];
    let refused = browser.follow(unsigned).await;
    assert!(
        hidden(&refused.body, "AuthState").is_none(),
        "unsigned request accepted: {}",
        refused.body
    );

    let (response, relay, acs) = sign_in_at_ssp(&app, &browser, &token, "ann").await;
    assert_eq!(acs, format!("{}/auth/saml/{idp_id}/acs", app.base));
    let metadata = browser
        .get(&format!("{}/auth/saml/{idp_id}/metadata", app.base))
        .await;
    assert!(
        metadata.body.contains(r#"AuthnRequestsSigned="true""#),
        "{}",
        metadata.body
    );
    assert!(
        metadata.body.contains("<ds:X509Certificate>"),
        "{}",
        metadata.body
    );
    let done = post_acs(&browser, &acs, &response, &relay, &ssp.base).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains(&format!("/s/{token}")),
        "continues to the link: {}",
        done.body
    );

    // Another browser cannot use this sign-in.
    let (s, _) = app.open(&token, &harness::device_id()).await;
    assert_eq!(s, 403);
    // This browser opens, once per sign-in.
    let (s, session) = app.open(&token, &device).await;
    assert_eq!(s, 200, "{session}");
    let jwt = session["access_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["idp"], idp_id.as_str());
    assert!(claims["partner"].is_string());
    let (s, _) = app.open(&token, &device).await;
    assert_eq!(s, 403, "a sign-in opens the share once");
    // What the guest does in the portal is attributed to the IdP too.
    let items: Value = reqwest::Client::new()
        .get(format!("{}/api/portal/items", app.base))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = items["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{items}"));
    // The document opens in the viewer (a view-only share shows pages, never the file).
    let opened = reqwest::Client::new()
        .post(format!("{}/api/portal/items/{item}/views", app.base))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status().as_u16(), 201);
    let viewed = app.audit("item.viewed").await;
    let credential = viewed.last().unwrap()["actor"]["credential"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        credential.starts_with(&format!("idp:{idp_id} portal_session:")),
        "{credential}"
    );

    // The audit names the IdP as the credential.
    let signed_in = app.audit("federation.signed_in").await;
    let last = signed_in.last().unwrap();
    assert_eq!(last["details"]["email"], "ann@partner.test");
    assert_eq!(last["share_id"], share_id.as_str());
    assert_eq!(last["actor"]["credential"], format!("idp:{idp_id}"));
    let accessed = app.audit("share.accessed").await;
    assert_eq!(
        accessed.last().unwrap()["actor"]["credential"],
        format!("idp:{idp_id}")
    );
    // Provisioned just in time.
    let partner_id = claims["partner"].as_str().unwrap();
    let (_, guests) = app
        .rest(
            Method::GET,
            &format!("/api/v1/partners/{partner_id}/guests"),
            None,
        )
        .await;
    assert_eq!(guests["guests"][0]["email"], "ann@partner.test");
    assert_eq!(guests["guests"][0]["display_name"], "Ann Partner");

    // The same answer again: its RelayState is used up.
    let again = post_acs(&browser, &acs, &response, &relay, &ssp.base).await;
    assert_eq!(again.status, 403);
    assert_eq!(reason(&again), "unknown_state");
}

#[tokio::test]
async fn real_responses_tampered_or_for_someone_else_are_refused() {
    let (app, ssp, _) = saml_setup().await;
    let (_, token) = app.federated_share("ann@partner.test", false).await;
    let device = harness::device_id();
    let browser = Client::new();
    browser.set_cookie(&app.base, &format!("liaison_device={device}"));

    // Bob is a partner user, but the share is for Ann.
    let (response, relay, acs) = sign_in_at_ssp(&app, &browser, &token, "bob").await;
    let page = post_acs(&browser, &acs, &response, &relay, &ssp.base).await;
    assert_eq!(
        (page.status, reason(&page).as_str()),
        (403, "federated_identity_mismatch")
    );

    // Eve's address is outside the partner's domains.
    let browser = Client::new();
    browser.set_cookie(&app.base, &format!("liaison_device={device}"));
    let (response, relay, acs) = sign_in_at_ssp(&app, &browser, &token, "eve").await;
    let page = post_acs(&browser, &acs, &response, &relay, &ssp.base).await;
    assert_eq!((page.status, reason(&page).as_str()), (403, "refused"));
    assert!(
        page.body.contains("not in one of this partner"),
        "{}",
        page.body
    );

    // Ann's real response, altered after signing (attribute), or stripped of signatures.
    for (name, tamper) in [
        (
            "altered attribute",
            Box::new(|x: &str| x.replace("Ann Partner", "Mallory")) as Box<dyn Fn(&str) -> String>,
        ),
        (
            "altered NameID",
            Box::new(|x: &str| x.replacen(">ann@partner.test<", ">bob@partner.test<", 1)),
        ),
        ("unsigned", Box::new(strip_signatures)),
    ] {
        let browser = Client::new();
        browser.set_cookie(&app.base, &format!("liaison_device={device}"));
        let (response, relay, acs) = sign_in_at_ssp(&app, &browser, &token, "ann").await;
        let xml = decode(&response);
        let forged = tamper(&xml);
        assert_ne!(forged, xml, "{name}: the tamper changed nothing");
        let page = post_acs(&browser, &acs, &encode(&forged), &relay, &ssp.base).await;
        assert_eq!(
            (page.status, reason(&page).as_str()),
            (403, "bad_signature"),
            "{name}"
        );
    }
    assert_eq!(
        app.completed_logins().await,
        0,
        "no refused answer completed a sign-in"
    );
    let (s, _) = app.open(&token, &device).await;
    assert_eq!(s, 403);
    let failures = app.audit("federation.sign_in_failed").await;
    let reasons: Vec<&str> = failures
        .iter()
        .filter_map(|e| e["details"]["reason"].as_str())
        .collect();
    for r in [
        "federated_identity_mismatch",
        "email_outside_partner_domains",
        "bad_signature",
    ] {
        assert!(reasons.contains(&r), "{r} audited: {reasons:?}");
    }
}

fn strip_signatures(xml: &str) -> String {
    let mut out = xml.to_owned();
    while let Some(start) = out.find("<ds:Signature") {
        let end = out[start..].find("</ds:Signature>").unwrap() + start + "</ds:Signature>".len();
        out.replace_range(start..end, "");
    }
    out
}

/// A crafted IdP: our own key and certificate (and a second, untrusted key), responses
/// signed by xmlsec1 exactly as an IdP would.
struct Crafter {
    dir: tempfile::TempDir,
    cert_b64: String,
    entity_id: String,
}

impl Crafter {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for name in ["trusted", "other"] {
            let ok = Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                ])
                .arg(format!("/CN={name}"))
                .arg("-keyout")
                .arg(dir.path().join(format!("{name}.key")))
                .arg("-out")
                .arg(dir.path().join(format!("{name}.crt")))
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "openssl");
        }
        let pem = std::fs::read_to_string(dir.path().join("trusted.crt")).unwrap();
        let cert_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        Self {
            dir,
            cert_b64,
            entity_id: "https://idp.partner.test/saml".into(),
        }
    }

    fn metadata(&self) -> String {
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.partner.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
            self.entity_id, self.cert_b64
        )
    }

    /// Signs the assertion of `xml` (which carries a signature template) with `key`.
    fn sign(&self, xml: &str, key: &str) -> String {
        let input = self.dir.path().join("in.xml");
        let output = self.dir.path().join("out.xml");
        std::fs::write(&input, xml).unwrap();
        let key_arg = format!(
            "{},{}",
            self.dir.path().join(format!("{key}.key")).display(),
            self.dir.path().join(format!("{key}.crt")).display()
        );
        let out = Command::new("xmlsec1")
            .args(["--sign", "--privkey-pem", &key_arg])
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ])
            .arg("--output")
            .arg(&output)
            .arg(&input)
            .output()
            .expect("xmlsec1 (scripts/bootstrap installs it)");
        assert!(
            out.status.success(),
            "xmlsec1: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(output).unwrap()
    }
}

/// What a crafted response says; `Default` is a valid answer to `in_response_to`.
#[derive(Clone)]
struct Claims {
    email: String,
    audience: String,
    recipient: String,
    destination: String,
    in_response_to: Option<String>,
    not_before: i64,
    not_on_or_after: i64,
    issued: i64,
}

fn at(offset_secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
        .replace("+00:00", "Z")
}

fn crafted_xml(c: &Claims, issuer: &str, signed_template: bool) -> String {
    let id = format!("_a{}", harness::device_id().replace(['-', '_'], "x"));
    let irt = c
        .in_response_to
        .as_ref()
        .map(|i| format!(r#" InResponseTo="{i}""#))
        .unwrap_or_default();
    let signature = if signed_template {
        format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"##
        )
    } else {
        String::new()
    };
    format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{id}" Version="2.0" IssueInstant="{issued}" Destination="{dest}"{irt}><saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="{id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{issuer}</saml:Issuer>{signature}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{email}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{noa}" Recipient="{recipient}"{irt}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}"><saml:AudienceRestriction><saml:Audience>{aud}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="displayName"><saml:AttributeValue>Ann Partner</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#,
        issued = at(c.issued),
        dest = c.destination,
        email = c.email,
        noa = at(c.not_on_or_after),
        nb = at(c.not_before),
        recipient = c.recipient,
        aud = c.audience,
    )
}

/// Starts a sign-in at the crafted IdP: (RelayState, AuthnRequest ID).
async fn start_crafted(app: &App, browser: &Client, token: &str, idp_id: &str) -> (String, String) {
    let start = browser
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token), ("idp", idp_id)],
            Some(&app.base),
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.body);
    let url = url::Url::parse(&harness::refresh_url(&start)).unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let deflated = B64.decode(&q["SAMLRequest"]).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::DeflateDecoder::new(&deflated[..]),
        &mut xml,
    )
    .unwrap();
    let at = xml.find(" ID=\"").unwrap() + 5;
    let id = xml[at..at + xml[at..].find('"').unwrap()].to_owned();
    (q["RelayState"].clone(), id)
}

#[tokio::test]
async fn crafted_saml_attack_matrix_is_refused_and_audited() {
    let app = App::start().await;
    let crafter = Crafter::new();
    let partner = app.partner().await;
    let (s, idp) = app
        .rest(
            Method::POST,
            &format!("/api/v1/partners/{partner}/idps"),
            Some(json!({ "kind": "saml", "name": "Crafted", "metadata_xml": crafter.metadata() })),
        )
        .await;
    assert_eq!(s, 201, "{idp}");
    let idp_id = idp["id"].as_str().unwrap().to_owned();
    let acs = idp["sp_acs_url"].as_str().unwrap().to_owned();
    let audience = idp["sp_entity_id"].as_str().unwrap().to_owned();
    let (_, token) = app.federated_share("ann@partner.test", false).await;
    let device = harness::device_id();

    let valid = |irt: &str| Claims {
        email: "ann@partner.test".into(),
        audience: audience.clone(),
        recipient: acs.clone(),
        destination: acs.clone(),
        in_response_to: Some(irt.to_owned()),
        not_before: -60,
        not_on_or_after: 300,
        issued: -5,
    };
    type Case = (
        &'static str,
        &'static str,
        Box<dyn Fn(Claims) -> Claims>,
        Box<dyn Fn(&Crafter, String) -> String>,
    );
    let keep = || Box::new(|c: Claims| c) as Box<dyn Fn(Claims) -> Claims>;
    let sign = || {
        Box::new(|cr: &Crafter, x: String| cr.sign(&x, "trusted"))
            as Box<dyn Fn(&Crafter, String) -> String>
    };
    let cases: Vec<Case> = vec![
        (
            "wrong audience",
            "wrong_audience",
            Box::new(|c| Claims {
                audience: "https://other-sp.example/metadata".into(),
                ..c
            }),
            sign(),
        ),
        (
            "wrong recipient",
            "wrong_recipient",
            Box::new(|c| Claims {
                recipient: "https://other-sp.example/acs".into(),
                ..c
            }),
            sign(),
        ),
        (
            "wrong destination",
            "wrong_recipient",
            Box::new(|c| Claims {
                destination: "https://other-sp.example/acs".into(),
                ..c
            }),
            sign(),
        ),
        (
            "expired",
            "expired",
            Box::new(|c| Claims {
                not_before: -7200,
                not_on_or_after: -3600,
                issued: -7200,
                ..c
            }),
            sign(),
        ),
        (
            "not yet valid",
            "not_yet_valid",
            Box::new(|c| Claims {
                not_before: 3600,
                ..c
            }),
            sign(),
        ),
        (
            "unknown InResponseTo",
            "unknown_in_response_to",
            Box::new(|c| Claims {
                in_response_to: Some("_not-our-request".into()),
                ..c
            }),
            sign(),
        ),
        (
            "signed by another key",
            "bad_signature",
            keep(),
            Box::new(|cr, x| cr.sign(&x, "other")),
        ),
        (
            "unsigned",
            "bad_signature",
            keep(),
            Box::new(|_, x| strip_signatures(&x)),
        ),
        (
            "altered after signing",
            "bad_signature",
            keep(),
            Box::new(|cr, x| {
                cr.sign(&x, "trusted").replace(
                    "<saml:AttributeValue>Ann Partner<",
                    "<saml:AttributeValue>Mallory<",
                )
            }),
        ),
        (
            "injected unsigned assertion",
            "malformed",
            keep(),
            Box::new(|cr, x| {
                let signed = cr.sign(&x, "trusted");
                let start = signed.find("<saml:Assertion").unwrap();
                let evil = strip_signatures(
                    &signed[start..signed.find("</saml:Assertion>").unwrap() + 17],
                )
                .replace(" ID=\"_a", " ID=\"_evil")
                .replace("ann@partner.test", "bob@partner.test");
                let mut out = signed.clone();
                out.insert_str(start, &evil);
                out
            }),
        ),
        (
            "moved signature",
            "bad_signature",
            keep(),
            Box::new(|cr, x| {
                let signed = cr.sign(&x, "trusted");
                let s = signed.find("<ds:Signature").unwrap();
                let e = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
                let sig = signed[s..e].to_owned();
                let mut out = signed.clone();
                out.replace_range(s..e, "");
                let status = out.find("<samlp:Status>").unwrap();
                out.insert_str(status, &sig);
                out
            }),
        ),
        (
            "wrapped: signed original hidden, evil in its place",
            "malformed",
            keep(),
            Box::new(|cr, x| {
                let signed = cr.sign(&x, "trusted");
                let s = signed.find("<saml:Assertion").unwrap();
                let e = signed.find("</saml:Assertion>").unwrap() + 17;
                let original = signed[s..e].to_owned();
                let evil =
                    strip_signatures(&original).replace("ann@partner.test", "bob@partner.test");
                let mut out = signed.clone();
                out.replace_range(
                    s..e,
                    &format!("{evil}<samlp:Extensions>{original}</samlp:Extensions>"),
                );
                out
            }),
        ),
        (
            "DTD with entities",
            "malformed",
            keep(),
            Box::new(|cr, x| {
                format!(
                    "<!DOCTYPE r [<!ENTITY e \"ann@partner.test\">]>{}",
                    cr.sign(&x, "trusted")
                )
            }),
        ),
    ];
    for (name, expected, claims, finish) in &cases {
        let browser = Client::new();
        browser.set_cookie(&app.base, &format!("liaison_device={device}"));
        let (relay, request_id) = start_crafted(&app, &browser, &token, &idp_id).await;
        let xml = finish(
            &crafter,
            crafted_xml(&claims(valid(&request_id)), &crafter.entity_id, true),
        );
        let page = post_acs(
            &browser,
            &acs,
            &encode(&xml),
            &relay,
            "https://idp.partner.test",
        )
        .await;
        assert_eq!(page.status, 403, "{name}: {}", page.body);
        assert_eq!(reason(&page), *expected, "{name}");
    }
    assert_eq!(
        app.completed_logins().await,
        0,
        "no attack completed a sign-in"
    );
    let (s, body) = app.open(&token, &device).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (403, Some("federated_sign_in_required"))
    );
    let audited = app.audit("federation.sign_in_failed").await.len();
    assert_eq!(audited, cases.len(), "every refusal is audited");

    // Positive control: the same crafting, untampered, is accepted (so the refusals above
    // are the checks at work, not a broken harness).
    let browser = Client::new();
    browser.set_cookie(&app.base, &format!("liaison_device={device}"));
    let (relay, request_id) = start_crafted(&app, &browser, &token, &idp_id).await;
    let xml = crafter.sign(
        &crafted_xml(&valid(&request_id), &crafter.entity_id, true),
        "trusted",
    );
    let page = post_acs(
        &browser,
        &acs,
        &encode(&xml),
        &relay,
        "https://idp.partner.test",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (s, body) = app.open(&token, &device).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn idp_initiated_staff_sign_in_and_replayed_assertion() {
    let app = App::start().await;
    let crafter = Crafter::new();
    let (s, idp) = app
        .rest(
            Method::POST,
            "/api/v1/idps",
            Some(json!({ "kind": "saml", "name": "Our SSO", "metadata_xml": crafter.metadata(), "allow_idp_initiated": true })),
        )
        .await;
    assert_eq!(s, 201, "{idp}");
    let acs = idp["sp_acs_url"].as_str().unwrap().to_owned();
    let claims = Claims {
        email: "admin@liaison.test".into(),
        audience: idp["sp_entity_id"].as_str().unwrap().into(),
        recipient: acs.clone(),
        destination: acs.clone(),
        in_response_to: None,
        not_before: -60,
        not_on_or_after: 300,
        issued: -5,
    };
    let xml = crafter.sign(&crafted_xml(&claims, &crafter.entity_id, true), "trusted");
    // Login CSRF: an answer this browser did not ask for (anyone can auto-post their own
    // assertion into a victim's browser) creates no console session. It is verified and
    // used up, then the browser is sent to start a sign-in of its own at the same IdP,
    // bound to it, which the IdP's session makes one click-free.
    let browser = Client::new();
    let page = post_acs(
        &browser,
        &acs,
        &encode(&xml),
        "",
        "https://idp.partner.test",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("/auth/staff/finish"), "{}", page.body);
    let restart = harness::refresh_url(&page);
    assert_eq!(
        restart,
        format!("{}/auth/staff/{}", app.base, idp["id"].as_str().unwrap())
    );
    let to_idp = browser.get(&restart).await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    assert!(
        to_idp
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("https://idp.partner.test/")),
        "{:?}",
        to_idp.location
    );
    assert!(app.audit("auth.signed_in").await.is_empty(), "no session");
    // Security review, finding 6: the assertion's id is remembered until its NotOnOrAfter
    // (here +300 s) plus the tolerated skew (120 s), not swept while still acceptable.
    let kept: i64 = sqlx::query_scalar("SELECT MAX(expires_at) FROM saml_replay")
        .fetch_one(app.core.db.pool())
        .await
        .unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(
        kept >= now_ms + (300 + 120 - 10) * 1000,
        "replay entry kept only {} s",
        (kept - now_ms) / 1000
    );
    let failures = app.audit("federation.sign_in_failed").await;
    assert_eq!(
        failures.last().unwrap()["details"]["reason"],
        "idp_initiated_restarted"
    );

    // The very same assertion again: one-time use.
    let again = post_acs(
        &Client::new(),
        &acs,
        &encode(&xml),
        "",
        "https://idp.partner.test",
    )
    .await;
    assert_eq!((again.status, reason(&again).as_str()), (403, "replayed"));
    // An unsolicited answer naming a request is refused even where IdP-initiated is allowed.
    let xml = crafter.sign(
        &crafted_xml(
            &Claims {
                in_response_to: Some("_forged".into()),
                ..claims
            },
            &crafter.entity_id,
            true,
        ),
        "trusted",
    );
    let page = post_acs(
        &Client::new(),
        &acs,
        &encode(&xml),
        "",
        "https://idp.partner.test",
    )
    .await;
    assert_eq!(
        (page.status, reason(&page).as_str()),
        (403, "unknown_in_response_to")
    );
    assert!(app.audit("auth.signed_in").await.is_empty());
}

#[tokio::test]
async fn disabling_an_idp_or_a_partner_stops_sign_ins_at_once() {
    let app = App::start().await;
    let crafter = Crafter::new();
    let partner = app.partner().await;
    let (_, idp) = app
        .rest(
            Method::POST,
            &format!("/api/v1/partners/{partner}/idps"),
            Some(json!({ "kind": "saml", "name": "Crafted", "metadata_xml": crafter.metadata() })),
        )
        .await;
    let idp_id = idp["id"].as_str().unwrap().to_owned();
    let acs = idp["sp_acs_url"].as_str().unwrap().to_owned();
    let (_, token) = app.federated_share("ann@partner.test", false).await;
    let browser = Client::new();
    browser.set_cookie(
        &app.base,
        &format!("liaison_device={}", harness::device_id()),
    );

    // A sign-in already at the IdP when the IdP is switched off is refused on return.
    let (relay, request_id) = start_crafted(&app, &browser, &token, &idp_id).await;
    let (s, _) = app
        .rest(
            Method::PUT,
            &format!("/api/v1/idps/{idp_id}/enabled"),
            Some(json!({ "enabled": false })),
        )
        .await;
    assert_eq!(s, 204);
    let claims = Claims {
        email: "ann@partner.test".into(),
        audience: idp["sp_entity_id"].as_str().unwrap().into(),
        recipient: acs.clone(),
        destination: acs.clone(),
        in_response_to: Some(request_id),
        not_before: -60,
        not_on_or_after: 300,
        issued: -5,
    };
    let xml = crafter.sign(&crafted_xml(&claims, &crafter.entity_id, true), "trusted");
    let page = post_acs(
        &browser,
        &acs,
        &encode(&xml),
        &relay,
        "https://idp.partner.test",
    )
    .await;
    assert_eq!((page.status, reason(&page).as_str()), (403, "idp_disabled"));

    // Back on, then the partner off: the share offers no sign-in.
    app.rest(
        Method::PUT,
        &format!("/api/v1/idps/{idp_id}/enabled"),
        Some(json!({ "enabled": true })),
    )
    .await;
    let (s, _) = app
        .rest(
            Method::PUT,
            &format!("/api/v1/partners/{partner}/enabled"),
            Some(json!({ "enabled": false })),
        )
        .await;
    assert_eq!(s, 204);
    let start = browser
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token.as_str())],
            Some(&app.base),
        )
        .await;
    assert_eq!(start.status, 404, "{}", start.body);
    let changes = app.audit("federation.idp_changed").await;
    assert_eq!(changes.last().unwrap()["details"]["action"], "enabled");
}

/// Security review, finding 1, over SAML: the attacker holds the link and starts its
/// sign-in; the recipient is lured to the IdP URL and signs in there. Her browser receives
/// the answer (a cross-site POST, where no SameSite cookie is sent), so the ACS only hands
/// it to that browser with a one-time delivery cookie; the same-site continuation then
/// needs both that cookie and the device that started the sign-in. Neither browser has
/// both: the attacker never opens the share, the recipient's own sign-in still works, and
/// both refusals are audited.
#[tokio::test]
async fn a_saml_sign_in_started_in_another_browser_does_not_open_the_share() {
    let (app, ssp, idp_id) = saml_setup().await;
    let (_, token) = app.federated_share("ann@partner.test", false).await;

    let attacker = Client::new();
    let attacker_device = harness::device_id();
    attacker.set_cookie(&app.base, &format!("liaison_device={attacker_device}"));
    let start = attacker
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token.as_str())],
            Some(&app.base),
        )
        .await;
    let lure = harness::refresh_url(&start);

    // The recipient opens the lure and signs in at the IdP as herself.
    let victim = Client::new();
    let victim_device = harness::device_id();
    victim.set_cookie(&app.base, &format!("liaison_device={victim_device}"));
    let login = victim.follow(&lure).await;
    let auth_state = hidden(&login.body, "AuthState").expect("login form");
    let posted = victim
        .post_form(
            &login.url,
            &[
                ("username", "ann"),
                ("password", "x"),
                ("AuthState", &auth_state),
            ],
            None,
        )
        .await;
    let form = victim.follow_page(posted).await;
    let response = hidden(&form.body, "SAMLResponse").expect("SAMLResponse");
    let relay = hidden(&form.body, "RelayState").unwrap_or_default();
    let acs = format!("{}/auth/saml/{idp_id}/acs", app.base);

    let delivered = deliver(&victim, &acs, &response, &relay, &ssp.base).await;
    assert_eq!(delivered.status, 200, "{}", delivered.body);
    assert_eq!(app.completed_logins().await, 0, "the ACS applies nothing");
    let continuation = harness::refresh_url(&delivered);
    assert!(
        !continuation.contains(&token),
        "the continuation names no link"
    );

    // The attacker's browser has the device but not the delivery cookie.
    let stolen = attacker.get(&continuation).await;
    assert_eq!(
        (stolen.status, reason(&stolen).as_str()),
        (403, "browser_mismatch"),
        "{}",
        stolen.body
    );
    // The recipient's browser has the delivery cookie but did not start this sign-in.
    let refused = victim.get(&continuation).await;
    assert_eq!(
        (refused.status, reason(&refused).as_str()),
        (403, "browser_mismatch")
    );
    assert_eq!(app.completed_logins().await, 0);
    let (s, body) = app.open(&token, &attacker_device).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (403, Some("federated_sign_in_required"))
    );

    // Her own sign-in (the IdP remembers her, so no login form this time) opens the share
    // in her browser only.
    let start = victim
        .post_form(
            &format!("{}/auth/federation/share", app.base),
            &[("token", token.as_str())],
            Some(&app.base),
        )
        .await;
    let form = victim.follow(&harness::refresh_url(&start)).await;
    let response = hidden(&form.body, "SAMLResponse")
        .unwrap_or_else(|| panic!("no SAMLResponse: {}", form.body));
    let relay = hidden(&form.body, "RelayState").unwrap_or_default();
    let done = post_acs(&victim, &acs, &response, &relay, &ssp.base).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains(&format!("/s/{token}")), "{}", done.body);
    let (s, _) = app.open(&token, &attacker_device).await;
    assert_eq!(s, 403);
    let (s, body) = app.open(&token, &victim_device).await;
    assert_eq!(s, 200, "{body}");

    let failures = app.audit("federation.sign_in_failed").await;
    let mismatches = failures
        .iter()
        .filter(|e| e["details"]["reason"] == "browser_mismatch")
        .count();
    assert_eq!(mismatches, 2, "both attempts are audited");
}

/// Security review, finding 4: every junk POST to an ACS used to append a permanent event
/// to the organisation's hash chain. Junk that proves nothing (no sign-in of ours, nothing
/// verified) is audited once per window per address, with a count; the rest is cut off by
/// the sign-in rate limit.
#[tokio::test]
async fn junk_at_an_acs_is_audited_once_per_window_with_a_count() {
    let app = App::start().await;
    let crafter = Crafter::new();
    let partner = app.partner().await;
    let (s, idp) = app
        .rest(
            Method::POST,
            &format!("/api/v1/partners/{partner}/idps"),
            Some(json!({ "kind": "saml", "name": "Crafted", "metadata_xml": crafter.metadata() })),
        )
        .await;
    assert_eq!(s, 201, "{idp}");
    let acs = idp["sp_acs_url"].as_str().unwrap().to_owned();
    let browser = Client::new();
    let (mut refused, mut limited) = (0, 0);
    for i in 0..80 {
        let page = deliver(
            &browser,
            &acs,
            &encode(&format!("<junk n=\"{i}\"/>")),
            "",
            "https://evil.example",
        )
        .await;
        match page.status {
            403 => refused += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}: {}", page.body),
        }
    }
    assert!(
        refused >= 1 && limited >= 1,
        "{refused} refused, {limited} limited"
    );
    let failures = app.audit("federation.sign_in_failed").await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["details"]["repeated_before"], 0);
    // After the window, what was only counted is recorded as one summary event.
    let later = app.core.now_ms() + backend::audit::coalesce::WINDOW_MS;
    let counted = app.core.junk.take_finished(later);
    assert_eq!(counted.len(), 1);
    assert_eq!(counted[0].1, refused - 1);
}
