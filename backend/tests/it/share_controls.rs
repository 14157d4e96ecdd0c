//! Share settings, policy, secrets and devices, enforced at creation and at every open,
//! on SQLite and on PostgreSQL.

use crate::common::Harness;
use backend::actor::{RequestMeta, Staff};
use backend::domain::controls::parse_network;
use backend::domain::{Denial, Method, Policy, PolicyOverride, RevokedLink, ShareSettings, Tlp};
use backend::services::shares::{self, Expiry, NewShare, Recipient, ShareFilter, SharedItem};
use backend::services::{access, audit_log, auth, documents, policy, share_core, ServiceError};
use secrecy::{ExposeSecret, SecretString};

both_engines!(
    the_dashboard_counts_what_needs_attention,
    link_shares_are_mailed_when_asked_and_expire_in_hours,
    creation_is_bounded_by_policy_and_tlp,
    tightened_policy_binds_existing_shares,
    passwords_lock_out_and_are_audited,
    a_verified_browser_reopens_without_pbkdf2,
    approved_devices_only,
    network_rules_and_trusted_addresses,
    terms_hash_is_audited,
    bulk_creation_and_copy_link,
    responses_follow_the_permission,
    expiry_reminders_go_once,
    portal_access_admits_active_members_only,
    live_shares_are_changed_within_policy,
    bulk_revocation_is_all_or_none,
    streams_recheck_their_share_when_the_bus_is_unsure,
    streams_end_when_their_session_no_longer_admits_the_guest,
    packages_and_work_packages_are_shared_as_one_item,
    concurrent_wrong_passwords_evaluate_at_most_the_limit,
    concurrent_wrong_staff_passwords_evaluate_at_most_the_limit,
    a_wrong_code_costs_one_pbkdf2,
    racing_new_browsers_cannot_both_become_the_first_device,
    responses_per_share_are_capped_under_concurrency,
    a_lockout_outlives_the_window_that_ended_in_it,
    a_change_planned_from_a_stale_read_writes_nothing,
);

fn meta_from(ip: &str) -> RequestMeta {
    RequestMeta::new(Some(ip.parse().unwrap()), Some("controls-test"))
}

fn meta() -> RequestMeta {
    meta_from("203.0.113.7")
}

use crate::common::local_mail;
use crate::common::org_admin as org;

async fn document(h: &Harness, who: &Staff) -> String {
    documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: "Case file".into(),
            file_name: "case.txt".into(),
            bytes: "case".into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id
}

fn share(doc: &str) -> NewShare {
    NewShare {
        item: SharedItem::Document(doc.to_owned()),
        recipients: vec![Recipient {
            name: "Jane Counsel".into(),
            email: "jane@lawfirm.example".into(),
        }],
        ..Default::default()
    }
}

async fn create(
    h: &Harness,
    who: &Staff,
    input: NewShare,
) -> Result<(String, String), ServiceError> {
    let c = shares::create(&h.core, who, input, &meta())
        .await?
        .remove(0);
    let token = c.url.expose_secret().rsplit('/').next().unwrap().to_owned();
    Ok((c.share.id, token))
}

/// The organisation's audit events of one type, newest first.
async fn events_of(h: &Harness, who: &Staff, event_type: &str) -> Vec<audit_log::AuditEventView> {
    audit_log::list(
        &h.core,
        who,
        audit_log::AuditFilter {
            event_type: Some(event_type.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
}

fn field(r: Result<impl std::fmt::Debug, ServiceError>) -> &'static str {
    match r {
        Err(ServiceError::Invalid { field, .. }) => field,
        other => panic!("expected a named invalid field, got {other:?}"),
    }
}

fn request(token: &str) -> access::OpenRequest {
    access::OpenRequest {
        token: token.to_owned(),
        device: access::new_device_id(),
        ..Default::default()
    }
}

fn denial<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> Denial {
    match r {
        Err(ServiceError::Denied(d)) => d,
        other => panic!("expected a denial, got {other:?}"),
    }
}

async fn denials(h: &Harness, who: &Staff, share_id: &str) -> Vec<String> {
    audit_log::list(
        &h.core,
        who,
        audit_log::AuditFilter {
            share_id: Some(share_id.into()),
            event_type: Some("share.denied".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|e| e.details["reason"].as_str().unwrap().to_owned())
    .collect()
}

async fn creation_is_bounded_by_policy_and_tlp(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    policy::set(
        &h.core,
        &admin,
        Policy {
            default_expiry_days: 7,
            max_expiry_days: 30,
            allow_custom_expiry: false,
            default_max_access_count: 5,
            allowed_methods: vec![Method::Link, Method::Invitation],
            tlp_ceiling: Tlp::AmberStrict,
            require_acknowledgement: true,
            ..Policy::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    let nothing_written = |h: &Harness| {
        let pool = h.core.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM shares")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let cases: Vec<(NewShare, &str)> = vec![
        (
            NewShare {
                method: Some(Method::Portal),
                ..share(&doc)
            },
            "method",
        ),
        (
            NewShare {
                tlp: Some(Tlp::Red),
                method: Some(Method::Invitation),
                settings: ShareSettings {
                    watermark: true,
                    ..Default::default()
                },
                ..share(&doc)
            },
            "tlp",
        ),
        (
            NewShare {
                tlp: Some(Tlp::AmberStrict),
                ..share(&doc)
            },
            "method",
        ),
        (
            NewShare {
                expiry: Expiry::Days(31),
                ..share(&doc)
            },
            "expires_at",
        ),
        (
            NewShare {
                expiry: Expiry::Days(10),
                ..share(&doc)
            },
            "expires_at",
        ),
        (
            NewShare {
                expiry: Expiry::Days(0),
                ..share(&doc)
            },
            "expires_at",
        ),
        (
            NewShare {
                max_access_count: Some(-1),
                ..share(&doc)
            },
            "max_access_count",
        ),
        (
            NewShare {
                password: Some(SecretString::from("short".to_owned())),
                ..share(&doc)
            },
            "password",
        ),
        (
            NewShare {
                settings: ShareSettings {
                    allowed_countries: vec!["Germany".into()],
                    ..Default::default()
                },
                ..share(&doc)
            },
            "settings.allowed_countries",
        ),
        (
            // A well-formed country rule, but no GeoIP database is configured to apply it.
            NewShare {
                settings: ShareSettings {
                    allowed_countries: vec!["DE".into()],
                    ..Default::default()
                },
                ..share(&doc)
            },
            "settings.allowed_countries",
        ),
        (
            NewShare {
                recipients: vec![],
                ..share(&doc)
            },
            "recipients",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(field(create(&h, &admin, input).await), want);
    }
    assert_eq!(nothing_written(&h).await, 0);
    // A cross-organisation terms id is unknown, not accepted (refused on its field).
    let other = org(&h, "Globex").await;
    let terms = policy::publish_terms(&h.core, &other, "1", "Globex terms", &meta())
        .await
        .unwrap();
    assert!(matches!(
        create(
            &h,
            &admin,
            NewShare {
                terms_id: Some(terms.id),
                ..share(&doc)
            }
        )
        .await,
        Err(ServiceError::Invalid {
            field: "terms_id",
            ..
        })
    ));

    // Defaults come from the policy; acknowledgement is forced by it.
    let (id, _) = create(
        &h,
        &admin,
        NewShare {
            expiry: Expiry::Days(14),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let v = shares::get(&h.core, &admin, &id).await.unwrap();
    assert_eq!(v.max_access_count, 5);
    assert!(v.require_acknowledgement);
    assert_eq!(v.tlp, "TLP:AMBER");
    // TLP:RED to a verified individual: no download, watermark on.
    policy::set(
        &h.core,
        &admin,
        Policy {
            tlp_ceiling: Tlp::Red,
            ..Policy::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    let red = |download: bool, watermark: bool| NewShare {
        tlp: Some(Tlp::Red),
        method: Some(Method::Invitation),
        settings: ShareSettings {
            allow_download: download,
            watermark,
            ..Default::default()
        },
        ..share(&doc)
    };
    // A portal share names its portal.
    assert_eq!(
        field(
            create(
                &h,
                &admin,
                NewShare {
                    method: Some(Method::Portal),
                    ..share(&doc)
                }
            )
            .await
        ),
        "portal_id"
    );
    assert_eq!(
        field(create(&h, &admin, red(true, true)).await),
        "allow_download"
    );
    assert_eq!(
        field(create(&h, &admin, red(false, false)).await),
        "watermark"
    );
    create(&h, &admin, red(false, true)).await.unwrap();

    // Policy changes are admin-only, validated and audited with before and after.
    assert_eq!(
        field(
            policy::set(
                &h.core,
                &admin,
                Policy {
                    default_expiry_days: 400,
                    ..Policy::default()
                },
                &meta()
            )
            .await
        ),
        "default_expiry_days"
    );
    let changes = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("policy.changed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].details["after"]["tlp_ceiling"], "RED");
    assert_eq!(changes[1].details["before"]["tlp_ceiling"], "RED");
}

async fn tightened_policy_binds_existing_shares(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (link_id, link) = create(&h, &admin, share(&doc)).await.unwrap();
    let (_, long) = create(
        &h,
        &admin,
        NewShare {
            expiry: Expiry::Days(60),
            method: Some(Method::Invitation),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    access::open(&h.core, request(&link), &meta())
        .await
        .unwrap();

    // Links are no longer allowed: the next open and the landing page say so (410).
    policy::set(
        &h.core,
        &admin,
        Policy {
            allowed_methods: vec![Method::Invitation],
            ..Policy::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    let e = access::open(&h.core, request(&link), &meta()).await;
    assert_eq!(denial(e), Denial::PolicyForbids);
    assert_eq!(
        denial(access::landing(&h.core, &link, None, &meta()).await),
        Denial::PolicyForbids
    );
    assert!(denials(&h, &admin, &link_id)
        .await
        .contains(&"policy_forbids".to_owned()));
    assert_eq!(
        ServiceError::Denied(Denial::PolicyForbids).http_status(),
        410
    );

    // A project override tightens the expiry ceiling below the 60-day share.
    let project = policy::create_project(&h.core, &admin, "Operation Ledger", &meta())
        .await
        .unwrap();
    policy::assign_document(&h.core, &admin, &doc, Some(&project.id), &meta())
        .await
        .unwrap();
    // Security review, finding 6: the move is audited, from where to where.
    let moved = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("document.moved".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].details["from_project"], serde_json::Value::Null);
    assert_eq!(moved[0].details["to_project"], project.id.as_str());
    assert_eq!(
        field(
            policy::set_project_override(
                &h.core,
                &admin,
                &project.id,
                PolicyOverride {
                    allowed_methods: Some(vec![Method::Link]),
                    ..Default::default()
                },
                &meta()
            )
            .await
        ),
        "allowed_methods",
        "a project may not allow what the organisation forbids"
    );
    policy::set_project_override(
        &h.core,
        &admin,
        &project.id,
        PolicyOverride {
            max_expiry_days: Some(30),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        denial(access::landing(&h.core, &long, None, &meta()).await),
        Denial::PolicyForbids
    );

    // Revoked links can be made to read as unknown.
    policy::set(
        &h.core,
        &admin,
        Policy {
            revoked_link: RevokedLink::NotFound,
            ..Policy::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    shares::revoke(&h.core, &admin, &link_id, &meta())
        .await
        .unwrap();
    assert_eq!(
        denial(access::landing(&h.core, &link, None, &meta()).await),
        Denial::UnknownToken
    );
    assert!(
        denials(&h, &admin, &link_id)
            .await
            .contains(&"share_revoked".to_owned()),
        "the audit keeps the real reason"
    );
}

async fn passwords_lock_out_and_are_audited(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let password = || Some(SecretString::from("correct horse battery".to_owned()));
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            password: password(),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let landing = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap();
    assert!(landing.needs_password);
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta()).await),
        Denial::PasswordRequired
    );
    let wrong = |n: usize| access::OpenRequest {
        password: Some(SecretString::from(format!("guess number {n}"))),
        ..request(&token)
    };
    for n in 0..9 {
        assert_eq!(
            denial(access::open(&h.core, wrong(n), &meta()).await),
            Denial::WrongPassword,
            "attempt {n}"
        );
    }
    assert_eq!(
        denial(access::open(&h.core, wrong(9), &meta()).await),
        Denial::TooManyAttempts
    );
    // Locked: even the right password is refused, without computing PBKDF2.
    let before = h.core.kdf.computations();
    let right = access::OpenRequest {
        password: password(),
        ..request(&token)
    };
    let e = access::open(&h.core, right, &meta()).await;
    assert_eq!(denial(e), Denial::TooManyAttempts);
    assert_eq!(
        h.core.kdf.computations(),
        before,
        "no PBKDF2 while locked out"
    );
    assert_eq!(
        ServiceError::Denied(Denial::TooManyAttempts).http_status(),
        429
    );
    let reasons = denials(&h, &admin, &id).await;
    assert_eq!(
        reasons.iter().filter(|r| *r == "wrong_password").count(),
        10,
        "{reasons:?}"
    );
    assert!(reasons.contains(&"too_many_attempts".to_owned()));
    assert_eq!(
        shares::get(&h.core, &admin, &id)
            .await
            .unwrap()
            .access_count,
        0
    );

    // After the lockout the right password opens it.
    h.clock.advance(time::Duration::minutes(16));
    let right = access::OpenRequest {
        password: password(),
        ..request(&token)
    };
    access::open(&h.core, right, &meta()).await.unwrap();
    // Stored hashes only: the password is nowhere in the database.
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM shares WHERE id = $1")
            .bind(&id)
            .fetch_one(h.core.db.pool())
            .await
            .unwrap();
    assert!(stored.unwrap().starts_with("pbkdf2-sha256$600000$"));
    // Security review, finding 6: counters do not live for ever; once their window and
    // lockout are over the sweeper drops them.
    let counters = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM attempt_counters")
            .fetch_one(h.core.db.pool())
            .await
            .unwrap()
    };
    assert!(counters().await > 0);
    let forget = backend::store::attempts::FORGET_AFTER_MS;
    backend::store::attempts::sweep(h.core.db.pool(), h.core.now_ms(), forget)
        .await
        .unwrap();
    assert!(counters().await > 0, "still inside a day: kept");
    h.clock.advance(time::Duration::days(2));
    backend::store::attempts::sweep(h.core.db.pool(), h.core.now_ms(), forget)
        .await
        .unwrap();
    assert_eq!(counters().await, 0);
}

async fn a_verified_browser_reopens_without_pbkdf2(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            password: Some(SecretString::from("correct horse battery".to_owned())),
            max_access_count: Some(3),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let device = access::new_device_id();
    let with_device = || access::OpenRequest {
        device: SecretString::from(device.expose_secret().to_owned()),
        ..request(&token)
    };
    let first = access::OpenRequest {
        password: Some(SecretString::from("correct horse battery".to_owned())),
        ..with_device()
    };
    access::open(&h.core, first, &meta()).await.unwrap();
    assert!(
        access::landing(&h.core, &token, Some(&device), &meta())
            .await
            .unwrap()
            .recognised_device
    );
    let before = h.core.kdf.computations();
    access::open(&h.core, with_device(), &meta()).await.unwrap();
    assert_eq!(
        h.core.kdf.computations(),
        before,
        "a recognised browser pays no PBKDF2"
    );
    // Another browser must prove the password.
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta()).await),
        Denial::PasswordRequired
    );
    // Each verified open still counts, and the count still binds.
    access::open(&h.core, with_device(), &meta()).await.unwrap();
    assert_eq!(
        denial(access::open(&h.core, with_device(), &meta()).await),
        Denial::AccessCountExceeded
    );
    assert_eq!(
        shares::get(&h.core, &admin, &id)
            .await
            .unwrap()
            .access_count,
        3
    );
}

async fn approved_devices_only(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            settings: ShareSettings {
                approved_devices_only: true,
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let laptop = access::new_device_id();
    let phone = access::new_device_id();
    let from = |d: &SecretString| access::OpenRequest {
        device: SecretString::from(d.expose_secret().to_owned()),
        ..request(&token)
    };
    access::open(&h.core, from(&laptop), &meta()).await.unwrap();
    assert_eq!(
        denial(access::open(&h.core, from(&phone), &meta()).await),
        Denial::DeviceApprovalPending
    );
    assert_eq!(
        denial(access::open(&h.core, from(&phone), &meta()).await),
        Denial::DeviceApprovalPending
    );
    let devices = shares::devices(&h.core, &admin, &id).await.unwrap();
    assert_eq!(
        devices
            .iter()
            .map(|d| d.status.as_str())
            .collect::<Vec<_>>(),
        ["approved", "pending"]
    );
    shares::decide_device(&h.core, &admin, &id, &devices[1].id, true, &meta())
        .await
        .unwrap();
    access::open(&h.core, from(&phone), &meta()).await.unwrap();
    // Another organisation cannot decide on it.
    let other = org(&h, "Globex").await;
    assert!(matches!(
        shares::decide_device(&h.core, &other, &id, &devices[1].id, false, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));

    // Once the owner rejects the laptop, its open session is cut off at its next request
    // and not renewed, and the laptop cannot open again.
    let session = access::open(&h.core, from(&laptop), &meta()).await.unwrap();
    let guest = access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap();
    access::renew(&h.core, &guest, &meta()).await.unwrap();
    shares::decide_device(&h.core, &admin, &id, &devices[0].id, false, &meta())
        .await
        .unwrap();
    assert!(matches!(
        access::authenticate(&h.core, &session.access_token, &meta()).await,
        Err(ServiceError::InvalidPortalToken(_))
    ));
    assert!(matches!(
        access::renew(&h.core, &guest, &meta()).await,
        Err(ServiceError::InvalidPortalToken(_))
    ));
    assert_eq!(
        denial(access::open(&h.core, from(&laptop), &meta()).await),
        Denial::NotAllowedFromHere
    );

    // However often it is renewed, a session ends at its maximum age from the open.
    let session = access::open(&h.core, from(&phone), &meta()).await.unwrap();
    let mut token = session.access_token;
    for _ in 0..3 {
        h.clock.advance(time::Duration::hours(2));
        let guest = access::authenticate(&h.core, &token, &meta())
            .await
            .unwrap();
        token = access::renew(&h.core, &guest, &meta())
            .await
            .unwrap()
            .access_token;
    }
    h.clock
        .advance(access::MAX_SESSION_AGE - time::Duration::hours(6) + time::Duration::minutes(1));
    let guest = access::authenticate(&h.core, &token, &meta())
        .await
        .unwrap();
    match access::renew(&h.core, &guest, &meta()).await {
        Err(ServiceError::InvalidPortalToken(m)) => assert!(m.contains("too old"), "{m}"),
        other => panic!("an 8-hour-old session was renewed: {other:?}"),
    }
}

async fn network_rules_and_trusted_addresses(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let settings = ShareSettings {
        allowed_networks: vec![
            parse_network("10.0.0.0/8").unwrap(),
            parse_network("2001:db8::/32").unwrap(),
        ],
        ..Default::default()
    };
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            settings,
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        denial(access::landing(&h.core, &token, None, &meta_from("203.0.113.7")).await),
        Denial::NotAllowedFromHere
    );
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta_from("192.0.2.1")).await),
        Denial::NotAllowedFromHere
    );
    assert_eq!(
        Denial::NotAllowedFromHere.message(),
        "Access to this link is not allowed from here."
    );
    access::open(&h.core, request(&token), &meta_from("10.20.30.40"))
        .await
        .unwrap();
    access::open(&h.core, request(&token), &meta_from("2001:db8::7"))
        .await
        .unwrap();
    let reasons = denials(&h, &admin, &id).await;
    assert_eq!(
        reasons
            .iter()
            .filter(|r| *r == "not_allowed_from_here")
            .count(),
        2
    );
    // Search by recipient prefix (email or name), with LIKE wildcards taken literally.
    let found = |q: &str| {
        let core = h.core.clone();
        let admin = admin.clone();
        let q = q.to_owned();
        async move {
            shares::list(
                &core,
                &admin,
                ShareFilter {
                    recipient: Some(q),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items
            .len()
        }
    };
    assert_eq!(found("jane@").await, 1);
    assert_eq!(found("JANE c").await, 1);
    assert_eq!(found("%").await, 0);
    assert_eq!(found("_ane").await, 0);
}

async fn terms_hash_is_audited(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let terms = policy::publish_terms(
        &h.core,
        &admin,
        "2026-1",
        "Use only for the audit.",
        &meta(),
    )
    .await
    .unwrap();
    assert!(matches!(
        policy::publish_terms(&h.core, &admin, "2026-1", "changed", &meta()).await,
        Err(ServiceError::Conflict(_))
    ));
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            terms_id: Some(terms.id.clone()),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let landing = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap();
    assert_eq!(landing.terms.unwrap().version, "2026-1");
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta()).await),
        Denial::TermsRequired
    );
    access::open(
        &h.core,
        access::OpenRequest {
            accepted_terms: true,
            ..request(&token)
        },
        &meta(),
    )
    .await
    .unwrap();
    let accepted = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            share_id: Some(id.clone()),
            event_type: Some("share.terms_accepted".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(accepted.len(), 1);
    assert_eq!(
        accepted[0].details["sha256"],
        backend::crypto::sha256_hex(b"Use only for the audit.")
    );
    assert_eq!(accepted[0].details["version"], "2026-1");
    // The legal terms page lists who accepted which version.
    let who = policy::terms_acceptances(&h.core, &admin).await.unwrap();
    assert_eq!(who.len(), 1);
    assert_eq!(
        (
            who[0].version.as_str(),
            who[0].recipient_email.as_str(),
            who[0].share_id.as_deref()
        ),
        (
            "2026-1",
            share(&doc).recipients[0].email.as_str(),
            Some(id.as_str())
        )
    );
    let other = org(&h, "Globex").await;
    assert!(policy::terms_acceptances(&h.core, &other)
        .await
        .unwrap()
        .is_empty());
}

async fn bulk_creation_and_copy_link(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let people = [
        "Ann <ann@a.example>",
        "Bob <bob@b.example>",
        "Cy <cy@c.example>",
    ];
    let recipients: Vec<Recipient> = people
        .iter()
        .map(|p| {
            let (name, email) = p.split_once(" <").unwrap();
            Recipient {
                name: name.into(),
                email: email.trim_end_matches('>').into(),
            }
        })
        .collect();
    let created = shares::create(
        &h.core,
        &admin,
        NewShare {
            recipients: recipients.clone(),
            ..share(&doc)
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(created.len(), 3);
    let urls: std::collections::HashSet<_> = created
        .iter()
        .map(|c| c.url.expose_secret().to_owned())
        .collect();
    assert_eq!(urls.len(), 3, "one link per recipient");
    // A duplicate recipient refuses the whole batch.
    let mut dup = recipients.clone();
    dup.push(recipients[0].clone());
    assert_eq!(
        field(
            shares::create(
                &h.core,
                &admin,
                NewShare {
                    recipients: dup,
                    ..share(&doc)
                },
                &meta()
            )
            .await
        ),
        "recipients"
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shares")
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 3);

    // Copy the link again: the same link, audited; the database holds no usable token.
    let first = &created[0];
    let again = shares::copy_link(&h.core, &admin, &first.share.id, &meta())
        .await
        .unwrap();
    assert_eq!(again.expose_secret(), first.url.expose_secret());
    let token = first
        .url
        .expose_secret()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let verifier = &token[22..];
    let dump: Vec<(String, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT verifier_hash, token_sealed FROM shares")
            .fetch_all(h.core.db.pool())
            .await
            .unwrap();
    for (hash, sealed) in dump {
        assert!(!hash.contains(verifier));
        let sealed = sealed.unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains(verifier));
    }
    let other = org(&h, "Globex").await;
    assert!(matches!(
        shares::copy_link(&h.core, &other, &first.share.id, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    let copied = events_of(&h, &admin, "share.link_copied").await;
    assert_eq!(copied.len(), 1);
}

async fn guest_for(h: &Harness, token: &str) -> backend::actor::Guest {
    let s = access::open(&h.core, request(token), &meta())
        .await
        .unwrap();
    access::authenticate(&h.core, &s.access_token, &meta())
        .await
        .unwrap()
}

/// Stages `files` as the portal form does, then submits the response.
async fn respond(
    h: &Harness,
    g: &backend::actor::Guest,
    decision: backend::services::responses::Decision,
    comment: &str,
    files: Vec<(&str, &'static [u8])>,
) -> Result<backend::services::responses::ResponseView, ServiceError> {
    use backend::services::responses::{self, NewResponse};
    let mut attachments = Vec::new();
    for (name, bytes) in files {
        attachments.push(
            responses::stage_bytes(&h.core, g, name, bytes::Bytes::from_static(bytes)).await?,
        );
    }
    let input = NewResponse {
        decision,
        comment: comment.into(),
        attachments,
    };
    responses::submit(&h.core, g, input, &meta()).await
}

async fn responses_follow_the_permission(h: Harness) {
    use backend::domain::Permission;
    use backend::services::responses::{self, Decision};
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let with = |permission| NewShare {
        settings: ShareSettings {
            permission,
            notify_owner_on_response: true,
            ..Default::default()
        },
        ..share(&doc)
    };
    let (view_id, view_only) = create(&h, &admin, with(Permission::View)).await.unwrap();
    let g = guest_for(&h, &view_only).await;
    assert!(matches!(
        respond(&h, &g, Decision::Approve, "", vec![]).await,
        Err(ServiceError::Forbidden(_))
    ));

    let (comment_id, comment_only) = create(&h, &admin, with(Permission::Comment)).await.unwrap();
    let g = guest_for(&h, &comment_only).await;
    assert_eq!(
        field(respond(&h, &g, Decision::Reject, "  ", vec![]).await),
        "comment"
    );
    assert!(matches!(
        respond(&h, &g, Decision::Approve, "ok", vec![("a.txt", b"note")]).await,
        Err(ServiceError::Forbidden(_))
    ));
    respond(&h, &g, Decision::Reject, "Page 4 is wrong <b>", vec![])
        .await
        .unwrap();

    let (edit_id, edit) = create(&h, &admin, with(Permission::Edit)).await.unwrap();
    let g = guest_for(&h, &edit).await;
    assert!(matches!(
        respond(
            &h,
            &g,
            Decision::Approve,
            "",
            vec![("x.svg", b"<svg onload=alert(1)>")]
        )
        .await,
        Err(ServiceError::UnsupportedMedia(_))
    ));
    let r = respond(
        &h,
        &g,
        Decision::ApproveWithComments,
        "Signed copy attached",
        vec![("../../signed.txt", b"signed")],
    )
    .await
    .unwrap();
    assert_eq!(r.attachments.len(), 1);
    assert_eq!(
        r.attachments[0].file_name, "signed.txt",
        "path components are dropped"
    );
    let listed = responses::for_share(&h.core, &admin, &edit_id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].decision, Decision::ApproveWithComments);
    assert_eq!(
        responses::for_share(&h.core, &admin, &comment_id)
            .await
            .unwrap()[0]
            .comment,
        "Page 4 is wrong <b>"
    );
    let other = org(&h, "Globex").await;
    assert!(matches!(
        responses::for_share(&h.core, &other, &edit_id).await,
        Err(ServiceError::NotFound(_))
    ));

    // Audited with decision, comment and attachment names; the owner is told by mail.
    let events = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            share_id: Some(edit_id.clone()),
            event_type: Some("share.response_submitted".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["attachments"][0]["name"], "signed.txt");
    assert_eq!(events[0].actor.kind, "guest");
    let owner_mails: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'owner_response'")
            .fetch_one(h.core.db.pool())
            .await
            .unwrap();
    assert_eq!(owner_mails, 2);

    // The shares table: who responded, who may and has not.
    let (_, waiting) = create(&h, &admin, with(Permission::Comment)).await.unwrap();
    let waiting = guest_for(&h, &waiting).await.share_id;
    let listed = |response: Option<&str>, days: Option<u32>| {
        let filter = ShareFilter {
            response: response.map(str::to_owned),
            days,
            ..Default::default()
        };
        let (h, admin) = (&h, &admin);
        async move {
            shares::list(&h.core, admin, filter).await.map(|p| {
                let mut ids: Vec<String> = p.items.into_iter().map(|s| s.id).collect();
                ids.sort();
                ids
            })
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        listed(Some("responded"), None).await.unwrap(),
        sorted(vec![comment_id.clone(), edit_id.clone()])
    );
    // The view-only share cannot be answered, so it is not "awaiting".
    assert_eq!(
        listed(Some("awaiting"), None).await.unwrap(),
        vec![waiting.clone()]
    );
    assert!(listed(Some("awaiting"), Some(1)).await.unwrap().is_empty());
    // Given the "comment" permission, the view-only share awaits a response too.
    shares::change(
        &h.core,
        &admin,
        &view_id,
        shares::ShareChange {
            permission: Some(Permission::Comment),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        listed(Some("awaiting"), None).await.unwrap(),
        sorted(vec![waiting.clone(), view_id.clone()])
    );
    // A revoked share is no longer awaited.
    shares::revoke(&h.core, &admin, &view_id, &meta())
        .await
        .unwrap();
    assert_eq!(
        listed(Some("awaiting"), None).await.unwrap(),
        vec![waiting.clone()]
    );
    assert!(
        !shares::get(&h.core, &admin, &view_id)
            .await
            .unwrap()
            .awaiting_response
    );
    let row = shares::get(&h.core, &admin, &edit_id).await.unwrap();
    assert_eq!((row.responses, row.awaiting_response), (1, false));
    let row = shares::get(&h.core, &admin, &waiting).await.unwrap();
    assert_eq!((row.responses, row.awaiting_response), (0, true));
    for (response, days, field_name) in [
        (Some("maybe"), None, "response"),
        (Some("responded"), Some(3), "days"),
        (None, Some(3), "days"),
        (Some("awaiting"), Some(4000), "days"),
    ] {
        assert_eq!(field(listed(response, days).await), field_name);
    }

    // Staff download an attachment: its bytes, audited; another organisation cannot.
    let file = &responses::for_share(&h.core, &admin, &edit_id)
        .await
        .unwrap()[0]
        .attachments[0]
        .clone();
    let (a, bytes) = responses::attachment(&h.core, &admin, &edit_id, &file.id, &meta())
        .await
        .unwrap();
    assert_eq!(
        (a.file_name.as_str(), &bytes[..]),
        ("signed.txt", &b"signed"[..])
    );
    assert!(matches!(
        responses::attachment(&h.core, &other, &edit_id, &file.id, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    // Named through another share of the same organisation: not found either.
    assert!(matches!(
        responses::attachment(&h.core, &admin, &comment_id, &file.id, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    let downloads = events_of(&h, &admin, "share.attachment_downloaded").await;
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].details["sha256"], file.sha256);
}

async fn the_dashboard_counts_what_needs_attention(h: Harness) {
    use backend::domain::Permission;
    use backend::services::dashboard;
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let person = |n: usize| Recipient {
        name: format!("Person {n}"),
        email: format!("p{n}@x.example"),
    };
    let with = |n: usize, expiry: Expiry, permission: Permission| NewShare {
        recipients: vec![person(n)],
        expiry,
        settings: ShareSettings {
            permission,
            ..Default::default()
        },
        ..share(&doc)
    };
    // Two expiring within the week (one of them awaits a response), one later, one revoked.
    let (soon, _) = create(&h, &admin, with(1, Expiry::Hours(24), Permission::Comment))
        .await
        .unwrap();
    create(&h, &admin, with(2, Expiry::Days(7), Permission::View))
        .await
        .unwrap();
    create(&h, &admin, with(3, Expiry::Days(30), Permission::View))
        .await
        .unwrap();
    let (gone, _) = create(&h, &admin, with(4, Expiry::Days(1), Permission::Edit))
        .await
        .unwrap();
    shares::revoke(&h.core, &admin, &gone, &meta())
        .await
        .unwrap();
    // A denied open: a wrong password on a protected share.
    let (_, locked) = create(
        &h,
        &admin,
        NewShare {
            password: Some(SecretString::from("correct horse battery".to_owned())),
            ..with(5, Expiry::Days(30), Permission::View)
        },
    )
    .await
    .unwrap();
    assert!(access::open(
        &h.core,
        access::OpenRequest {
            password: Some(SecretString::from("wrong".to_owned())),
            ..request(&locked)
        },
        &meta()
    )
    .await
    .is_err());
    let d = dashboard::dashboard(&h.core, &admin).await.unwrap();
    assert_eq!(
        (d.active, d.expiring, d.awaiting_response, d.denials_24h),
        (4, 2, 1, Some(1)),
        "{d:?}"
    );
    // Each figure is the table's filter.
    let expiring = shares::list(
        &h.core,
        &admin,
        ShareFilter {
            expiring_within_days: Some(dashboard::EXPIRING_DAYS),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(expiring.len(), 2);
    assert!(expiring.iter().any(|s| s.id == soon));
    // Another organisation counts nothing of these.
    let other = org(&h, "Globex").await;
    let d = dashboard::dashboard(&h.core, &other).await.unwrap();
    assert_eq!((d.active, d.denials_24h), (0, Some(0)));
}

async fn link_shares_are_mailed_when_asked_and_expire_in_hours(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let invitations = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'invitation'")
            .fetch_one(h.core.db.pool())
            .await
            .unwrap()
    };
    // A plain link share is not mailed unless asked…
    create(&h, &admin, share(&doc)).await.unwrap();
    assert_eq!(invitations().await, 0);
    // …and then it is, at once, with the link and its instructions.
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            send_link: true,
            expiry: Expiry::Hours(1),
            settings: ShareSettings {
                instructions: "Read section 3 first.".into(),
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    assert_eq!(invitations().await, 1);
    let subject: String =
        sqlx::query_scalar("SELECT subject FROM mail_outbox WHERE kind = 'invitation'")
            .fetch_one(h.core.db.pool())
            .await
            .unwrap();
    assert!(
        !subject.contains(&token),
        "the subject never carries the link"
    );
    // An hour from now, give or take the test's own time.
    let view = shares::get(&h.core, &admin, &id).await.unwrap();
    let expires = time::OffsetDateTime::parse(
        view.expires_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - h.core.now();
    assert!(
        left <= time::Duration::hours(1) && left > time::Duration::minutes(59),
        "{left}"
    );
    // Hours outside 1..=the ceiling are refused on their field.
    assert_eq!(
        field(
            create(
                &h,
                &admin,
                NewShare {
                    expiry: Expiry::Hours(0),
                    ..share(&doc)
                }
            )
            .await
        ),
        "expires_in_hours"
    );
}

async fn expiry_reminders_go_once(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, _) = create(
        &h,
        &admin,
        NewShare {
            expiry: Expiry::Days(7),
            settings: ShareSettings {
                expiry_reminder_days: 2,
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        shares::send_expiry_reminders(&h.core, 100).await.unwrap(),
        0
    );
    h.clock
        .advance(time::Duration::days(5) + time::Duration::hours(1));
    assert_eq!(
        shares::send_expiry_reminders(&h.core, 100).await.unwrap(),
        1
    );
    assert_eq!(
        shares::send_expiry_reminders(&h.core, 100).await.unwrap(),
        0,
        "once"
    );
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM mail_outbox WHERE share_id = $1")
        .bind(&id)
        .fetch_all(h.core.db.pool())
        .await
        .unwrap();
    assert_eq!(kinds, ["expiry_reminder"]);
}

/// A member with no expiry and the member role, as the console adds one.
pub fn member_input(name: &str, email: &str) -> backend::services::portals::members::MemberInput {
    backend::services::portals::members::MemberInput {
        name: name.into(),
        email: email.into(),
        role: Default::default(),
        expires_at: None,
    }
}

async fn portal_access_admits_active_members_only(h: Harness) {
    use backend::services::portals;
    let admin = org(&h, "Acme").await;
    let other = org(&h, "Globex").await;
    let doc = document(&h, &admin).await;
    let panel = portals::create(&h.core, &admin, "Counsel panel", &meta())
        .await
        .unwrap();
    portals::members::add_member(
        &h.core,
        &admin,
        &panel.id,
        &member_input("Jane Counsel", "Jane@LawFirm.example"),
        &meta(),
    )
    .await
    .unwrap();
    // Another organisation cannot see or use the portal.
    assert!(matches!(
        portals::members::add_member(
            &h.core,
            &other,
            &panel.id,
            &member_input("Eve", "eve@x.example"),
            &meta()
        )
        .await,
        Err(ServiceError::NotFound("portal"))
    ));
    let portal_share = |email: &str, portal_id: &str| NewShare {
        method: Some(Method::Portal),
        recipients: vec![Recipient {
            name: "Someone".into(),
            email: email.into(),
        }],
        portal_id: Some(portal_id.into()),
        ..share(&doc)
    };
    let shares_before = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM shares")
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert_eq!(
        field(create(&h, &admin, portal_share("bob@lawfirm.example", &panel.id)).await),
        "recipients",
        "a non-member"
    );
    let other_doc = document(&h, &other).await;
    assert!(matches!(
        create(
            &h,
            &other,
            NewShare {
                item: SharedItem::Document(other_doc),
                ..portal_share("jane@lawfirm.example", &panel.id)
            }
        )
        .await,
        Err(ServiceError::NotFound("portal"))
    ));
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM shares")
            .fetch_one(h.core.db.pool())
            .await
            .unwrap(),
        shares_before,
        "refused shares wrote nothing"
    );

    // A member gets the link by mail and proves their address with a code.
    let (share_id, token) = create(&h, &admin, portal_share("jane@lawfirm.example", &panel.id))
        .await
        .unwrap();
    let invitation = local_mail(&h, &admin, "jane@lawfirm.example", "shared").await;
    assert!(invitation.contains(&token[..20]), "{invitation}");
    let landing = access::landing(&h.core, &token, None, &meta())
        .await
        .unwrap();
    assert!(landing.needs_code);
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta()).await),
        Denial::CodeRequired
    );
    let code_mail = local_mail(&h, &admin, "jane@lawfirm.example", "verification code").await;
    let code = crate::common::mailed_code(&code_mail);
    let session = access::open(
        &h.core,
        access::OpenRequest {
            code: Some(SecretString::from(code)),
            ..request(&token)
        },
        &meta(),
    )
    .await
    .unwrap();
    access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap();

    // Removing the member revokes the share: the very next request fails.
    let member = portals::list(&h.core, &admin)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == panel.id)
        .unwrap()
        .members[0]
        .id
        .clone();
    assert_eq!(
        portals::members::remove_member(&h.core, &admin, &panel.id, &member, &meta())
            .await
            .unwrap(),
        1
    );
    assert!(matches!(
        access::authenticate(&h.core, &session.access_token, &meta()).await,
        Err(ServiceError::InvalidPortalToken(_))
    ));
    assert_eq!(
        shares::get(&h.core, &admin, &share_id)
            .await
            .unwrap()
            .status,
        backend::domain::ShareStatus::Revoked
    );
    assert!(portals::list(&h.core, &admin).await.unwrap()[0]
        .members
        .is_empty());

    // Membership is also checked at every open (say the revocation never ran).
    portals::members::add_member(
        &h.core,
        &admin,
        &panel.id,
        &member_input("Jane Counsel", "jane@lawfirm.example"),
        &meta(),
    )
    .await
    .unwrap();
    let (second, token) = create(&h, &admin, portal_share("jane@lawfirm.example", &panel.id))
        .await
        .unwrap();
    sqlx::query("UPDATE portal_members SET removed_at = 1")
        .execute(h.core.db.pool())
        .await
        .unwrap();
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta()).await),
        Denial::NotAMember
    );
    assert_eq!(denials(&h, &admin, &second).await, vec!["not_a_member"]);
    let changes = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("portal.changed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(changes.len(), 4, "created, added, removed, added again");

    // "Approved devices only" does not stand in for membership: once the membership ends,
    // the member's approved browser is refused at its next request (security review).
    portals::members::add_member(
        &h.core,
        &admin,
        &panel.id,
        &member_input("Kim Clerk", "kim@lawfirm.example"),
        &meta(),
    )
    .await
    .unwrap();
    let (_, token) = create(
        &h,
        &admin,
        NewShare {
            settings: ShareSettings {
                approved_devices_only: true,
                ..Default::default()
            },
            ..portal_share("kim@lawfirm.example", &panel.id)
        },
    )
    .await
    .unwrap();
    let device = access::new_device_id();
    let from_laptop = |code: Option<SecretString>| access::OpenRequest {
        code,
        device: SecretString::from(device.expose_secret().to_owned()),
        ..request(&token)
    };
    assert_eq!(
        denial(access::open(&h.core, from_laptop(None), &meta()).await),
        Denial::CodeRequired
    );
    let code = crate::common::mailed_code(
        &local_mail(&h, &admin, "kim@lawfirm.example", "verification code").await,
    );
    let session = access::open(
        &h.core,
        from_laptop(Some(SecretString::from(code))),
        &meta(),
    )
    .await
    .unwrap();
    access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap();
    sqlx::query("UPDATE portal_members SET removed_at = 1")
        .execute(h.core.db.pool())
        .await
        .unwrap();
    assert!(matches!(
        access::authenticate(&h.core, &session.access_token, &meta()).await,
        Err(ServiceError::InvalidPortalToken(_))
    ));
}

async fn live_shares_are_changed_within_policy(h: Harness) {
    use backend::domain::{Permission, ShareStatus};
    use shares::ShareChange;
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    policy::set(
        &h.core,
        &admin,
        Policy {
            default_expiry_days: 7,
            max_expiry_days: 30,
            allow_custom_expiry: true,
            allow_controller_override: false,
            ..Policy::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            max_access_count: Some(1),
            settings: ShareSettings {
                allow_download: true,
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let session = access::open(&h.core, request(&token), &meta())
        .await
        .unwrap();
    let guest = access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap();
    access::item_content(&h.core, &guest, &doc, access::Purpose::Download, &meta())
        .await
        .expect("download allowed at first");
    // Used up: one more open is refused until the limit is raised.
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta()).await),
        Denial::AccessCountExceeded
    );
    let change = |c: ShareChange| {
        let (core, admin, id) = (h.core.clone(), admin.clone(), id.clone());
        async move { shares::change(&core, &admin, &id, c, &meta()).await }
    };
    let changed = change(ShareChange {
        expiry: Some(Expiry::Days(30)),
        max_access_count: Some(3),
        allow_download: Some(false),
        permission: Some(Permission::Comment),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(changed.status, ShareStatus::Active);
    assert_eq!(changed.max_access_count, 3);
    assert_eq!(changed.settings.permission, Permission::Comment);
    // The open session sees the narrower permission on its very next request.
    assert!(matches!(
        access::item_content(&h.core, &guest, &doc, access::Purpose::Download, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    access::open(&h.core, request(&token), &meta())
        .await
        .expect("the raised limit admits another open");

    // Beyond the ceiling (counted from creation), TLP rules, controllers without override:
    // each refused with the field named, and nothing changed.
    let before = shares::get(&h.core, &admin, &id).await.unwrap();
    assert_eq!(
        field(
            change(ShareChange {
                expiry: Some(Expiry::Days(31)),
                ..Default::default()
            })
            .await
        ),
        "expires_at"
    );
    assert_eq!(
        field(
            change(ShareChange {
                max_access_count: Some(-1),
                ..Default::default()
            })
            .await
        ),
        "max_access_count"
    );
    let mut controller = admin.clone();
    controller.role = backend::domain::Role::Controller;
    assert_eq!(
        field(
            shares::change(
                &h.core,
                &controller,
                &id,
                ShareChange {
                    expiry: Some(Expiry::Days(14)),
                    ..Default::default()
                },
                &meta()
            )
            .await
        ),
        "expires_at"
    );
    // A controller may still change permissions.
    shares::change(
        &h.core,
        &controller,
        &id,
        ShareChange {
            allow_print: Some(true),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    let (red, _) = create(
        &h,
        &admin,
        NewShare {
            tlp: Some(Tlp::Red),
            method: Some(Method::Invitation),
            settings: ShareSettings {
                watermark: true,
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    for c in [
        ShareChange {
            allow_download: Some(true),
            ..Default::default()
        },
        ShareChange {
            watermark: Some(false),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            shares::change(&h.core, &admin, &red, c, &meta()).await,
            Err(ServiceError::Invalid { .. })
        ));
    }
    let after = shares::get(&h.core, &admin, &id).await.unwrap();
    assert_eq!(after.expires_at, before.expires_at);
    assert_eq!(after.max_access_count, before.max_access_count);

    // Another organisation cannot change it; a revoked share cannot be changed.
    let other = org(&h, "Globex").await;
    assert!(matches!(
        shares::change(&h.core, &other, &id, ShareChange::default(), &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    shares::revoke(&h.core, &admin, &id, &meta()).await.unwrap();
    assert!(matches!(
        change(ShareChange {
            expiry: Some(Expiry::Days(7)),
            ..Default::default()
        })
        .await,
        Err(ServiceError::Conflict(_))
    ));

    // An expired share can be extended: it is active again, and its later expiry is
    // recorded again by the sweeper.
    let (late, late_token) = create(&h, &admin, share(&doc)).await.unwrap();
    h.clock.advance(time::Duration::days(8));
    assert_eq!(
        denial(access::open(&h.core, request(&late_token), &meta()).await),
        Denial::Expired
    );
    let extended = shares::change(
        &h.core,
        &admin,
        &late,
        ShareChange {
            expiry: Some(Expiry::Days(14)),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(extended.status, ShareStatus::Active);
    access::open(&h.core, request(&late_token), &meta())
        .await
        .expect("an extended share opens");
    let changes = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("share.changed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(
        changes.len(),
        3,
        "two changes of the first share, one extension"
    );
    assert!(changes[0].details["before"]["expires_at"].is_string());
    assert_ne!(
        changes[0].details["before"]["expires_at"],
        changes[0].details["after"]["expires_at"]
    );
}

async fn bulk_revocation_is_all_or_none(h: Harness) {
    use backend::domain::ShareStatus;
    let admin = org(&h, "Acme").await;
    let other = org(&h, "Globex").await;
    let doc = document(&h, &admin).await;
    let other_doc = document(&h, &other).await;
    let created = shares::create(
        &h.core,
        &admin,
        NewShare {
            recipients: (0..3)
                .map(|i| Recipient {
                    name: format!("Reviewer {i}"),
                    email: format!("r{i}@audit.example"),
                })
                .collect(),
            ..share(&doc)
        },
        &meta(),
    )
    .await
    .unwrap();
    let ids: Vec<String> = created.iter().map(|c| c.share.id.clone()).collect();
    let (foreign, _) = create(&h, &other, share(&other_doc)).await.unwrap();
    let status = |id: String| {
        let (core, admin) = (h.core.clone(), admin.clone());
        async move { shares::get(&core, &admin, &id).await.unwrap().status }
    };
    // One id of another organisation: nothing is revoked.
    let mixed: Vec<String> = ids.iter().cloned().chain([foreign]).collect();
    assert!(matches!(
        shares::revoke_many(&h.core, &admin, &mixed, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    for id in &ids {
        assert_eq!(status(id.clone()).await, ShareStatus::Active);
    }
    assert_eq!(
        field(shares::revoke_many(&h.core, &admin, &[], &meta()).await),
        "ids"
    );
    let guest = {
        let token = created[0].url.expose_secret().rsplit('/').next().unwrap();
        let s = access::open(&h.core, request(token), &meta())
            .await
            .unwrap();
        s.access_token
    };
    assert_eq!(
        shares::revoke_many(&h.core, &admin, &ids, &meta())
            .await
            .unwrap(),
        3
    );
    for id in &ids {
        assert_eq!(status(id.clone()).await, ShareStatus::Revoked);
    }
    assert!(matches!(
        access::authenticate(&h.core, &guest, &meta()).await,
        Err(ServiceError::InvalidPortalToken(_))
    ));
    // Again: nothing left to revoke.
    assert_eq!(
        shares::revoke_many(&h.core, &admin, &ids, &meta())
            .await
            .unwrap(),
        0
    );
    let revoked = audit_log::list(
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
    assert_eq!(revoked.len(), 3);
    assert!(revoked
        .iter()
        .all(|e| e.details["reason"] == "revoked_in_bulk"));
}

/// A guest's open stream of `token`'s share, as a download or the event stream holds it.
async fn guest_stream(h: &Harness, token: &str) -> access::GuestStream {
    let subscription = h.core.revocations.subscribe();
    let session = access::open(&h.core, request(token), &meta())
        .await
        .unwrap();
    let guest = access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap();
    access::GuestStream {
        guest,
        jwt: session.access_token,
        meta: meta(),
        subscription,
    }
}

/// A stream's watch on its share: a doubt on the bus (say LISTEN reconnected) makes it
/// check its session; it ends only if the share was revoked meanwhile (here behind the
/// bus's back, as another node whose notification was lost would).
async fn streams_recheck_their_share_when_the_bus_is_unsure(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, token) = create(&h, &admin, share(&doc)).await.unwrap();
    let bus = &h.core.revocations;
    let stream = guest_stream(&h, &token).await;
    let watch = tokio::spawn(access::until_ended(h.core.clone(), stream));
    bus.publish_unsure();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        !watch.is_finished(),
        "a live share's stream ended on a doubt"
    );
    sqlx::query("UPDATE shares SET revoked_at = $1 WHERE id = $2")
        .bind(h.core.now_ms())
        .bind(&id)
        .execute(h.core.db.pool())
        .await
        .unwrap();
    assert!(!watch.is_finished());
    bus.publish_unsure();
    let end = tokio::time::timeout(std::time::Duration::from_secs(2), watch)
        .await
        .expect("the re-check did not end the stream of a revoked share")
        .unwrap();
    assert_eq!(end, access::StreamEnd::Revoked);
}

/// A stream ends once its session no longer admits the guest, not only on revocation: the
/// guest signing out ends their download and event stream (before, only the share's own
/// state was re-read, and such a stream ran on).
async fn streams_end_when_their_session_no_longer_admits_the_guest(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (_, token) = create(&h, &admin, share(&doc)).await.unwrap();
    let stream = guest_stream(&h, &token).await;
    let guest = stream.guest.clone();
    let other = guest_stream(&h, &token).await;
    let watch = tokio::spawn(access::until_ended(h.core.clone(), stream));
    let unrelated = tokio::spawn(access::until_ended(h.core.clone(), other));
    access::sign_out(&h.core, &guest, false, &meta())
        .await
        .unwrap();
    let end = tokio::time::timeout(std::time::Duration::from_secs(2), watch)
        .await
        .expect("signing out did not end the stream")
        .unwrap();
    assert_eq!(end, access::StreamEnd::NotAllowed);
    // The same share's other session (another browser) streams on.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!unrelated.is_finished(), "another session's stream ended");
    unrelated.abort();
}

async fn titled_document(h: &Harness, who: &Staff, title: &str) -> String {
    documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: title.into(),
            file_name: format!("{}.txt", title.to_lowercase().replace(' ', "-")),
            bytes: title.as_bytes().to_vec().into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id
}

async fn packages_and_work_packages_are_shared_as_one_item(h: Harness) {
    use backend::domain::Scope;
    use backend::services::packages;
    let admin = org(&h, "Acme").await;
    let other = org(&h, "Globex").await;
    let brief = titled_document(&h, &admin, "Brief").await;
    let exhibit = titled_document(&h, &admin, "Exhibit A").await;
    let later = titled_document(&h, &admin, "Late filing").await;
    let pack = packages::create(&h.core, &admin, "Court bundle", &meta())
        .await
        .unwrap();
    let bundle_share = |item: SharedItem| NewShare { item, ..share("") };
    // Empty: refused with a clear message; another organisation's package: not found.
    assert_eq!(
        field(
            create(
                &h,
                &admin,
                bundle_share(SharedItem::Package(pack.id.clone()))
            )
            .await
        ),
        "item"
    );
    for doc in [&brief, &exhibit] {
        packages::add_document(&h.core, &admin, &pack.id, doc, &meta())
            .await
            .unwrap();
    }
    assert!(matches!(
        packages::add_document(&h.core, &other, &pack.id, &brief, &meta()).await,
        Err(ServiceError::NotFound("package"))
    ));
    let other_doc = titled_document(&h, &other, "Theirs").await;
    assert!(matches!(
        packages::add_document(&h.core, &admin, &pack.id, &other_doc, &meta()).await,
        Err(ServiceError::NotFound("document"))
    ));
    assert!(matches!(
        create(
            &h,
            &other,
            bundle_share(SharedItem::Package(pack.id.clone()))
        )
        .await,
        Err(ServiceError::NotFound("package"))
    ));

    let (id, token) = create(
        &h,
        &admin,
        bundle_share(SharedItem::Package(pack.id.clone())),
    )
    .await
    .unwrap();
    let view = shares::get(&h.core, &admin, &id).await.unwrap();
    assert_eq!(view.item.kind, "document_package");
    assert_eq!(view.item.title, "Court bundle");
    assert_eq!(view.settings.scope, Scope::DocumentPackage);
    // Adding to the package later does not widen the share.
    packages::add_document(&h.core, &admin, &pack.id, &later, &meta())
        .await
        .unwrap();
    let session = access::open(&h.core, request(&token), &meta())
        .await
        .unwrap();
    let guest = access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap();
    let titles: Vec<String> = access::items(&h.core, &guest)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["Brief", "Exhibit A"]);
    for (doc, ok) in [(&exhibit, true), (&later, false), (&other_doc, false)] {
        let r = access::open_view(&h.core, &guest, doc, &meta()).await;
        assert_eq!(r.is_ok(), ok, "{doc}: {r:?}");
    }
    // The share is found by any document it covers.
    let by_item = shares::list(
        &h.core,
        &admin,
        ShareFilter {
            document_id: Some(exhibit.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        by_item
            .items
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        [id.as_str()]
    );

    // A work package: every document of a project, each under its project's policy.
    let project = policy::create_project(&h.core, &admin, "Matter 42", &meta())
        .await
        .unwrap();
    for doc in [&brief, &later] {
        policy::assign_document(&h.core, &admin, doc, Some(&project.id), &meta())
            .await
            .unwrap();
    }
    let (work, work_token) = create(
        &h,
        &admin,
        bundle_share(SharedItem::WorkPackage(project.id.clone())),
    )
    .await
    .unwrap();
    assert_eq!(
        shares::get(&h.core, &admin, &work).await.unwrap().item.kind,
        "work_package"
    );
    let session = access::open(&h.core, request(&work_token), &meta())
        .await
        .unwrap();
    let guest = access::authenticate(&h.core, &session.access_token, &meta())
        .await
        .unwrap();
    assert_eq!(access::items(&h.core, &guest).await.unwrap().len(), 2);
    // The project's policy no longer allows links: a new work package link is refused, and
    // the package share (which covers a document of the project) stops opening.
    policy::set_project_override(
        &h.core,
        &admin,
        &project.id,
        PolicyOverride {
            allowed_methods: Some(vec![Method::Invitation]),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        field(
            create(
                &h,
                &admin,
                bundle_share(SharedItem::WorkPackage(project.id.clone()))
            )
            .await
        ),
        "method"
    );
    assert_eq!(
        denial(access::open(&h.core, request(&token), &meta()).await),
        Denial::PolicyForbids
    );
}

/// Audited denials of a share with `reason`, counted in the database (no page limit).
async fn count_denials(h: &Harness, share_id: &str, reason: &str) -> usize {
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE share_id = $1 AND event_type = 'share.denied'",
    )
    .bind(share_id)
    .fetch_all(h.core.db.pool())
    .await
    .unwrap();
    details
        .iter()
        .filter(|d| serde_json::from_str::<serde_json::Value>(d).unwrap()["reason"] == reason)
        .count()
}

/// Security review, finding 2: a burst of wrong passwords from 80 addresses at once. The
/// attempt is reserved (atomically, in the database) before any PBKDF2, so at most the
/// share's limit of guesses is evaluated; the rest are refused as too many attempts.
async fn concurrent_wrong_passwords_evaluate_at_most_the_limit(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            password: Some(SecretString::from("correct horse battery".to_owned())),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let before = h.core.kdf.computations();
    let guesses: Vec<_> = (0..80)
        .map(|n| {
            let core = h.core.clone();
            let req = access::OpenRequest {
                password: Some(SecretString::from(format!("guess number {n}"))),
                ..request(&token)
            };
            tokio::spawn(async move {
                access::open(&core, req, &meta_from(&format!("198.51.100.{n}"))).await
            })
        })
        .collect();
    let mut wrong = 0;
    for g in guesses {
        match denial(g.await.unwrap()) {
            Denial::WrongPassword => wrong += 1,
            Denial::TooManyAttempts => {}
            other => panic!("unexpected denial {other:?}"),
        }
    }
    let limit = share_core::SHARE_LIMIT.max_failures as usize;
    assert!(wrong < limit, "{wrong} wrong passwords answered as such");
    assert_eq!(
        count_denials(&h, &id, "wrong_password").await,
        limit,
        "exactly the limit was evaluated and audited"
    );
    // Each evaluated guess costs two PBKDF2 runs (the link's verifier, the password).
    let spent = h.core.kdf.computations() - before;
    assert!(spent <= 2 * limit as u64, "{spent} PBKDF2 computations");
}

/// The same burst against a staff account's password.
async fn concurrent_wrong_staff_passwords_evaluate_at_most_the_limit(h: Harness) {
    let admin = org(&h, "Acme").await;
    let before = h.core.kdf.computations();
    let email = "admin@acme.example.org";
    let guesses: Vec<_> = (0..80)
        .map(|n| {
            let core = h.core.clone();
            tokio::spawn(async move {
                auth::sign_in(
                    &core,
                    email,
                    &SecretString::from(format!("guess number {n}")),
                    &meta_from(&format!("198.51.100.{n}")),
                )
                .await
            })
        })
        .collect();
    for g in guesses {
        assert!(g.await.unwrap().is_err());
    }
    let limit = auth::ACCOUNT_LIMIT.max_failures as u64;
    let spent = h.core.kdf.computations() - before;
    assert!(spent <= limit, "{spent} passwords evaluated");
    let failures = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("auth.sign_in_failed".into()),
            limit: Some(200),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    let evaluated = failures
        .iter()
        .filter(|e| {
            let reason = &e.details["reason"];
            reason == "wrong_password" || reason == "wrong_password_now_locked_out"
        })
        .count() as u64;
    assert_eq!(
        evaluated, limit,
        "exactly the limit was evaluated and audited"
    );
}

/// Every code sent supersedes the one before: a guess is checked against one hash.
async fn a_wrong_code_costs_one_pbkdf2(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (_, token) = create(
        &h,
        &admin,
        NewShare {
            method: Some(Method::Invitation),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let device = access::new_device_id();
    let ask = || access::OpenRequest {
        device: device.clone(),
        ..request(&token)
    };
    for _ in 0..5 {
        assert_eq!(
            denial(access::open(&h.core, ask(), &meta()).await),
            Denial::CodeRequired
        );
        h.clock.advance(time::Duration::seconds(61));
    }
    let before = h.core.kdf.computations();
    let guess = access::OpenRequest {
        code: Some(SecretString::from("00000000".to_owned())),
        ..ask()
    };
    assert_eq!(
        denial(access::open(&h.core, guess, &meta()).await),
        Denial::WrongCode
    );
    // The link's verifier and one code.
    assert_eq!(h.core.kdf.computations() - before, 2);
}

/// Security review, finding 6: under "approved devices only", the first browser is approved
/// by passing the checks. Eight new browsers opening at once: exactly one becomes it, the
/// others wait for the owner.
async fn racing_new_browsers_cannot_both_become_the_first_device(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            settings: ShareSettings {
                approved_devices_only: true,
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let core = h.core.clone();
            let req = request(&token);
            tokio::spawn(async move { access::open(&core, req, &meta()).await })
        })
        .collect();
    let mut opened = 0;
    for o in opens {
        match o.await.unwrap() {
            Ok(_) => opened += 1,
            Err(ServiceError::Denied(Denial::DeviceApprovalPending)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(opened, 1, "one first device");
    let approved: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM share_devices WHERE share_id = $1 AND status = 'approved'",
    )
    .bind(&id)
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(approved, 1);
}

/// Security review, finding 6: a guest cannot submit responses without end. 130 at once
/// against a cap of 100: exactly 100 are stored, the rest are told why (429).
async fn responses_per_share_are_capped_under_concurrency(h: Harness) {
    use backend::domain::Permission;
    use backend::services::responses::{self, Decision, NewResponse, MAX_RESPONSES_PER_SHARE};
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, token) = create(
        &h,
        &admin,
        NewShare {
            settings: ShareSettings {
                permission: Permission::Comment,
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let g = guest_for(&h, &token).await;
    let submissions: Vec<_> = (0..130)
        .map(|n| {
            let core = h.core.clone();
            let g = g.clone();
            tokio::spawn(async move {
                let answer = NewResponse {
                    decision: Decision::ApproveWithComments,
                    comment: format!("note {n}"),
                    attachments: Vec::new(),
                };
                responses::submit(&core, &g, answer, &meta()).await
            })
        })
        .collect();
    let mut refused = 0;
    for s in submissions {
        match s.await.unwrap() {
            Ok(_) => {}
            Err(e @ ServiceError::TooMany { .. }) => {
                assert_eq!(e.http_status(), 429);
                refused += 1;
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(refused, 130 - MAX_RESPONSES_PER_SHARE as usize);
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM share_responses WHERE share_id = $1")
            .bind(&id)
            .fetch_one(h.core.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, MAX_RESPONSES_PER_SHARE);
}

/// A lockout that starts late in a window lasts its full length: the window's end does not
/// reset the count (review of the reservation change).
async fn a_lockout_outlives_the_window_that_ended_in_it(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let password = || Some(SecretString::from("correct horse battery".to_owned()));
    let (_, token) = create(
        &h,
        &admin,
        NewShare {
            password: password(),
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let wrong = || access::OpenRequest {
        password: Some(SecretString::from("wrong".to_owned())),
        ..request(&token)
    };
    assert_eq!(
        denial(access::open(&h.core, wrong(), &meta()).await),
        Denial::WrongPassword
    );
    h.clock.advance(time::Duration::minutes(14));
    for _ in 0..8 {
        assert_eq!(
            denial(access::open(&h.core, wrong(), &meta()).await),
            Denial::WrongPassword
        );
    }
    assert_eq!(
        denial(access::open(&h.core, wrong(), &meta()).await),
        Denial::TooManyAttempts,
        "the tenth failure locks"
    );
    // The window that began with the first failure is over; the lockout is not.
    h.clock.advance(time::Duration::minutes(2));
    let right = access::OpenRequest {
        password: password(),
        ..request(&token)
    };
    assert_eq!(
        denial(access::open(&h.core, right, &meta()).await),
        Denial::TooManyAttempts
    );
    h.clock.advance(time::Duration::minutes(14));
    let right = access::OpenRequest {
        password: password(),
        ..request(&token)
    };
    access::open(&h.core, right, &meta()).await.unwrap();
}

/// Two changes to one share at once (two admins, a renewal approval, a review's "extend"):
/// the one that writes second was planned from what the first replaced, so it writes
/// nothing rather than undo the first.
async fn a_change_planned_from_a_stale_read_writes_nothing(h: Harness) {
    use backend::store::shares as store_shares;
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin).await;
    let (id, _) = create(
        &h,
        &admin,
        NewShare {
            settings: ShareSettings {
                allow_download: true,
                ..Default::default()
            },
            ..share(&doc)
        },
    )
    .await
    .unwrap();
    let pool = h.core.db.pool();
    let (_, stale) = store_shares::get_for_change(pool, &admin.org_id, &id)
        .await
        .unwrap()
        .unwrap();
    // The first change lands: no more downloads.
    shares::change(
        &h.core,
        &admin,
        &id,
        shares::ShareChange {
            allow_download: Some(false),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    // The second, planned before it, would turn downloads back on with its settings.
    let limits = store_shares::Limits {
        expires_at: stale.expires_at.unwrap() + 3_600_000,
        max_access_count: stale.max_access_count,
        settings: stale.settings.clone(),
        remind_at: None,
        reset_reminder: false,
        active: true,
    };
    let written = store_shares::change_limits(pool, &admin.org_id, &id, &stale, &limits)
        .await
        .unwrap();
    assert!(!written, "a change over a stale read was written");
    let now = store_shares::get(pool, &admin.org_id, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(!now.settings.allow_download);
    // Read afresh, the same change is written.
    let (_, fresh) = store_shares::get_for_change(pool, &admin.org_id, &id)
        .await
        .unwrap()
        .unwrap();
    let limits = store_shares::Limits {
        settings: fresh.settings.clone(),
        ..limits
    };
    assert!(
        store_shares::change_limits(pool, &admin.org_id, &id, &fresh, &limits)
            .await
            .unwrap()
    );
}
