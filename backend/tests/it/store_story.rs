//! The share story, end to end through the services, on SQLite and on PostgreSQL.

use crate::common::Harness;
use backend::actor::{RequestMeta, Staff};
use backend::domain::{Denial, ShareStatus};
use backend::services::documents::{self, Upload};
use backend::services::shares::{self, Expiry, NewShare, Recipient, ShareFilter, SharedItem};
use backend::services::{access, audit_log, auth, bootstrap, ServiceError};
use backend::store;
use secrecy::{ExposeSecret, SecretString};

both_engines!(
    sign_in_and_api_keys,
    staff_password_guessing_is_locked_out,
    share_lifecycle,
    tenant_isolation,
    expiry_by_date_is_audited_once,
    access_count_race_has_one_winner,
    keyset_pagination_and_sorting,
    recipient_search_is_right_whether_broad_or_narrow,
    bad_uploads_write_nothing,
    console_sessions_round_trip,
    api_keys_are_named_expire_record_use_and_revoke,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.7".parse().unwrap()), Some("test-agent"))
}

async fn org(h: &Harness, name: &str) -> (Staff, bootstrap::Bootstrapped) {
    let email = format!("admin@{}.example.org", name.to_lowercase());
    let b = bootstrap::bootstrap(&h.core, name, &email)
        .await
        .expect("bootstrap");
    let staff = auth::staff_for_api_key(&h.core, b.api_key.expose_secret(), &Default::default())
        .await
        .expect("api key works");
    (staff, b)
}

async fn upload(h: &Harness, who: &Staff) -> documents::DocumentView {
    documents::upload(
        &h.core,
        who,
        Upload {
            title: "Chain of custody".into(),
            file_name: "custody.txt".into(),
            bytes: "exhibit 7".into(),
        },
        &meta(),
    )
    .await
    .expect("upload")
}

fn new_share(document_id: &str, max: i64, ack: bool) -> NewShare {
    NewShare {
        item: SharedItem::Document(document_id.to_owned()),
        recipients: vec![Recipient {
            name: "Jane Counsel".into(),
            email: "Jane@LawFirm.example".into(),
        }],
        expiry: Expiry::Days(7),
        max_access_count: Some(max),
        require_acknowledgement: ack,
        ..Default::default()
    }
}

/// Creates a single-recipient share.
async fn create_one(
    h: &Harness,
    who: &Staff,
    input: NewShare,
) -> backend::services::Result<shares::CreatedShare> {
    Ok(shares::create(&h.core, who, input, &meta())
        .await?
        .remove(0))
}

/// A verified open from a fresh browser (no device cookie yet).
async fn open(
    h: &Harness,
    token: &str,
    acknowledged: bool,
) -> backend::services::Result<access::PortalSession> {
    access::open(
        &h.core,
        access::OpenRequest {
            token: token.to_owned(),
            acknowledged,
            device: access::new_device_id(),
            ..Default::default()
        },
        &meta(),
    )
    .await
}

fn token_of(url: &SecretString) -> String {
    url.expose_secret().rsplit('/').next().unwrap().to_owned()
}

async fn events(h: &Harness, who: &Staff, share_id: &str) -> Vec<String> {
    let mut list = audit_log::list(
        &h.core,
        who,
        audit_log::AuditFilter {
            share_id: Some(share_id.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    list.reverse();
    list.into_iter().map(|e| e.event_type).collect()
}

async fn sign_in_and_api_keys(h: Harness) {
    let (admin, b) = org(&h, "Acme").await;
    assert_eq!(admin.role, backend::domain::Role::Admin);
    let ok = auth::sign_in(
        &h.core,
        "ADMIN@acme.example.org",
        &b.admin_password,
        &meta(),
    )
    .await
    .expect("sign in");
    assert_eq!(ok.user_id, admin.user_id);
    let bad = auth::sign_in(
        &h.core,
        "admin@acme.example.org",
        &SecretString::from("wrong"),
        &meta(),
    )
    .await;
    assert!(matches!(bad, Err(ServiceError::Unauthenticated(_))));
    let unknown = auth::sign_in(
        &h.core,
        "nobody@acme.example.org",
        &SecretString::from("x"),
        &meta(),
    )
    .await;
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "Email or password is incorrect."
    );
    for bad_key in [
        "",
        "lsn_",
        "Bearer x",
        &format!("{}x", b.api_key.expose_secret()),
        "lsn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert!(
            auth::staff_for_api_key(&h.core, bad_key, &Default::default())
                .await
                .is_err(),
            "{bad_key}"
        );
    }
    let log = audit_log::list(&h.core, &admin, Default::default())
        .await
        .unwrap()
        .items;
    let kinds: Vec<_> = log.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(kinds, ["auth.sign_in_failed", "auth.signed_in"]);
    assert_eq!(log[0].ip.as_deref(), Some("203.0.113.7"));
    // A second bootstrap with the same admin email is a conflict, not a crash.
    let again = bootstrap::bootstrap(&h.core, "Other", "admin@acme.example.org").await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))));
}

/// Guessing a staff password: after `ACCOUNT_LIMIT` failures the account is locked, even
/// the right password is refused, and locked-out attempts cost no PBKDF2 work. Every
/// failure is audited with its reason; other accounts are unaffected.
async fn staff_password_guessing_is_locked_out(h: Harness) {
    let (admin, b) = org(&h, "Acme").await;
    let (_, other) = org(&h, "Globex").await;
    let guess = |email: &'static str, password: SecretString| {
        let core = h.core.clone();
        async move { auth::sign_in(&core, email, &password, &meta()).await }
    };
    for i in 1..=auth::ACCOUNT_LIMIT.max_failures {
        let r = guess(
            "admin@acme.example.org",
            SecretString::from(format!("guess-{i}")),
        )
        .await;
        let locked = i == auth::ACCOUNT_LIMIT.max_failures;
        assert!(
            matches!(
                (&r, locked),
                (Err(ServiceError::Unauthenticated(_)), false)
                    | (Err(ServiceError::Denied(Denial::TooManyAttempts)), true)
            ),
            "attempt {i}: {r:?}"
        );
    }
    let computed = h.core.kdf.computations();
    let right = guess("admin@acme.example.org", b.admin_password.clone()).await;
    assert!(
        matches!(right, Err(ServiceError::Denied(Denial::TooManyAttempts))),
        "{right:?}"
    );
    assert_eq!(
        h.core.kdf.computations(),
        computed,
        "a locked-out attempt computed PBKDF2"
    );
    assert_eq!(
        ServiceError::Denied(Denial::TooManyAttempts).http_status(),
        429
    );
    // Another account (from the same address, below the address limit) still signs in.
    guess("admin@globex.example.org", other.admin_password.clone())
        .await
        .expect("another account is not locked");
    // The lockout ends after its time.
    h.clock.advance(time::Duration::milliseconds(
        auth::ACCOUNT_LIMIT.lockout_ms + 1,
    ));
    guess("admin@acme.example.org", b.admin_password.clone())
        .await
        .expect("the lockout ended");

    let reasons: Vec<String> = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("auth.sign_in_failed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|e| e.details["reason"].as_str().unwrap_or_default().to_owned())
    .collect();
    assert_eq!(reasons.len() as i64, auth::ACCOUNT_LIMIT.max_failures + 1);
    assert_eq!(reasons[0], "locked_out", "newest first");
    assert_eq!(reasons[1], "wrong_password_now_locked_out");
    assert!(reasons[2..].iter().all(|r| r == "wrong_password"));
}

async fn share_lifecycle(h: Harness) {
    let (admin, _) = org(&h, "Acme").await;
    let doc = upload(&h, &admin).await;
    assert_eq!(doc.content_type, "text/plain; charset=utf-8");
    let created = create_one(&h, &admin, new_share(&doc.id, 2, true))
        .await
        .expect("create");
    let url = created.url.expose_secret().to_owned();
    assert!(url.starts_with("http://127.0.0.1:3000/s/"), "{url}");
    let token = token_of(&created.url);
    let share = created.share;
    assert_eq!(share.status, ShareStatus::Active);
    assert_eq!(share.recipient.email, "jane@lawfirm.example");
    assert_eq!(share.item.title, "Chain of custody");
    assert_eq!(share.created_by.name, "Administrator");

    // The database holds no usable token: only the selector and a PBKDF2 hash.
    let row = store::shares::get(h.core.db.pool(), &admin.org_id, &share.id)
        .await
        .unwrap()
        .unwrap();
    assert!(row
        .verifier_hash
        .as_stored()
        .starts_with("pbkdf2-sha256$600000$"));
    assert!(!row.verifier_hash.as_stored().contains(&token[22..]));

    // Landing costs nothing and counts nothing.
    let landing = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap();
    assert!(landing.require_acknowledgement);
    assert_eq!(landing.org_name, "Acme");
    // Without the acknowledgement: refused, not counted.
    let err = open(&h, &token, false).await.unwrap_err();
    assert!(matches!(
        err,
        ServiceError::Denied(Denial::AcknowledgementRequired)
    ));
    // A forged verifier with the right selector is an unknown token.
    let forged = format!("{}{}", &token[..22], "A".repeat(43));
    let err = open(&h, &forged, true).await.unwrap_err();
    assert!(matches!(err, ServiceError::Denied(Denial::UnknownToken)));

    let session = open(&h, &token, true).await.expect("open");
    assert_eq!(session.expires_in, 900);
    let guest = access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .expect("jwt ok");
    assert_eq!(guest.share_id, share.id);
    let items = access::items(&h.core, &guest).await.unwrap();
    assert_eq!(items.len(), 1);
    // View-only: shown as pages drawn on the server, never the file itself.
    assert!(matches!(
        access::item_content(&h.core, &guest, &doc.id, access::Purpose::View, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    let view = access::open_view(&h.core, &guest, &doc.id, &meta())
        .await
        .unwrap();
    assert_eq!(view.pages.len(), 1);
    assert!(matches!(
        access::item_content(&h.core, &guest, "other", access::Purpose::View, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(
        shares::get(&h.core, &admin, &share.id)
            .await
            .unwrap()
            .access_count,
        1
    );

    // Second open uses the last access; the third is refused; the live session survives.
    open(&h, &token, true).await.expect("second open");
    let err = open(&h, &token, true).await.unwrap_err();
    assert!(matches!(
        err,
        ServiceError::Denied(Denial::AccessCountExceeded)
    ));
    assert!(
        access::authenticate(&h.core, &session.access_token, &meta())
            .await
            .is_ok()
    );
    assert_eq!(
        shares::get(&h.core, &admin, &share.id)
            .await
            .unwrap()
            .status,
        ShareStatus::Expired
    );

    // Revocation: effective on the very next request.
    let revoked = shares::revoke(&h.core, &admin, &share.id, &meta())
        .await
        .unwrap();
    assert_eq!(revoked.status, ShareStatus::Revoked);
    let err = access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "This link has been revoked.");
    let err = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Denied(Denial::Revoked)));
    // Revoking twice is harmless and audited once.
    shares::revoke(&h.core, &admin, &share.id, &meta())
        .await
        .unwrap();

    assert_eq!(
        events(&h, &admin, &share.id).await,
        [
            "share.created",
            "share.denied", // forged verifier
            "share.acknowledgement_accepted",
            "share.accessed",
            "item.viewed",
            "share.acknowledgement_accepted",
            "share.accessed",
            "share.expired",
            "share.denied", // count exceeded
            "share.revoked",
            "share.denied", // session after revocation
            "share.denied", // landing after revocation
        ]
    );
    let log = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("share.revoked".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(log[0].details["revoked_by"]["name"], "Administrator");
    assert_eq!(
        log[0].actor.credential,
        format!(
            "api_key:{}",
            match &admin.credential {
                backend::actor::StaffCredential::ApiKey { key_id, .. } => key_id.clone(),
                _ => unreachable!(),
            }
        )
    );
    let accessed = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("share.accessed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(accessed[0].details["access_count"], 2);
    assert!(audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("bogus".into()),
            ..Default::default()
        }
    )
    .await
    .is_err());
}

async fn tenant_isolation(h: Harness) {
    let (acme, _) = org(&h, "Acme").await;
    let (other, _) = org(&h, "Globex").await;
    let doc = upload(&h, &acme).await;
    let created = create_one(&h, &acme, new_share(&doc.id, 0, false))
        .await
        .unwrap();
    let id = created.share.id.clone();
    // Another organisation cannot use, see, or revoke it.
    assert!(matches!(
        create_one(&h, &other, new_share(&doc.id, 0, false)).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        shares::get(&h.core, &other, &id).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        shares::revoke(&h.core, &other, &id, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(shares::list(&h.core, &other, ShareFilter::default())
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(documents::list(&h.core, &other).await.unwrap().is_empty());
    assert!(audit_log::list(&h.core, &other, Default::default())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        shares::get(&h.core, &acme, &id).await.unwrap().status,
        ShareStatus::Active
    );
}

async fn expiry_by_date_is_audited_once(h: Harness) {
    let (admin, _) = org(&h, "Acme").await;
    let doc = upload(&h, &admin).await;
    let mut input = new_share(&doc.id, 0, false);
    input.expiry = Expiry::At(h.core.now() + time::Duration::hours(1));
    let created = create_one(&h, &admin, input).await.unwrap();
    let token = token_of(&created.url);
    let session = open(&h, &token, false).await.unwrap();
    h.clock.advance(time::Duration::hours(2));
    assert_eq!(
        access::authenticate(&h.core, &session.access_token, &meta())
            .await
            .unwrap_err()
            .to_string(),
        "This link has expired."
    );
    assert!(matches!(
        access::landing(&h.core, &token, None, &meta()).await,
        Err(ServiceError::Denied(Denial::Expired))
    ));
    assert_eq!(
        shares::sweep_expired(&h.core, 100).await.unwrap(),
        0,
        "already recorded by the access check"
    );
    let kinds = events(&h, &admin, &created.share.id).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "share.expired").count(),
        1,
        "{kinds:?}"
    );
    // Past-dated and absurd settings are refused at creation.
    let mut past = new_share(&doc.id, 0, false);
    past.expiry = Expiry::At(h.core.now() - time::Duration::minutes(1));
    assert!(matches!(
        create_one(&h, &admin, past).await,
        Err(ServiceError::Invalid {
            field: "expires_at",
            ..
        })
    ));
    let neg = new_share(&doc.id, -1, false);
    assert!(matches!(
        create_one(&h, &admin, neg).await,
        Err(ServiceError::Invalid {
            field: "max_access_count",
            ..
        })
    ));
    let mut bad_email = new_share(&doc.id, 0, false);
    bad_email.recipients[0].email = "not an email".into();
    assert!(matches!(
        create_one(&h, &admin, bad_email).await,
        Err(ServiceError::Invalid {
            field: "recipient.email",
            ..
        })
    ));
}

async fn access_count_race_has_one_winner(h: Harness) {
    let (admin, _) = org(&h, "Acme").await;
    let doc = upload(&h, &admin).await;
    let created = create_one(&h, &admin, new_share(&doc.id, 1, false))
        .await
        .unwrap();
    let token = token_of(&created.url);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let core = h.core.clone();
            let token = token.clone();
            tokio::spawn(async move {
                let req = access::OpenRequest {
                    token,
                    device: access::new_device_id(),
                    ..Default::default()
                };
                access::open(&core, req, &meta()).await.is_ok()
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert_eq!(
        shares::get(&h.core, &admin, &created.share.id)
            .await
            .unwrap()
            .access_count,
        1
    );
}

async fn keyset_pagination_and_sorting(h: Harness) {
    let (admin, _) = org(&h, "Acme").await;
    let doc = upload(&h, &admin).await;
    let portal = store::portals::default_of(h.core.db.pool(), &admin.org_id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = h.core.now_ms();
    // Rows straight through the store: PBKDF2 per share would only slow this test down.
    for i in 0..25i64 {
        let row = store::shares::ShareRow {
            id: store::new_id(),
            org_id: admin.org_id.clone(),
            selector: format!("sel{i:03}"),
            verifier_hash: "pbkdf2-sha256$600000$AAAA$AAAA".into(),
            token_sealed: None,
            method: "link".into(),
            document_id: Some(doc.id.clone()),
            record_id: None,
            recipient_name: format!("R{i}"),
            recipient_email: format!("r{i}@example.org"),
            created_by: admin.user_id.clone(),
            created_at: now + i,
            expires_at: (i % 5 != 0).then_some(now + 86_400_000 - i * 1000),
            max_access_count: 0,
            access_count: 0,
            require_acknowledgement: 0,
            tlp: "AMBER".into(),
            settings: "{}".into(),
            password_hash: None,
            terms_id: None,
            portal_id: Some(portal.clone()),
            remind_at: None,
            last_activity_at: None,
            revoked_at: (i % 7 == 0).then_some(now),
            revoked_by: (i % 7 == 0).then(|| admin.user_id.clone()),
            expired_at: None,
        };
        store::shares::insert(h.core.db.pool(), &row).await.unwrap();
        if row.revoked_at.is_some() {
            store::shares::revoke(
                h.core.db.pool(),
                &admin.org_id,
                &row.id,
                Some(&admin.user_id),
                now,
            )
            .await
            .unwrap();
        }
        for _ in 0..(i % 4) {
            store::shares::try_count_access(h.core.db.pool(), &admin.org_id, &row.id, now)
                .await
                .unwrap();
        }
    }
    for (sort, descending) in [
        ("created_at", true),
        ("expires_at", false),
        ("expires_at", true),
        ("access_count", true),
        ("access_count", false),
    ] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = shares::list(
                &h.core,
                &admin,
                ShareFilter {
                    sort: Some(sort.into()),
                    descending: Some(descending),
                    limit: Some(7),
                    cursor,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            seen.extend(page.items);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 25, "{sort}");
        let ids: std::collections::HashSet<_> = seen.iter().map(|s| s.id.clone()).collect();
        assert_eq!(ids.len(), 25, "no duplicates across pages ({sort})");
        let key = |s: &shares::ShareView| match sort {
            "access_count" => s.access_count,
            "expires_at" => s.expires_at.as_ref().map_or(i64::MAX, |e| {
                time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339)
                    .unwrap()
                    .unix_timestamp_nanos() as i64
                    / 1_000_000
            }),
            _ => {
                time::OffsetDateTime::parse(
                    &s.created_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap()
                .unix_timestamp_nanos() as i64
                    / 1_000_000
            }
        };
        let keys: Vec<_> = seen.iter().map(key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if descending {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "{sort} desc={descending}");
    }
    let revoked = shares::list(
        &h.core,
        &admin,
        ShareFilter {
            status: Some(ShareStatus::Revoked),
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(revoked.items.len(), 4); // 0, 7, 14, 21
    let active = shares::list(
        &h.core,
        &admin,
        ShareFilter {
            status: Some(ShareStatus::Active),
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(active.items.len(), 21);
    for bad in [
        ShareFilter {
            sort: Some("1; DROP TABLE shares".into()),
            ..Default::default()
        },
        ShareFilter {
            limit: Some(0),
            ..Default::default()
        },
        ShareFilter {
            cursor: Some("' OR 1=1".into()),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            shares::list(&h.core, &admin, bad).await,
            Err(ServiceError::Invalid { .. })
        ));
    }
}

async fn bad_uploads_write_nothing(h: Harness) {
    let (admin, _) = org(&h, "Acme").await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "invalid_input"),
        (b"<svg onload=alert(1)>".to_vec(), "unsupported_media_type"),
        (b"MZ\x90\x00binary".to_vec(), "unsupported_media_type"),
        (vec![b'a'; 1024 * 1024 + 1], "payload_too_large"),
    ];
    for (bytes, code) in cases {
        let err = documents::upload(
            &h.core,
            &admin,
            Upload {
                title: "t".into(),
                file_name: "../../x".into(),
                bytes: bytes.into(),
            },
            &meta(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), code);
    }
    assert!(documents::list(&h.core, &admin).await.unwrap().is_empty());
    let log = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("document.uploaded".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert!(log.is_empty());
    // Path traversal in a name is reduced to its last component.
    let d = documents::upload(
        &h.core,
        &admin,
        Upload {
            title: "".into(),
            file_name: "../../etc/passwd".into(),
            bytes: "root:x".into(),
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        (d.file_name.as_str(), d.title.as_str()),
        ("passwd", "passwd")
    );
}

async fn console_sessions_round_trip(h: Harness) {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;
    let store = store::sessions::SqlSessionStore::new(h.core.db.clone());
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    record
        .data
        .insert("user_id".into(), serde_json::json!("u1"));
    store.create(&mut record).await.unwrap();
    assert_eq!(
        store.load(&record.id).await.unwrap().unwrap().data["user_id"],
        "u1"
    );
    // Only the hash of the id is stored.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM console_sessions WHERE id_hash = $1")
        .bind(record.id.to_string())
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    record.data.insert("csrf".into(), serde_json::json!("t"));
    store.save(&record).await.unwrap();
    assert_eq!(store.load(&record.id).await.unwrap().unwrap().data.len(), 2);
    store.delete(&record.id).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
    let expired = Record {
        id: Id::default(),
        data: Default::default(),
        // By the harness clock, which delete_expired is given (a wall-clock time could fall
        // after it on a busy machine).
        expiry_date: h.core.now() - time::Duration::seconds(1),
    };
    store.save(&expired).await.unwrap();
    assert!(store.load(&expired.id).await.unwrap().is_none());
    assert_eq!(store.delete_expired(h.core.now_ms()).await.unwrap(), 1);
}

/// Recipient search takes one of two plans by how many shares match (a prefix that
/// matches thousands walks the sort order; a narrow one uses the prefix indexes): both give
/// the same, correctly ordered pages.
async fn recipient_search_is_right_whether_broad_or_narrow(h: Harness) {
    let (admin, _) = org(&h, "Acme").await;
    let doc = upload(&h, &admin).await;
    let portal = store::portals::default_of(h.core.db.pool(), &admin.org_id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = h.core.now_ms();
    let mut tx = h.core.db.begin().await.unwrap();
    for i in 0..5_100i64 {
        let (name, email) = if i % 1_000 == 7 {
            (format!("Nadia {i}"), format!("nadia{i}@narrow.example"))
        } else {
            (format!("Wide {i}"), format!("wide{i}@broad.example"))
        };
        let row = store::shares::ShareRow {
            id: share_uuid(i),
            org_id: admin.org_id.clone(),
            selector: format!("sel{i:05}"),
            verifier_hash: "pbkdf2-sha256$600000$AAAA$AAAA".into(),
            token_sealed: None,
            method: "link".into(),
            document_id: Some(doc.id.clone()),
            record_id: None,
            recipient_name: name,
            recipient_email: email,
            created_by: admin.user_id.clone(),
            created_at: now + i,
            expires_at: Some(now + 86_400_000),
            max_access_count: 0,
            access_count: 0,
            require_acknowledgement: 0,
            tlp: "AMBER".into(),
            settings: "{}".into(),
            password_hash: None,
            terms_id: None,
            portal_id: Some(portal.clone()),
            remind_at: None,
            last_activity_at: None,
            revoked_at: None,
            revoked_by: None,
            expired_at: None,
        };
        store::shares::insert(&mut *tx, &row).await.unwrap();
    }
    tx.commit().await.unwrap();
    let search = |text: &'static str, cursor: Option<String>| {
        let (core, admin) = (h.core.clone(), admin.clone());
        async move {
            shares::list(
                &core,
                &admin,
                ShareFilter {
                    recipient: Some(text.into()),
                    limit: Some(50),
                    cursor,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    // Broad: 5,095 matches by email prefix; newest first, page after page.
    let first = search("wide", None).await;
    let ids: Vec<String> = first.items.iter().map(|s| s.id.clone()).collect();
    let expected: Vec<String> = (0..5_100i64)
        .rev()
        .filter(|i| i % 1_000 != 7)
        .take(50)
        .map(share_uuid)
        .collect();
    assert_eq!(ids, expected);
    let second = search("wide", first.next_cursor.clone()).await;
    assert_eq!(second.items[0].id, share_uuid(5_049));
    // By name too, case-insensitively.
    assert_eq!(search("WIDE 51", None).await.items.len(), 1 + 10);
    // Narrow: 6 matches, by email or name.
    let narrow = search("nadia", None).await;
    assert_eq!(
        narrow
            .items
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>(),
        [5_007, 4_007, 3_007, 2_007, 1_007, 7].map(share_uuid)
    );
    assert!(narrow.next_cursor.is_none());
}

/// A share id in UUID form (cursors carry UUIDs) that sorts like `i`.
fn share_uuid(i: i64) -> String {
    format!("00000000-0000-7000-8000-{i:012}")
}

/// A full-scope key named `name` expiring in `days`.
fn full_key(name: &str, days: Option<u32>) -> backend::services::api_keys::NewKey {
    backend::services::api_keys::NewKey {
        name: name.into(),
        scope: backend::domain::KeyScope::Admin,
        expires_in_days: days,
    }
}

/// Security review, finding 7: admin API keys have a name, an optional expiry and a
/// last-used time and address, and can be revoked — each refusal at the very next use.
async fn api_keys_are_named_expire_record_use_and_revoke(h: Harness) {
    use backend::services::api_keys;
    let (admin, _) = org(&h, "Acme").await;
    let (key, secret) = api_keys::create(&h.core, &admin, full_key("CRM sync", Some(30)), &meta())
        .await
        .unwrap();
    assert_eq!(key.status, "active");
    assert!(secret.expose_secret().starts_with(&key.prefix));
    assert_eq!(key.prefix.len(), 8);
    let stored: String = sqlx::query_scalar("SELECT key_hash FROM api_keys WHERE id = $1")
        .bind(&key.id)
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert!(
        !stored.contains(secret.expose_secret()),
        "only a hash is stored"
    );
    let used = auth::staff_for_api_key(&h.core, secret.expose_secret(), &meta())
        .await
        .unwrap();
    assert_eq!(used.user_id, admin.user_id);
    // Acting through this 30-day key, no key can be made to outlive it.
    for days in [None, Some(31)] {
        match api_keys::create(&h.core, &used, full_key("longer", days), &meta()).await {
            Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "expires_in_days"),
            other => panic!("{other:?}"),
        }
    }
    let (child, _) = api_keys::create(&h.core, &used, full_key("shorter", Some(7)), &meta())
        .await
        .unwrap();
    api_keys::revoke(&h.core, &admin, &child.id, &meta())
        .await
        .unwrap();
    let listed = api_keys::list(&h.core, &admin).await.unwrap();
    let mine = listed.iter().find(|k| k.id == key.id).unwrap();
    assert_eq!(mine.name, "CRM sync");
    assert_eq!(mine.last_used_ip.as_deref(), Some("203.0.113.7"));
    assert!(mine.last_used_at.is_some());
    // Bad input is named.
    for (name, days, field) in [
        ("", None, "name"),
        ("x", Some(0), "expires_in_days"),
        ("x", Some(99_999), "expires_in_days"),
    ] {
        match api_keys::create(&h.core, &admin, full_key(name, days), &meta()).await {
            Err(ServiceError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }
    // Expiry: refused once it has passed.
    h.clock.advance(time::Duration::days(31));
    assert!(
        auth::staff_for_api_key(&h.core, secret.expose_secret(), &meta())
            .await
            .is_err()
    );
    let (second, secret2) = api_keys::create(&h.core, &admin, full_key("Reporting", None), &meta())
        .await
        .unwrap();
    auth::staff_for_api_key(&h.core, secret2.expose_secret(), &meta())
        .await
        .unwrap();
    let revoked = api_keys::revoke(&h.core, &admin, &second.id, &meta())
        .await
        .unwrap();
    assert_eq!(revoked.status, "revoked");
    assert!(
        auth::staff_for_api_key(&h.core, secret2.expose_secret(), &meta())
            .await
            .is_err()
    );
    assert!(matches!(
        api_keys::revoke(&h.core, &admin, &second.id, &meta()).await,
        Err(ServiceError::Conflict(_))
    ));
    // Another organisation's admin sees and revokes none of them.
    let (other, _) = org(&h, "Globex").await;
    assert!(api_keys::list(&h.core, &other)
        .await
        .unwrap()
        .iter()
        .all(|k| k.id != key.id));
    assert!(matches!(
        api_keys::revoke(&h.core, &admin.clone(), "no-such-key", &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        api_keys::revoke(&h.core, &other, &key.id, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    let changes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_type = 'api_key.changed'",
    )
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(changes, 5, "three created, two revoked");
}

/// The schema as both engines can describe it: tables with their columns, every index
/// (primary keys and unique constraints included) as (table, columns, unique), explicitly
/// named indexes, and single-column foreign keys.
#[derive(Debug, PartialEq, Eq)]
struct Schema {
    columns: std::collections::BTreeSet<(String, String)>,
    indexes: std::collections::BTreeSet<(String, String, bool)>,
    named_indexes: std::collections::BTreeSet<String>,
    foreign_keys: std::collections::BTreeSet<(String, String, String, String)>,
}

async fn sqlite_schema(db: &backend::store::Db) -> Schema {
    let pool = db.pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema {
        columns: Default::default(),
        indexes: Default::default(),
        named_indexes: sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect(),
        foreign_keys: Default::default(),
    };
    for t in &tables {
        let cols: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
            .bind(t)
            .fetch_all(pool)
            .await
            .unwrap();
        let pk: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk")
                .bind(t)
                .fetch_all(pool)
                .await
                .unwrap();
        schema
            .columns
            .extend(cols.into_iter().map(|c| (t.clone(), c)));
        if !pk.is_empty() {
            schema.indexes.insert((t.clone(), pk.join(","), true));
        }
        let indexes: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                .bind(t)
                .fetch_all(pool)
                .await
                .unwrap();
        for (name, unique, origin) in indexes {
            if origin == "pk" {
                continue;
            }
            // Expression columns have no name (PostgreSQL's catalogue lists none either).
            let cols: Vec<String> = sqlx::query_scalar::<_, Option<String>>(
                "SELECT name FROM pragma_index_info($1) ORDER BY seqno",
            )
            .bind(&name)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
            schema
                .indexes
                .insert((t.clone(), cols.join(","), unique == 1));
        }
        let fks: Vec<(String, String, String)> =
            sqlx::query_as("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list($1)")
                .bind(t)
                .fetch_all(pool)
                .await
                .unwrap();
        schema.foreign_keys.extend(
            fks.into_iter()
                .map(|(from, to_t, to)| (t.clone(), from, to_t, to)),
        );
    }
    schema
}

async fn postgres_schema(db: &backend::store::Db) -> Schema {
    let pool = db.pool();
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let index_columns: Vec<(String, String, i32, String, i32)> = sqlx::query_as(
        "SELECT tc.relname::text, ic.relname::text, ix.indisunique::int, a.attname::text, \
                array_position(ix.indkey::int2[], a.attnum)::int \
         FROM pg_index ix \
         JOIN pg_class ic ON ic.oid = ix.indexrelid \
         JOIN pg_class tc ON tc.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = tc.relnamespace \
         JOIN pg_attribute a ON a.attrelid = tc.oid AND a.attnum = ANY(ix.indkey) \
         WHERE n.nspname = 'public' AND tc.relname NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut by_index: std::collections::BTreeMap<(String, String, bool), Vec<(i32, String)>> =
        Default::default();
    for (t, idx, unique, col, pos) in index_columns {
        by_index
            .entry((t, idx, unique == 1))
            .or_default()
            .push((pos, col));
    }
    let constraint_indexes: Vec<String> =
        sqlx::query_scalar("SELECT conname::text FROM pg_constraint WHERE contype IN ('p', 'u')")
            .fetch_all(pool)
            .await
            .unwrap();
    let named_indexes = by_index
        .keys()
        .map(|(_, idx, _)| idx.clone())
        .filter(|idx| !constraint_indexes.contains(idx))
        .collect();
    let indexes = by_index
        .into_iter()
        .map(|((t, _, unique), mut cols)| {
            cols.sort();
            let cols: Vec<String> = cols.into_iter().map(|(_, c)| c).collect();
            (t, cols.join(","), unique)
        })
        .collect();
    let foreign_keys: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT tc.relname::text, a.attname::text, rc.relname::text, ra.attname::text \
         FROM pg_constraint c \
         JOIN pg_class tc ON tc.oid = c.conrelid \
         JOIN pg_class rc ON rc.oid = c.confrelid \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] \
         WHERE c.contype = 'f'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    Schema {
        columns: columns.into_iter().collect(),
        indexes,
        named_indexes,
        foreign_keys: foreign_keys.into_iter().collect(),
    }
}

fn listed<T: std::fmt::Debug>(s: &std::collections::BTreeSet<T>) -> Vec<String> {
    s.iter().map(|v| format!("{v:?}")).collect()
}

/// Issue 10, point 14: the SQLite and PostgreSQL migration trees build the same tables,
/// columns, indexes (by columns and uniqueness, and by name where named), primary keys,
/// unique constraints and foreign keys. Column types differ in spelling only, by design.
#[tokio::test]
async fn both_migration_trees_build_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    sqlx::any::install_default_drivers();
    let sqlite = backend::store::Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("schema.db").display()
    ))
    .await
    .unwrap();
    sqlite.migrate().await.unwrap();
    let (url, name) = crate::common::create_postgres().await;
    let postgres = backend::store::Db::connect(&url).await.unwrap();
    postgres.migrate().await.unwrap();
    let (a, b) = (
        sqlite_schema(&sqlite).await,
        postgres_schema(&postgres).await,
    );
    postgres.close().await;
    crate::common::drop_postgres(&name).await;
    let diff = |what: &str, x: Vec<String>, y: Vec<String>| {
        let only_sqlite: Vec<_> = x.iter().filter(|v| !y.contains(v)).collect();
        let only_pg: Vec<_> = y.iter().filter(|v| !x.contains(v)).collect();
        assert!(
            only_sqlite.is_empty() && only_pg.is_empty(),
            "{what}: only in SQLite {only_sqlite:?}; only in PostgreSQL {only_pg:?}"
        );
    };
    // Both sides were really read (a vacuous comparison proves nothing).
    for (what, n, at_least) in [
        ("columns", a.columns.len().min(b.columns.len()), 100),
        ("indexes", a.indexes.len().min(b.indexes.len()), 30),
        (
            "named indexes",
            a.named_indexes.len().min(b.named_indexes.len()),
            15,
        ),
        (
            "foreign keys",
            a.foreign_keys.len().min(b.foreign_keys.len()),
            20,
        ),
    ] {
        assert!(n >= at_least, "only {n} {what} read");
    }
    diff("columns", listed(&a.columns), listed(&b.columns));
    diff("indexes", listed(&a.indexes), listed(&b.indexes));
    diff(
        "named indexes",
        listed(&a.named_indexes),
        listed(&b.named_indexes),
    );
    diff(
        "foreign keys",
        listed(&a.foreign_keys),
        listed(&b.foreign_keys),
    );
}

/// On SQLite a transaction holds the write lock from its first statement. One that began
/// by reading (is this address taken?) and wrote later used to meet another connection's
/// commit in between with `SQLITE_BUSY_SNAPSHOT` (code 517) — a 500 that no busy timeout
/// could wait out, found by the API fuzzer inviting staff concurrently. Now the other
/// writer waits until this transaction ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_read_first_still_writes_on_sqlite() {
    crate::common::run(backend::store::Engine::Sqlite, |h: Harness| async move {
        let (admin, _) = org(&h, "Acme").await;
        let mut tx = h.core.db.begin().await.unwrap();
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        // Another connection writes while this transaction is open.
        let core = h.core.clone();
        let mut other = tokio::spawn(async move {
            bootstrap::bootstrap(&core, "Globex", "admin@globex.example.org").await
        });
        // It must wait for this transaction: it cannot finish while the transaction is
        // open (a generous bound; it would take a few milliseconds).
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(500), &mut other)
                .await
                .is_err(),
            "another connection wrote inside this transaction"
        );
        sqlx::query("UPDATE users SET display_name = display_name WHERE id = $1")
            .bind(&admin.user_id)
            .execute(&mut *tx)
            .await
            .expect("the transaction that read first may write");
        tx.commit().await.unwrap();
        other
            .await
            .unwrap()
            .expect("the other writer went on after the commit");
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(h.core.db.pool())
            .await
            .unwrap();
        assert_eq!(after, before + 1);
    })
    .await;
}
