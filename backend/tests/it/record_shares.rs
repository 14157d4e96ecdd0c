//! Shares of data records (issue 14, part 2) on both engines: an invitation to a record,
//! opened with the mailed code; the canary walk over every guest-facing answer; the signed
//! export verified against the published JWKS; marks that apply at the next view;
//! revocation.

use backend::actor::{RequestMeta, Staff};
use backend::domain::Method;
use backend::services::access::{self, Purpose};
use backend::services::records::{self, RecordEdit};
use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
use backend::services::ServiceError;
use backend::store::{Db, Engine};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::common::{org_admin, Harness};

both_engines!(
    a_record_shared_by_invitation_never_shows_its_guest_what_is_withheld,
    a_record_share_follows_its_policy_and_ends_with_revocation,
    a_record_share_meets_the_policy_of_everything_it_carries,
    an_expired_record_share_is_extended_and_its_invitation_sent_again,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.27".parse().unwrap()), Some("test-agent"))
}

/// Every canary `delivery` hides: none may reach a guest.
const CANARIES: [&str; 7] = [
    "CANARY-FIELD",
    "CANARY-NESTED",
    "CANARY-EVENT",
    "CANARY-ACTOR",
    "CANARY-PLACE",
    "CANARY-LINK",
    "CANARY-DOC",
];

fn assert_clean(what: &str, text: &str) {
    for canary in CANARIES {
        assert!(
            !text.contains(canary),
            "{canary} reached the guest in {what}: {text}"
        );
    }
}

/// Tries a week's link share of the record `id` for `name <email>`, with no settings.
async fn try_share(
    h: &Harness,
    who: &Staff,
    id: &str,
    name: &str,
    email: &str,
) -> Result<Vec<shares::CreatedShare>, ServiceError> {
    let new = NewShare {
        item: SharedItem::Record(id.to_owned()),
        recipients: vec![Recipient {
            name: name.into(),
            email: email.into(),
        }],
        expiry: Expiry::Days(7),
        ..Default::default()
    };
    shares::create(&h.core, who, new, &meta()).await
}

/// A share of the record `id` for Jane, downloads allowed: the share's id and its link
/// token.
async fn invite(h: &Harness, admin: &Staff, id: &str, method: Method) -> (String, String) {
    let c = shares::create(
        &h.core,
        admin,
        NewShare {
            item: SharedItem::Record(id.to_owned()),
            method: Some(method),
            recipients: vec![Recipient {
                name: "Jane Auditor".into(),
                email: "jane@lawfirm.example".into(),
            }],
            expiry: Expiry::Days(7),
            settings: backend::domain::ShareSettings {
                allow_download: true,
                ..Default::default()
            },
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap()
    .remove(0);
    let token = c.url.expose_secret().rsplit('/').next().unwrap().to_owned();
    (c.share.id, token)
}

async fn a_record_shared_by_invitation_never_shows_its_guest_what_is_withheld(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let (id, _, public) = crate::records::delivery(&h, &admin).await;
    let (share_id, token) = invite(&h, &admin, &id, Method::Invitation).await;
    let invitation = crate::common::local_mail(&h, &admin, "jane@lawfirm.example", "").await;
    assert_clean("the invitation", &invitation);
    assert!(invitation.contains("Consignment 42"), "{invitation}");
    let jwt = crate::guest_home::open_as_jane(&h, &admin, &token).await;
    let guest = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    assert_eq!(guest.item_id, id);

    // Every answer a guest can get, as text.
    let mut seen: Vec<(&str, String)> = Vec::new();
    let record = access::shared_record(&h.core, &guest, &meta())
        .await
        .unwrap()
        .unwrap();
    seen.push(("the record", serde_json::to_string(&record).unwrap()));
    let overview = access::overview(&h.core, &guest).await.unwrap();
    seen.push(("the overview", serde_json::to_string(&overview).unwrap()));
    let items = access::items(&h.core, &guest).await.unwrap();
    seen.push(("the items", serde_json::to_string(&items).unwrap()));
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    seen.push(("the home", serde_json::to_string(&home).unwrap()));
    for item in &items {
        let (_, bytes) = access::item_content(&h.core, &guest, &item.id, Purpose::View, &meta())
            .await
            .unwrap();
        seen.push(("a document", String::from_utf8_lossy(&bytes).into_owned()));
    }
    let signed = access::signed_record(&h.core, &guest, &meta())
        .await
        .unwrap();
    let payload = decoded_payload(&signed.jws);
    seen.push(("the signed export", payload.to_string()));
    for (what, text) in &seen {
        assert_clean(what, text);
    }
    // What is not withheld is all there, with the documents' hashes.
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, public);
    assert_eq!(items[0].sha256.len(), 64);
    assert_eq!(record.record.fields["consignee"]["name"], "Port Authority");
    assert_eq!(record.history.len(), 2);
    assert_eq!(payload["record"]["record_type"], "delivery");
    assert_eq!(payload["share"], share_id);
    assert_eq!(payload["recipient"], "jane@lawfirm.example");

    // The private document's id is not served, whatever the guest asks.
    let private = records::get(&h.core, &admin, &id).await.unwrap().documents[1]
        .document_id
        .clone();
    for purpose in [Purpose::View, Purpose::Download] {
        let e = access::item_content(&h.core, &guest, &private, purpose, &meta()).await;
        assert!(matches!(e, Err(ServiceError::NotFound(_))), "{e:?}");
        assert_clean("the refusal", &format!("{e:?}"));
    }

    // The signature verifies with the published JWKS, and only unaltered.
    verify_with_jwks(&h, &signed.jws).expect("the export verifies");
    let mut forged = signed.jws.clone();
    forged.insert(forged.find('.').unwrap() + 5, 'A');
    assert!(
        verify_with_jwks(&h, &forged).is_err(),
        "an altered export verified"
    );

    // A mark set after the share was made applies at the guest's next view.
    let current = records::get(&h.core, &admin, &id).await.unwrap();
    let mut redacted: Vec<String> = current.redacted.iter().map(|p| p.to_string()).collect();
    redacted.push("consignee.name".into());
    records::update(
        &h.core,
        &admin,
        &id,
        RecordEdit {
            record_type: current.summary.record_type.clone(),
            title: current.summary.title.clone(),
            reference: current.summary.reference.clone(),
            fields: current.fields.clone(),
            redacted: Some(redacted),
            version: current.version,
        },
        &meta(),
    )
    .await
    .unwrap();
    let again = access::shared_record(&h.core, &guest, &meta())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.record.fields["consignee"], json!({}));
    // So does a document made private.
    records::attach_document(
        &h.core,
        &admin,
        &id,
        records::DocumentInput {
            document_id: public.clone(),
            private: true,
        },
        &meta(),
    )
    .await
    .unwrap();
    assert!(access::items(&h.core, &guest).await.unwrap().is_empty());
    let e = access::item_content(&h.core, &guest, &public, Purpose::View, &meta()).await;
    assert!(matches!(e, Err(ServiceError::NotFound(_))), "{e:?}");

    // Staff see the share on the record (the Shares tab) and the guest's views audited.
    let listed = shares::list(
        &h.core,
        &admin,
        shares::ShareFilter {
            document_id: Some(id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].item.kind, "record");
    assert_eq!(listed.items[0].item.title, "Consignment 42");
    let events = backend::services::audit_log::list(
        &h.core,
        &admin,
        backend::services::audit_log::AuditFilter {
            share_id: Some(share_id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let types: Vec<&str> = events.items.iter().map(|e| e.event_type.as_str()).collect();
    for t in [
        "share.created",
        "share.accessed",
        "item.viewed",
        "item.downloaded",
    ] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
    assert!(events
        .items
        .iter()
        .all(|e| e.item_id.as_deref() == Some(id.as_str())
            || e.event_type == "item.viewed" && e.item_id.as_deref() == Some(public.as_str())));
}

async fn a_record_share_follows_its_policy_and_ends_with_revocation(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let (id, _, _) = crate::records::delivery(&h, &admin).await;
    // A policy that does not allow record shares refuses one.
    let mut policy = backend::services::policy::get(&h.core, &admin)
        .await
        .unwrap();
    policy
        .allowed_scopes
        .retain(|s| *s != backend::domain::Scope::Record);
    backend::services::policy::set(&h.core, &admin, policy.clone(), &meta())
        .await
        .unwrap();
    let refused = try_share(&h, &admin, &id, "Jane", "jane@lawfirm.example").await;
    assert!(
        matches!(refused, Err(ServiceError::Invalid { field: "scope", .. })),
        "{refused:?}"
    );
    policy.allowed_scopes.push(backend::domain::Scope::Record);
    policy.revoked_link = backend::domain::RevokedLink::NotFound;
    backend::services::policy::set(&h.core, &admin, policy, &meta())
        .await
        .unwrap();
    let (share_id, token) = invite(&h, &admin, &id, Method::Link).await;
    let jwt = crate::guest_home::open_as_jane(&h, &admin, &token).await;
    let guest = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    access::signed_record(&h.core, &guest, &meta())
        .await
        .unwrap();
    // A view-only share shows the record and exports no copy of it.
    let view_only = shares::ShareChange {
        allow_download: Some(false),
        ..Default::default()
    };
    shares::change(&h.core, &admin, &share_id, view_only, &meta())
        .await
        .unwrap();
    access::shared_record(&h.core, &guest, &meta())
        .await
        .unwrap()
        .unwrap();
    let e = access::signed_record(&h.core, &guest, &meta()).await;
    assert!(
        matches!(e, Err(ServiceError::Forbidden(_))),
        "{:?}",
        e.err()
    );
    shares::revoke(&h.core, &admin, &share_id, &meta())
        .await
        .unwrap();
    assert!(
        access::authenticate(&h.core, &jwt, &meta()).await.is_err(),
        "the session outlived revocation"
    );
    // With "revoked links are a 404", the link is not told apart from one that never was.
    let again = access::open(
        &h.core,
        access::OpenRequest {
            token: token.clone(),
            device: access::new_device_id(),
            ..Default::default()
        },
        &meta(),
    )
    .await;
    let never = access::open(
        &h.core,
        access::OpenRequest {
            token: format!("{}x", &token[..token.len() - 1]),
            device: access::new_device_id(),
            ..Default::default()
        },
        &meta(),
    )
    .await;
    assert_eq!(
        format!("{:?}", again.err().map(|e| e.code())),
        format!("{:?}", never.err().map(|e| e.code()))
    );
    // Someone else's record cannot be shared.
    let globex = org_admin(&h, "Globex").await;
    let e = try_share(&h, &globex, &id, "Eve", "eve@x.example").await;
    assert!(matches!(e, Err(ServiceError::NotFound("record"))), "{e:?}");
}

/// The JWS payload, decoded without checking (the test checks the signature apart).
fn decoded_payload(jws: &str) -> Value {
    use base64::Engine as _;
    let part = jws.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Verifies `jws` as any JOSE client would: the key named by its `kid` in the JWKS,
/// RS256 only, the issuer checked.
fn verify_with_jwks(h: &Harness, jws: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    use jsonwebtoken::{decode, decode_header, jwk::JwkSet, Algorithm, DecodingKey, Validation};
    let set: JwkSet = serde_json::from_value(h.core.keys.jwks()).unwrap();
    let kid = decode_header(jws)?.kid.unwrap();
    let jwk = set.find(&kid).expect("the kid is published");
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[h.core.settings.issuer()]);
    v.set_required_spec_claims(&["iss", "sub", "iat"]);
    v.validate_exp = false;
    Ok(decode::<Value>(jws, &DecodingKey::from_jwk(jwk)?, &v)?.claims)
}

/// The `record_shares` migration rebuilds `shares` on SQLite: every share, and every row of
/// the tables that refer to shares, is still there and still consistent; a share now names
/// a document or a record, never both and never neither.
async fn the_migration_keeps_every_share_and_what_refers_to_it(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let (pool, url, pg) = crate::common::migrated_before(engine, dir.path(), 20261212000027).await;
    for sql in [
        "INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'Acme', 1)",
        "INSERT INTO users (id, org_id, email, display_name, role, created_at) VALUES \
         ('u1', 'o1', 'a@acme.example', 'A', 'admin', 1)",
        "INSERT INTO documents (id, org_id, title, file_name, content_type, size_bytes, sha256, \
         blob_key, created_by, created_at, family_id, revision) VALUES ('d1', 'o1', 'T', 't.txt', \
         'text/plain', 1, 'x', 'k', 'u1', 1, 'd1', 1)",
        "INSERT INTO portals (id, org_id, name, created_by, created_at, is_default, branding) \
         VALUES ('p1', 'o1', 'Panel', 'u1', 1, 1, '{}')",
        "INSERT INTO shares (id, org_id, selector, verifier_hash, method, document_id, \
         recipient_name, recipient_email, created_by, created_at, max_access_count, \
         require_acknowledgement, settings, portal_id, access_count, remind_at) VALUES \
         ('s1', 'o1', 'sel1', 'h', 'link', 'd1', 'R', 'jane@x.example', 'u1', 1, 0, 0, '{}', \
         'p1', 3, 99)",
        "INSERT INTO share_documents (org_id, share_id, document_id, position) \
         VALUES ('o1', 's1', 'd1', 0)",
        "INSERT INTO share_devices (id, org_id, share_id, device_hash, status, first_seen_at, \
         last_seen_at) VALUES ('v1', 'o1', 's1', 'h', 'approved', 1, 1)",
    ] {
        sqlx::query(sql)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let kept: (String, Option<String>, Option<String>, i64, Option<i64>) = sqlx::query_as(
        "SELECT selector, document_id, record_id, access_count, remind_at FROM shares \
         WHERE id = 's1'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(kept, ("sel1".into(), Some("d1".into()), None, 3, Some(99)));
    let devices: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM share_devices WHERE share_id = 's1'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(devices, 1);
    if engine == Engine::Sqlite {
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
    }
    // Neither or both is refused; a share of a missing record breaks its reference.
    for (document, record) in [("NULL", "NULL"), ("'d1'", "'r1'"), ("NULL", "'nope'")] {
        let sql = format!(
            "INSERT INTO shares (id, org_id, selector, verifier_hash, method, document_id, \
             record_id, recipient_name, recipient_email, created_by, created_at, \
             max_access_count, require_acknowledgement, settings, portal_id) VALUES \
             ('s9', 'o1', 'sel9', 'h', 'link', {document}, {record}, 'R', 'r@x.example', 'u1', \
             1, 0, 0, '{{}}', 'p1')"
        );
        assert!(sqlx::query(&sql).execute(db.pool()).await.is_err(), "{sql}");
    }
    db.close().await;
    if let Some(name) = pg {
        crate::common::drop_postgres(&name).await;
    }
}

#[tokio::test]
async fn the_migration_keeps_every_share_and_what_refers_to_it_sqlite() {
    the_migration_keeps_every_share_and_what_refers_to_it(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_migration_keeps_every_share_and_what_refers_to_it_postgres() {
    the_migration_keeps_every_share_and_what_refers_to_it(Engine::Postgres).await;
}

/// A document attached to a record carries its project's policy into the record's shares:
/// at creation, and at every open and request after it is attached.
async fn a_record_share_meets_the_policy_of_everything_it_carries(h: Harness) {
    use backend::domain::{PolicyOverride, Tlp};
    use backend::services::{documents, policy};
    let admin = org_admin(&h, "Acme").await;
    let (id, _, _) = crate::records::delivery(&h, &admin).await;
    let sealed = policy::create_project(&h.core, &admin, "Sealed", &meta())
        .await
        .unwrap();
    let only_clear = PolicyOverride {
        tlp_ceiling: Some(Tlp::Clear),
        ..Default::default()
    };
    policy::set_project_override(&h.core, &admin, &sealed.id, only_clear, &meta())
        .await
        .unwrap();
    let restricted = documents::upload(
        &h.core,
        &admin,
        documents::Upload {
            title: "Sealed annex".into(),
            file_name: "annex.txt".into(),
            bytes: "sealed".into(),
        },
        &meta(),
    )
    .await
    .unwrap();
    policy::assign_document(&h.core, &admin, &restricted.id, Some(&sealed.id), &meta())
        .await
        .unwrap();
    // Shared at AMBER before the annex is attached: the guest opens it.
    let (_, token) = invite(&h, &admin, &id, Method::Link).await;
    let jwt = crate::guest_home::open_as_jane(&h, &admin, &token).await;
    access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    records::attach_document(
        &h.core,
        &admin,
        &id,
        records::DocumentInput {
            document_id: restricted.id.clone(),
            private: false,
        },
        &meta(),
    )
    .await
    .unwrap();
    // Now the record carries a document its project allows at TLP:CLEAR only: the link
    // no longer opens, and no new share of the record is made.
    let again = access::open(
        &h.core,
        access::OpenRequest {
            token: token.clone(),
            device: access::new_device_id(),
            ..Default::default()
        },
        &meta(),
    )
    .await;
    assert!(
        matches!(
            again,
            Err(ServiceError::Denied(backend::domain::Denial::PolicyForbids))
        ),
        "{:?}",
        again.err()
    );
    let refused = try_share(&h, &admin, &id, "Jane", "jane@lawfirm.example").await;
    assert!(
        matches!(refused, Err(ServiceError::Invalid { field: "tlp", .. })),
        "{refused:?}"
    );
    // Private, the annex no longer travels with the record, nor binds its shares.
    records::attach_document(
        &h.core,
        &admin,
        &id,
        records::DocumentInput {
            document_id: restricted.id.clone(),
            private: true,
        },
        &meta(),
    )
    .await
    .unwrap();
    invite(&h, &admin, &id, Method::Link).await;
}

/// Past its expiry an invitation cannot be sent again; extended, the same link is mailed
/// again and opens the record.
async fn an_expired_record_share_is_extended_and_its_invitation_sent_again(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let (id, _, _) = crate::records::delivery(&h, &admin).await;
    let (share_id, token) = invite(&h, &admin, &id, Method::Invitation).await;
    h.clock.advance(time::Duration::days(8));
    let e = shares::resend_invitation(&h.core, &admin, &share_id, &meta()).await;
    assert!(matches!(e, Err(ServiceError::Conflict(_))), "{:?}", e.err());
    let extend = shares::ShareChange {
        expiry: Some(Expiry::Days(7)),
        ..Default::default()
    };
    shares::change(&h.core, &admin, &share_id, extend, &meta())
        .await
        .unwrap();
    shares::resend_invitation(&h.core, &admin, &share_id, &meta())
        .await
        .unwrap();
    let mail = crate::common::local_mail(&h, &admin, "jane@lawfirm.example", "").await;
    assert!(mail.contains(&token), "the same link is sent again");
    assert!(mail.contains("Consignment 42"), "{mail}");
    let jwt = crate::guest_home::open_as_jane(&h, &admin, &token).await;
    let guest = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    assert!(access::shared_record(&h.core, &guest, &meta())
        .await
        .unwrap()
        .is_some());
}
