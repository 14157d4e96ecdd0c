//! Portal brands: every share belongs to a portal, every guest screen gets that portal's
//! brand, and every brand field refuses bad input with a clear error and writes nothing —
//! on SQLite and on PostgreSQL.

use crate::common::Harness;
use backend::actor::{RequestMeta, Site, Staff};
use backend::domain::branding::FooterLink;
use backend::domain::{Method, Role};
use backend::services::portals::branding::{self, BrandingInput, GuestBrand};
use backend::services::shares::{self, NewShare, Recipient, SharedItem};
use backend::services::ServiceError;
use backend::services::{access, audit_log, documents, policy, portals};
use secrecy::ExposeSecret;

both_engines!(
    every_share_belongs_to_a_portal,
    guests_see_their_shares_portal_brand,
    bad_brand_input_is_refused_by_field_and_writes_nothing,
    logos_are_re_encoded_and_served_by_content,
    portal_terms_apply_when_the_share_names_none,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.9".parse().unwrap()), Some("branding-test"))
}

use crate::common::org_admin as org;

async fn document(h: &Harness, who: &Staff) -> String {
    documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: "Evidence bundle".into(),
            file_name: "evidence.txt".into(),
            bytes: "evidence".into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id
}

fn new_share(doc: &str, portal_id: Option<&str>) -> NewShare {
    NewShare {
        item: SharedItem::Document(doc.to_owned()),
        recipients: vec![Recipient {
            name: "Jane Counsel".into(),
            email: "jane@lawfirm.example".into(),
        }],
        portal_id: portal_id.map(str::to_owned),
        ..Default::default()
    }
}

/// (share id, link token).
async fn share_in(h: &Harness, who: &Staff, doc: &str, portal: Option<&str>) -> (String, String) {
    let c = shares::create(&h.core, who, new_share(doc, portal), &meta())
        .await
        .unwrap()
        .remove(0);
    let token = c.url.expose_secret().rsplit('/').next().unwrap().to_owned();
    (c.share.id, token)
}

fn field<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> &'static str {
    match r {
        Err(ServiceError::Invalid { field, .. }) => field,
        other => panic!("expected a named invalid field, got {other:?}"),
    }
}

fn message<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> String {
    match r {
        Err(e @ ServiceError::Invalid { .. }) => e.to_string(),
        other => panic!("expected an invalid input, got {other:?}"),
    }
}

fn evidence_brand() -> BrandingInput {
    BrandingInput {
        display_name: "Evidence Unit".into(),
        primary: "#0b3d91".into(),
        accent: "#b8860b".into(),
        background: "#ffffff".into(),
        disclaimer: "Handle under **TLP rules**. See [policy](https://agency.example/policy)."
            .into(),
        support_contact: "help@agency.example".into(),
        footer_links: vec![FooterLink {
            label: "Privacy".into(),
            url: "https://agency.example/privacy".into(),
        }],
        terms_id: None,
    }
}

async fn every_share_belongs_to_a_portal(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let list = portals::list(&h.core, &admin).await.unwrap();
    assert_eq!(
        list.len(),
        1,
        "an organisation starts with its default portal"
    );
    assert!(list[0].is_default);
    let default_id = list[0].id.clone();

    let (id, _) = share_in(&h, &admin, &doc, None).await;
    let view = shares::get(&h.core, &admin, &id).await.unwrap();
    assert_eq!(
        view.portal_id, default_id,
        "no portal named: the default one"
    );

    let evidence = portals::create(&h.core, &admin, "Evidence", &meta())
        .await
        .unwrap();
    let (id, _) = share_in(&h, &admin, &doc, Some(&evidence.id)).await;
    assert_eq!(
        shares::get(&h.core, &admin, &id).await.unwrap().portal_id,
        evidence.id
    );

    // Another organisation's portal cannot be named.
    let other = org(&h, "Other").await;
    let other_doc = document(&h, &other).await;
    assert!(matches!(
        shares::create(
            &h.core,
            &other,
            new_share(&other_doc, Some(&evidence.id)),
            &meta()
        )
        .await,
        Err(ServiceError::NotFound("portal"))
    ));
    // A portal-members share must name its portal.
    assert_eq!(
        field(
            shares::create(
                &h.core,
                &admin,
                NewShare {
                    method: Some(Method::Portal),
                    ..new_share(&doc, None)
                },
                &meta()
            )
            .await
        ),
        "portal_id"
    );
}

async fn guests_see_their_shares_portal_brand(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let evidence = portals::create(&h.core, &admin, "Evidence", &meta())
        .await
        .unwrap();
    let saved = branding::set(&h.core, &admin, &evidence.id, &evidence_brand(), &meta())
        .await
        .unwrap();
    assert_eq!(saved.primary, "#0b3d91");
    assert_eq!(saved.support_contact, "help@agency.example");

    let (branded_id, branded) = share_in(&h, &admin, &doc, Some(&evidence.id)).await;
    let (_, plain) = share_in(&h, &admin, &doc, None).await;

    let landing = access::landing(&h.core, &branded, None, &meta())
        .await
        .unwrap();
    let b = &landing.brand;
    assert_eq!(b.name, "Evidence Unit");
    let theme = b.theme_path.clone().expect("a palette gives a theme");
    assert!(theme.starts_with(&format!("/brand/{}/theme-", evidence.id)));
    assert!(b.disclaimer_html.contains("<strong>TLP rules</strong>"));
    assert!(b
        .disclaimer_html
        .contains("href=\"https://agency.example/policy\""));
    assert_eq!(
        b.support,
        Some((
            "help@agency.example".into(),
            "mailto:help@agency.example".into()
        ))
    );
    // The theme is served under its version, and only under it.
    let version = theme
        .rsplit("theme-")
        .next()
        .unwrap()
        .trim_end_matches(".css");
    let css = branding::theme_css(&h.core, &evidence.id, version)
        .await
        .unwrap()
        .unwrap();
    assert!(css.contains("--brand:#0b3d91") && css.contains("--ink:#000000"));
    assert_eq!(
        branding::theme_css(&h.core, &evidence.id, "0000000000000000")
            .await
            .unwrap(),
        None
    );

    // The default portal shows the organisation's name and the standard disclaimer.
    let landing = access::landing(&h.core, &plain, None, &meta())
        .await
        .unwrap();
    assert_eq!(landing.brand.name, "Acme");
    assert_eq!(landing.brand.theme_path, None);
    assert!(landing
        .brand
        .disclaimer_html
        .contains("Every access is recorded"));

    // A revoked share's denial keeps its portal's brand; an unknown link gets Liaison's.
    shares::revoke(&h.core, &admin, &branded_id, &meta())
        .await
        .unwrap();
    assert!(access::landing(&h.core, &branded, None, &meta())
        .await
        .is_err());
    let denied = access::brand_for_link(&h.core, &branded, &Site::Installation)
        .await
        .unwrap();
    assert_eq!(denied.name, "Evidence Unit");
    assert_eq!(
        denied.disclaimer_html, "",
        "a denial does not repeat the disclaimer"
    );
    let unknown = access::brand_for_link(&h.core, "not-a-link", &Site::Installation)
        .await
        .unwrap();
    assert_eq!(
        unknown,
        GuestBrand {
            disclaimer_html: String::new(),
            ..GuestBrand::liaison()
        }
    );
}

async fn bad_brand_input_is_refused_by_field_and_writes_nothing(h: Harness) {
    let admin = org(&h, "Acme").await;
    let portal = portals::create(&h.core, &admin, "Evidence", &meta())
        .await
        .unwrap();
    let set = |input: BrandingInput| {
        let core = h.core.clone();
        let admin = admin.clone();
        let id = portal.id.clone();
        async move { branding::set(&core, &admin, &id, &input, &meta()).await }
    };
    let audit_before = audit_log::list(&h.core, &admin, Default::default())
        .await
        .unwrap()
        .items
        .len();

    // Unreadable palettes: refused with the ratio.
    let m = message(
        set(BrandingInput {
            primary: "#ffee00".into(),
            ..evidence_brand()
        })
        .await,
    );
    assert!(m.contains("1.20:1") && m.contains("4.5:1"), "{m}");
    assert_eq!(
        field(
            set(BrandingInput {
                accent: "#f0f0f0".into(),
                ..evidence_brand()
            })
            .await
        ),
        "accent"
    );
    for (bad, f) in [
        ("#12345", "primary"),
        ("red", "primary"),
        ("#0b3d91;} body{display:none", "primary"),
        ("", "primary"),
    ] {
        assert_eq!(
            field(
                set(BrandingInput {
                    primary: bad.into(),
                    ..evidence_brand()
                })
                .await
            ),
            f,
            "{bad:?}"
        );
    }
    // Links: https only, no credentials; support: an address or an https page.
    for url in [
        "javascript:alert(1)",
        "http://agency.example/privacy",
        "data:text/html,<script>alert(1)</script>",
        "https://user:pass@agency.example/",
        "//agency.example/x",
    ] {
        assert_eq!(
            field(
                set(BrandingInput {
                    footer_links: vec![FooterLink {
                        label: "x".into(),
                        url: url.into()
                    }],
                    ..evidence_brand()
                })
                .await
            ),
            "footer_links.url",
            "{url}"
        );
    }
    for contact in [
        "javascript:alert(1)",
        "not an address",
        "help?cc=x@evil.example&body=hi@agency.example",
        "\"x@evil\"@agency.example",
        "http://agency.example",
    ] {
        assert_eq!(
            field(
                set(BrandingInput {
                    support_contact: contact.into(),
                    ..evidence_brand()
                })
                .await
            ),
            "support_contact",
            "{contact}"
        );
    }
    assert_eq!(
        field(
            set(BrandingInput {
                display_name: "x".repeat(121),
                ..evidence_brand()
            })
            .await
        ),
        "display_name"
    );
    assert_eq!(
        field(
            set(BrandingInput {
                disclaimer: "y".repeat(4001),
                ..evidence_brand()
            })
            .await
        ),
        "disclaimer"
    );
    assert_eq!(
        field(
            set(BrandingInput {
                footer_links: (0..7)
                    .map(|i| FooterLink {
                        label: format!("l{i}"),
                        url: "https://a.example".into()
                    })
                    .collect(),
                ..evidence_brand()
            })
            .await
        ),
        "footer_links"
    );
    assert_eq!(
        field(
            set(BrandingInput {
                terms_id: Some("nope".into()),
                ..evidence_brand()
            })
            .await
        ),
        "terms_id"
    );
    // Nothing was written by any refusal.
    let after = portals::list(&h.core, &admin).await.unwrap();
    let stored = &after.iter().find(|p| p.id == portal.id).unwrap().branding;
    assert_eq!(stored, &Default::default());
    let audit_after = audit_log::list(&h.core, &admin, Default::default())
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(
        audit_before, audit_after,
        "no refusal is audited as a change"
    );

    // Markup in text fields is kept as text; in the disclaimer it never becomes markup.
    let hostile = BrandingInput {
        display_name: "<script>alert('name')</script>".into(),
        disclaimer: "<img src=x onerror=alert(1)> [x](javascript:alert(1))".into(),
        ..evidence_brand()
    };
    set(hostile).await.unwrap();
    let doc = document(&h, &admin).await;
    let (_, token) = share_in(&h, &admin, &doc, Some(&portal.id)).await;
    let b = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap()
        .brand;
    assert_eq!(
        b.name, "<script>alert('name')</script>",
        "text, escaped by the page"
    );
    assert!(!b.disclaimer_html.contains("<img") && !b.disclaimer_html.contains("javascript:"));
    assert!(b.disclaimer_html.contains("&lt;img"));

    // Only administrators change brands; other organisations cannot reach the portal.
    let mut controller = admin.clone();
    controller.role = Role::Controller;
    assert!(matches!(
        branding::set(&h.core, &controller, &portal.id, &evidence_brand(), &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    let other = org(&h, "Other").await;
    assert!(matches!(
        branding::set(&h.core, &other, &portal.id, &evidence_brand(), &meta()).await,
        Err(ServiceError::NotFound("portal"))
    ));
}

fn png(w: u32, h: u32) -> Vec<u8> {
    // A minimal valid PNG written by hand would be brittle; the image crate is a
    // dev-dependency through the backend already.
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x % 200) as u8, (y % 200) as u8, 120, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn logos_are_re_encoded_and_served_by_content(h: Harness) {
    let admin = org(&h, "Acme").await;
    let portal = portals::create(&h.core, &admin, "Evidence", &meta())
        .await
        .unwrap();
    let mut upload = png(600, 200);
    upload.extend_from_slice(b"<html><script>alert('polyglot')</script></html>");
    let view = branding::set_logo(&h.core, &admin, &portal.id, upload.into(), &meta())
        .await
        .unwrap();
    let url = view.logo_url.expect("a logo URL");
    let sha = url
        .rsplit("logo-")
        .next()
        .unwrap()
        .trim_end_matches(".webp");
    let served = branding::logo_bytes(&h.core, &portal.id, sha)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&served[8..12], b"WEBP");
    assert!(!String::from_utf8_lossy(&served).contains("polyglot"));
    let doc = document(&h, &admin).await;
    let (_, token) = share_in(&h, &admin, &doc, Some(&portal.id)).await;
    let logo = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap()
        .brand
        .logo
        .unwrap();
    assert_eq!(
        (logo.width, logo.height),
        (480, 160),
        "fitted into 480 × 160"
    );

    // SVG and HTML are refused by name and change nothing.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    let m = message(branding::set_logo(&h.core, &admin, &portal.id, svg.into(), &meta()).await);
    assert!(m.contains("SVG"), "{m}");
    assert!(matches!(
        branding::set_logo(
            &h.core,
            &admin,
            &portal.id,
            vec![0u8; 1024 * 1024 + 1].into(),
            &meta()
        )
        .await,
        Err(ServiceError::PayloadTooLarge { .. })
    ));
    assert_eq!(
        branding::logo_bytes(&h.core, &portal.id, sha)
            .await
            .unwrap()
            .map(|b| b.len()),
        Some(served.len()),
        "the refused uploads left the logo as it was"
    );
    // Removing it: the old name is no longer served.
    branding::clear_logo(&h.core, &admin, &portal.id, &meta())
        .await
        .unwrap();
    assert_eq!(
        branding::logo_bytes(&h.core, &portal.id, sha)
            .await
            .unwrap(),
        None
    );
}

async fn portal_terms_apply_when_the_share_names_none(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let terms = policy::publish_terms(&h.core, &admin, "2", "Evidence terms v2", &meta())
        .await
        .unwrap();
    let portal = portals::create(&h.core, &admin, "Evidence", &meta())
        .await
        .unwrap();
    branding::set(
        &h.core,
        &admin,
        &portal.id,
        &BrandingInput {
            terms_id: Some(terms.id.clone()),
            ..evidence_brand()
        },
        &meta(),
    )
    .await
    .unwrap();
    let (_, token) = share_in(&h, &admin, &doc, Some(&portal.id)).await;
    let landing = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap();
    assert_eq!(
        landing.terms.map(|t| t.body),
        Some("Evidence terms v2".into())
    );
    let (_, plain) = share_in(&h, &admin, &doc, None).await;
    assert!(access::landing(&h.core, &plain, None, &meta())
        .await
        .unwrap()
        .terms
        .is_none());
    // New portal terms bind new shares; an existing share keeps what its guest was shown.
    let v3 = policy::publish_terms(&h.core, &admin, "3", "Evidence terms v3", &meta())
        .await
        .unwrap();
    branding::set(
        &h.core,
        &admin,
        &portal.id,
        &BrandingInput {
            terms_id: Some(v3.id),
            ..evidence_brand()
        },
        &meta(),
    )
    .await
    .unwrap();
    let landing = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap();
    assert_eq!(
        landing.terms.map(|t| t.body),
        Some("Evidence terms v2".into())
    );
    let (_, newer) = share_in(&h, &admin, &doc, Some(&portal.id)).await;
    let landing = access::landing(&h.core, &newer, None, &meta())
        .await
        .unwrap();
    assert_eq!(
        landing.terms.map(|t| t.body),
        Some("Evidence terms v3".into())
    );
}

/// The `portal_branding` migration on a database holding shares from before it: portal
/// shares keep their portal (moved out of their settings), every other share joins its
/// organisation's new default portal, and a portal already named "Default portal" keeps
/// its name.
async fn the_migration_gives_every_existing_share_a_portal(engine: backend::store::Engine) {
    use backend::store::Db;
    let dir = tempfile::tempdir().unwrap();
    let (pool, url, pg) = crate::common::migrated_before(engine, dir.path(), 20261203000014).await;
    for sql in [
        "INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'Acme', 1), ('o2', 'Globex', 2)",
        "INSERT INTO users (id, org_id, email, display_name, role, created_at) VALUES \
         ('u1', 'o1', 'a@acme.example', 'A', 'admin', 1), ('u2', 'o2', 'b@globex.example', 'B', 'admin', 2)",
        "INSERT INTO documents (id, org_id, title, file_name, content_type, size_bytes, sha256, blob_key, created_by, created_at) \
         VALUES ('d1', 'o1', 'T', 't.txt', 'text/plain', 1, 'x', 'k', 'u1', 1), ('d2', 'o2', 'T', 't.txt', 'text/plain', 1, 'x', 'k', 'u2', 2)",
        "INSERT INTO portals (id, org_id, name, created_by, created_at) VALUES \
         ('p1', 'o1', 'Panel', 'u1', 1), ('p2', 'o2', 'Default portal', 'u2', 2)",
        "INSERT INTO shares (id, org_id, selector, verifier_hash, method, document_id, recipient_name, \
         recipient_email, created_by, created_at, max_access_count, require_acknowledgement, settings) VALUES \
         ('s1', 'o1', 'sel1', 'h', 'portal', 'd1', 'R', 'r@x.example', 'u1', 1, 0, 0, '{\"portal_id\":\"p1\",\"allow_print\":true}'), \
         ('s2', 'o1', 'sel2', 'h', 'link', 'd1', 'R', 'r@x.example', 'u1', 1, 0, 0, '{}'), \
         ('s3', 'o2', 'sel3', 'h', 'link', 'd2', 'R', 'r@x.example', 'u2', 2, 0, 0, '{\"portal_id\":null}')",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let default_of = |org: &'static str| {
        let db = db.clone();
        async move {
            backend::store::portals::default_of(db.pool(), org)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let acme = default_of("o1").await;
    assert_eq!(acme.name, "Default portal");
    let globex = default_of("o2").await;
    assert_eq!(globex.name, "Default portal 2", "the existing name is kept");
    let share = |org: &'static str, id: &'static str| {
        let db = db.clone();
        async move {
            backend::store::shares::get(db.pool(), org, id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let s1 = share("o1", "s1").await;
    assert_eq!(s1.portal_id, "p1");
    assert!(s1.settings.allow_print, "the rest of the settings survive");
    assert_eq!(share("o1", "s2").await.portal_id, acme.id);
    assert_eq!(share("o2", "s3").await.portal_id, globex.id);
    let raw: String = sqlx::query_scalar("SELECT settings FROM shares WHERE id = 's1'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(!raw.contains("portal_id"), "{raw}");
    db.close().await;
    if let Some(name) = pg {
        crate::common::drop_postgres(&name).await;
    }
}

#[tokio::test]
async fn the_migration_gives_every_existing_share_a_portal_sqlite() {
    the_migration_gives_every_existing_share_a_portal(backend::store::Engine::Sqlite).await;
}

#[tokio::test]
async fn the_migration_gives_every_existing_share_a_portal_postgres() {
    the_migration_gives_every_existing_share_a_portal(backend::store::Engine::Postgres).await;
}
