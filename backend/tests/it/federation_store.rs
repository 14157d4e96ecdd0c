//! Partner administration, home-realm discovery for federated shares, and the federation
//! store's one-time guarantees (sign-ins, SAML replay cache), on SQLite and on PostgreSQL.

use crate::common::Harness;
use backend::actor::RequestMeta;
use backend::domain::Method;
use backend::federation::LoginPurpose;
use backend::services::documents::{self, Upload};
use backend::services::partners::{self, IdpInput, PartnerInput};
use backend::services::shares::{self, NewShare, Recipient, SharedItem};
use backend::services::ServiceError;
use backend::store::federation::{self as fed, LoginRow};

both_engines!(
    partners_are_per_organisation_and_domains_unique_within_one,
    federated_shares_find_their_partner_by_domain_all_or_nothing,
    sign_ins_and_assertions_are_used_once,
);

fn meta() -> RequestMeta {
    RequestMeta::new(
        Some("198.51.100.7".parse().unwrap()),
        Some("federation-test"),
    )
}

use crate::common::org_admin as org;

fn partner_input(name: &str, domains: &[&str]) -> PartnerInput {
    serde_json::from_value(serde_json::json!({ "name": name, "domains": domains })).unwrap()
}

/// SAML metadata with a freshly generated self-signed certificate.
fn metadata() -> String {
    use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "idp.partner.test").unwrap();
    let name = name.build();
    let mut b = x509::X509Builder::new().unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let der = b.build().to_der().unwrap();
    use base64::Engine;
    let cert = base64::engine::general_purpose::STANDARD.encode(der);
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.partner.test"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.partner.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

fn saml_input(xml: &str) -> IdpInput {
    serde_json::from_value(
        serde_json::json!({ "kind": "saml", "name": "Partner SSO", "metadata_xml": xml }),
    )
    .unwrap()
}

async fn count(h: &Harness, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(h.core.db.pool())
        .await
        .unwrap()
}

async fn partners_are_per_organisation_and_domains_unique_within_one(h: Harness) {
    let h = h;
    let a = org(&h, "Acme").await;
    let b = org(&h, "Globex").await;
    let p = partners::create_partner(
        &h.core,
        &a,
        partner_input("Partner Agency", &["Partner.TEST", "@agency.test"]),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(p.domains, vec!["agency.test", "partner.test"]);
    // Another organisation may federate with the same partner domain.
    partners::create_partner(
        &h.core,
        &b,
        partner_input("Same partner", &["partner.test"]),
        &meta(),
    )
    .await
    .unwrap();
    // Within one organisation a domain belongs to one partner; nothing is written.
    let before = count(&h, "partners").await;
    let e = partners::create_partner(
        &h.core,
        &a,
        partner_input("Other", &["partner.test"]),
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ServiceError::Conflict(_)), "{e:?}");
    assert_eq!(count(&h, "partners").await, before);
    for bad in ["not a domain", "-x.test", "localhost", "a..test"] {
        let e = partners::create_partner(&h.core, &a, partner_input("Bad", &[bad]), &meta())
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ServiceError::Invalid {
                    field: "domains",
                    ..
                }
            ),
            "{bad}: {e:?}"
        );
    }
    // Cross-organisation ids are not found.
    let e = partners::get_partner(&h.core, &b, &p.id).await.unwrap_err();
    assert!(matches!(e, ServiceError::NotFound("partner")), "{e:?}");
    let e = partners::create_idp(&h.core, &b, Some(&p.id), saml_input(&metadata()), &meta())
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::NotFound("partner")), "{e:?}");
    // Bad metadata: a clear error naming the field, nothing written.
    for bad in [
        "<not-metadata/>",
        "<!DOCTYPE x [<!ENTITY e \"e\">]><x>&e;</x>",
        "",
    ] {
        let e = partners::create_idp(&h.core, &a, Some(&p.id), saml_input(bad), &meta())
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                ServiceError::Invalid {
                    field: "metadata_xml",
                    ..
                }
            ),
            "{e:?}"
        );
    }
    assert_eq!(count(&h, "identity_providers").await, 0);
    // A good one, with what to register at the IdP.
    let idp = partners::create_idp(&h.core, &a, Some(&p.id), saml_input(&metadata()), &meta())
        .await
        .unwrap();
    assert!(idp
        .sp_acs_url
        .unwrap()
        .ends_with(&format!("/auth/saml/{}/acs", idp.id)));
    // Only administrators manage partners.
    let mut controller = a.clone();
    controller.role = backend::domain::Role::Controller;
    let e = partners::list_partners(&h.core, &controller)
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{e:?}");
    // Every change is audited.
    let changes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE org_id = $1 AND event_type IN ('federation.partner_changed', 'federation.idp_changed')",
    )
    .bind(&a.org_id)
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(changes, 2);
}

async fn federated_shares_find_their_partner_by_domain_all_or_nothing(h: Harness) {
    let h = h;
    let a = org(&h, "Acme").await;
    let doc = documents::upload(
        &h.core,
        &a,
        Upload {
            title: "Brief".into(),
            file_name: "brief.txt".into(),
            bytes: "brief".into(),
        },
        &meta(),
    )
    .await
    .unwrap();
    let share = |emails: &[&str]| NewShare {
        item: SharedItem::Document(doc.id.clone()),
        recipients: emails
            .iter()
            .map(|e| Recipient {
                name: "Partner person".into(),
                email: (*e).into(),
            })
            .collect(),
        method: Some(Method::Federated),
        ..Default::default()
    };
    let p = partners::create_partner(
        &h.core,
        &a,
        partner_input("Partner Agency", &["partner.test"]),
        &meta(),
    )
    .await
    .unwrap();
    // A partner without an IdP cannot receive federated shares yet.
    let e = shares::create(&h.core, &a, share(&["ann@partner.test"]), &meta())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ann@partner.test"), "{e}");
    partners::create_idp(&h.core, &a, Some(&p.id), saml_input(&metadata()), &meta())
        .await
        .unwrap();
    // One recipient outside every partner's domains: nothing is created for anyone.
    let before = count(&h, "shares").await;
    let e = shares::create(
        &h.core,
        &a,
        share(&["ann@partner.test", "eve@elsewhere.test"]),
        &meta(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("eve@elsewhere.test"), "{e}");
    assert_eq!(count(&h, "shares").await, before);
    let created = shares::create(
        &h.core,
        &a,
        share(&["ann@partner.test", "bob@partner.test"]),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(created.len(), 2);
    for c in &created {
        let stored = backend::store::shares::get(h.core.db.pool(), &a.org_id, &c.share.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.method, Method::Federated);
        let rule = stored.settings.federation.unwrap();
        assert_eq!(rule.partner_id, p.id);
        assert!(!rule.any_partner_user);
    }
    // A link share never carries a partner, whatever the input says.
    let mut link = share(&["carol@lawfirm.example"]);
    link.method = Some(Method::Link);
    link.settings.federation = Some(backend::domain::controls::FederationRule {
        partner_id: p.id.clone(),
        any_partner_user: true,
    });
    let created = shares::create(&h.core, &a, link, &meta()).await.unwrap();
    let stored = backend::store::shares::get(h.core.db.pool(), &a.org_id, &created[0].share.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.settings.federation, None);
}

async fn sign_ins_and_assertions_are_used_once(h: Harness) {
    let h = h;
    let a = org(&h, "Acme").await;
    let p = partners::create_partner(
        &h.core,
        &a,
        partner_input("Partner", &["partner.test"]),
        &meta(),
    )
    .await
    .unwrap();
    let idp = partners::create_idp(&h.core, &a, Some(&p.id), saml_input(&metadata()), &meta())
        .await
        .unwrap();
    let pool = h.core.db.pool();
    let now = h.core.now_ms();
    let row = LoginRow {
        device_hash: Some("d1".into()),
        ..LoginRow::started(
            "s1".into(),
            a.org_id.clone(),
            idp.id.clone(),
            LoginPurpose::Share,
            now,
        )
    };
    fed::insert(pool, &row).await.unwrap();
    assert!(fed::pending(pool, "s1", now).await.unwrap().is_some());
    assert!(
        fed::pending(pool, "s1", now + 600_000)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(fed::complete(pool, "s1", "{}", now).await.unwrap());
    assert!(
        !fed::complete(pool, "s1", "{}", now).await.unwrap(),
        "completed once"
    );
    assert!(fed::pending(pool, "s1", now).await.unwrap().is_none());
    assert!(fed::completed_for_device(pool, &a.org_id, "d1", now)
        .await
        .unwrap()
        .is_some());
    assert!(fed::completed_for_device(pool, &a.org_id, "d2", now)
        .await
        .unwrap()
        .is_none());
    assert!(fed::completed_for_device(pool, "other-org", "d1", now)
        .await
        .unwrap()
        .is_none());
    // Consumed once, even by concurrent opens.
    let results = futures::future::join_all((0..8).map(|_| {
        let core = h.core.clone();
        let org_id = a.org_id.clone();
        async move {
            fed::consume(core.db.pool(), &org_id, "s1", now)
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
    // The replay cache accepts an assertion id once per IdP, even concurrently.
    let results = futures::future::join_all((0..8).map(|_| {
        let core = h.core.clone();
        let (org_id, idp_id) = (a.org_id.clone(), idp.id.clone());
        async move {
            fed::remember_assertion(
                core.db.pool(),
                &org_id,
                &idp_id,
                "_assertion-1",
                now + 60_000,
            )
            .await
            .unwrap()
        }
    }))
    .await;
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
    // Expired entries are swept.
    assert!(fed::sweep(pool, now + 700_000).await.unwrap() >= 2);
    assert_eq!(count(&h, "saml_replay").await, 0);
    assert_eq!(count(&h, "federation_logins").await, 0);
}
