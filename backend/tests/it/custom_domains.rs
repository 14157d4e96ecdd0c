//! Custom portal domains against a real DNS server (Debian's dnsmasq, started per test
//! with the TXT records the test needs): add, verify, the daily re-check that suspends a
//! domain whose record is gone (audited, admins mailed), one portal per name, and every
//! unsafe name refused with nothing written — on SQLite and on PostgreSQL.

use std::net::SocketAddr;

use crate::common::dnsmasq::Dnsmasq;
use crate::common::{org_admin, Harness};
use backend::actor::RequestMeta;
use backend::services::portals::{self, domains, domains::Rechecked};
use backend::services::{audit_log, sites, ServiceError};
use backend::store::domains::DomainStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_are_verified_rechecked_and_suspended_sqlite() {
    with_dns(backend::store::Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_are_verified_rechecked_and_suspended_postgres() {
    with_dns(backend::store::Engine::Postgres).await;
}

both_engines!(racing_adds_never_pass_the_domain_cap);

/// The organisation's domain cap is counted under its lock: adds racing for the last
/// places never pass it together (counted before the transaction, all of them passed).
async fn racing_adds_never_pass_the_domain_cap(h: Harness) {
    let admin = org_admin(&h, "Agency").await;
    let portal = portals::create(&h.core, &admin, "Evidence", &meta())
        .await
        .unwrap();
    for i in 0..domains::MAX_DOMAINS_PER_ORG - 2 {
        domains::add(
            &h.core,
            &admin,
            &portal.id,
            &format!("d{i}.agency.example"),
            &meta(),
        )
        .await
        .unwrap();
    }
    let racers = (0..6).map(|i| {
        let (core, admin, portal) = (h.core.clone(), admin.clone(), portal.id.clone());
        tokio::spawn(async move {
            domains::add(
                &core,
                &admin,
                &portal,
                &format!("race{i}.agency.example"),
                &meta(),
            )
            .await
        })
    });
    let results = futures::future::join_all(racers).await;
    let won = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    assert_eq!(won, 2, "{results:?}");
    assert_eq!(
        domains::list(&h.core, &admin).await.unwrap().len() as i64,
        domains::MAX_DOMAINS_PER_ORG
    );
}

async fn with_dns(engine: backend::store::Engine) {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    crate::common::run_with_dns(engine, addr, move |h| story(h, port)).await;
}

fn free_port() -> u16 {
    // TCP and UDP on the same number: take a TCP port, and let dnsmasq fail loudly if the
    // UDP side is taken.
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.5".parse().unwrap()), Some("domains-test"))
}

fn field<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> (&'static str, String) {
    match r {
        Err(ServiceError::Invalid { field, message }) => (field, message),
        other => panic!("expected a named invalid field, got {other:?}"),
    }
}

async fn story(h: Harness, port: u16) {
    let admin = org_admin(&h, "Agency").await;
    let portal = portals::create(&h.core, &admin, "Evidence", &meta())
        .await
        .unwrap();
    let audit_len = |who| {
        let core = h.core.clone();
        async move {
            audit_log::list(&core, &who, Default::default())
                .await
                .unwrap()
                .items
                .len()
        }
    };

    // Unsafe names are refused, by field, and nothing is written.
    let before = audit_len(admin.clone()).await;
    for bad in [
        "*.agency.example",
        "192.0.2.1",
        "xn--pple-43d.example",
        "127.0.0.1",
        "share.agency.example:443",
        "localhost",
        "аpple.example",
    ] {
        let (f, m) = field(domains::add(&h.core, &admin, &portal.id, bad, &meta()).await);
        assert_eq!(f, "domain", "{bad}: {m}");
    }
    assert!(domains::list(&h.core, &admin).await.unwrap().is_empty());
    assert_eq!(audit_len(admin.clone()).await, before);

    // Added: canonical name, pending, with the record to publish.
    let d = domains::add(
        &h.core,
        &admin,
        &portal.id,
        "Share.Agency.EXAMPLE.",
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(d.domain, "share.agency.example");
    assert_eq!(d.status, DomainStatus::Pending);
    assert_eq!(d.txt_name, "_liaison-challenge.share.agency.example");
    assert!(d.txt_value.len() >= 32);
    assert!(!sites::is_served(&h.core, "share.agency.example")
        .await
        .unwrap());

    // Once per organisation; but a pending name holds nothing against anyone else (each
    // row has its own challenge: only the holder of the DNS zone can verify).
    match domains::add(&h.core, &admin, &portal.id, "share.agency.example", &meta()).await {
        Err(ServiceError::Conflict(m)) => assert!(m.contains("already one of your"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let other = org_admin(&h, "Other").await;
    let other_portal = portals::create(&h.core, &other, "Theirs", &meta())
        .await
        .unwrap();
    let theirs = domains::add(
        &h.core,
        &other,
        &other_portal.id,
        "share.agency.example",
        &meta(),
    )
    .await
    .unwrap();
    assert_ne!(theirs.txt_value, d.txt_value);
    assert!(matches!(
        domains::verify(&h.core, &other, &d.id, &meta()).await,
        Err(ServiceError::NotFound("domain"))
    ));

    // No record yet: verification says what to publish and changes nothing.
    let dns = Dnsmasq::start(port, &[]).await;
    let (f, m) = field(domains::verify(&h.core, &admin, &d.id, &meta()).await);
    assert_eq!(f, "domain");
    assert!(m.contains(&d.txt_name) && m.contains(&d.txt_value), "{m}");
    drop(dns);

    // A wrong value does not verify either; the right one does.
    let dns = Dnsmasq::start(port, &[(d.txt_name.clone(), "someone-elses-token".into())]).await;
    assert!(domains::verify(&h.core, &admin, &d.id, &meta())
        .await
        .is_err());
    drop(dns);
    let dns = Dnsmasq::start(
        port,
        &[
            (d.txt_name.clone(), "unrelated".into()),
            (d.txt_name.clone(), d.txt_value.clone()),
            (d.txt_name.clone(), theirs.txt_value.clone()),
        ],
    )
    .await;
    let v = domains::verify(&h.core, &admin, &d.id, &meta())
        .await
        .unwrap();
    assert_eq!(v.status, DomainStatus::Verified);
    assert!(v.verified_at.is_some());
    assert!(sites::is_served(&h.core, "SHARE.agency.example.")
        .await
        .unwrap());

    // Verified names are served for one portal only: the other organisation's row cannot
    // be verified too (even with its record published), nor can a third add it; whose
    // portal has it is not said, and the refusals write nothing.
    let other_before = audit_len(other.clone()).await;
    match domains::verify(&h.core, &other, &theirs.id, &meta()).await {
        Err(ServiceError::Conflict(m)) => {
            assert!(m.contains("already verified for another portal"), "{m}");
            assert!(!m.contains("Agency") && !m.contains("Evidence"), "{m}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let third = org_admin(&h, "Third").await;
    let third_portal = portals::create(&h.core, &third, "Third", &meta())
        .await
        .unwrap();
    assert!(matches!(
        domains::add(
            &h.core,
            &third,
            &third_portal.id,
            "share.agency.example",
            &meta()
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(audit_len(other.clone()).await, other_before);
    assert_eq!(
        domains::list(&h.core, &other).await.unwrap()[0].status,
        DomainStatus::Pending
    );

    // The daily re-check: not due yet; due after a day, the record still there: verified.
    assert_eq!(
        domains::recheck_due(&h.core, 50).await.unwrap(),
        Rechecked::default()
    );
    h.clock.advance(time::Duration::hours(25));
    assert_eq!(
        domains::recheck_due(&h.core, 50).await.unwrap(),
        Rechecked {
            confirmed: 1,
            ..Default::default()
        }
    );
    assert_eq!(
        domains::list(&h.core, &admin).await.unwrap()[0].status,
        DomainStatus::Verified
    );
    drop(dns);

    // A day later the record is gone: suspended — by one of two nodes checking at once,
    // audited once, every admin mailed once.
    let dns = Dnsmasq::start(port, &[]).await;
    h.clock.advance(time::Duration::hours(25));
    let (a, b) = tokio::join!(
        domains::recheck_due(&h.core, 50),
        domains::recheck_due(&h.core, 50)
    );
    assert_eq!(a.unwrap().suspended + b.unwrap().suspended, 1);
    let now = domains::list(&h.core, &admin).await.unwrap();
    assert_eq!(now[0].status, DomainStatus::Suspended);
    assert!(!sites::is_served(&h.core, "share.agency.example")
        .await
        .unwrap());
    let suspensions = |who: backend::actor::Staff, domain: &'static str| {
        let core = h.core.clone();
        async move {
            audit_log::list(
                &core,
                &who,
                audit_log::AuditFilter {
                    event_type: Some("portal.changed".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.details["action"] == "domain_suspended" && e.details["domain"] == domain)
            .map(|e| e.details["reason"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        suspensions(admin.clone(), "share.agency.example").await,
        ["txt_record_missing"]
    );
    let mail = || async {
        sqlx::query_as::<_, (String, String)>(
            "SELECT to_address, subject FROM mail_outbox WHERE kind = 'domain_suspended' \
             ORDER BY created_at, to_address",
        )
        .fetch_all(h.core.db.pool())
        .await
        .unwrap()
    };
    assert_eq!(
        mail().await,
        vec![(
            "admin@agency.example.org".to_owned(),
            "share.agency.example is suspended".to_owned()
        )]
    );
    drop(dns);

    // Suspended, the name holds nothing either: the organisation that publishes its record
    // now verifies it, and the first may not take it back.
    let dns = Dnsmasq::start(
        port,
        &[
            (d.txt_name.clone(), d.txt_value.clone()),
            (theirs.txt_name.clone(), theirs.txt_value.clone()),
        ],
    )
    .await;
    domains::verify(&h.core, &other, &theirs.id, &meta())
        .await
        .unwrap();
    assert!(matches!(
        domains::verify(&h.core, &admin, &d.id, &meta()).await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(
        domains::list(&h.core, &admin).await.unwrap()[0].status,
        DomainStatus::Suspended
    );
    domains::remove(&h.core, &other, &theirs.id, &meta())
        .await
        .unwrap();
    assert!(matches!(
        domains::verify(&h.core, &other, &theirs.id, &meta()).await,
        Err(ServiceError::NotFound("domain"))
    ));
    drop(dns);

    // A DNS server that cannot answer proves nothing: the check is tried again hourly,
    // and the domain stays served — for a week. Then it is suspended, and admins are told
    // why.
    let d2 = domains::add(&h.core, &admin, &portal.id, "files.agency.example", &meta())
        .await
        .unwrap();
    let dns = Dnsmasq::start(port, &[(d2.txt_name.clone(), d2.txt_value.clone())]).await;
    domains::verify(&h.core, &admin, &d2.id, &meta())
        .await
        .unwrap();
    drop(dns);
    let _dns = Dnsmasq::refusing(port).await;
    h.clock.advance(time::Duration::hours(25));
    assert!(matches!(
        domains::verify(&h.core, &admin, &d2.id, &meta()).await,
        Err(ServiceError::Unavailable(_))
    ));
    let unanswered = Rechecked {
        inconclusive: 1,
        ..Default::default()
    };
    assert_eq!(domains::recheck_due(&h.core, 50).await.unwrap(), unanswered);
    h.clock.advance(time::Duration::minutes(30));
    assert_eq!(
        domains::recheck_due(&h.core, 50).await.unwrap(),
        Rechecked::default()
    );
    h.clock.advance(time::Duration::minutes(31));
    assert_eq!(domains::recheck_due(&h.core, 50).await.unwrap(), unanswered);
    assert!(sites::is_served(&h.core, "files.agency.example")
        .await
        .unwrap());
    for _ in 0..7 {
        h.clock.advance(time::Duration::hours(24));
        domains::recheck_due(&h.core, 50).await.unwrap();
    }
    assert!(!sites::is_served(&h.core, "files.agency.example")
        .await
        .unwrap());
    assert_eq!(
        suspensions(admin.clone(), "files.agency.example").await,
        ["dns_lookups_failing"]
    );
    let body = crate::common::local_mail(
        &h,
        &admin,
        "admin@agency.example.org",
        "files.agency.example is suspended",
    )
    .await;
    assert!(body.contains("no DNS server has answered"), "{body}");

    // Removing a domain stops it being served (and it is gone for good).
    domains::remove(&h.core, &admin, &d2.id, &meta())
        .await
        .unwrap();
    assert!(!sites::is_served(&h.core, "files.agency.example")
        .await
        .unwrap());
    assert!(matches!(
        domains::remove(&h.core, &admin, &d2.id, &meta()).await,
        Err(ServiceError::NotFound("domain"))
    ));
}

/// The `domain_checks` migration keeps every domain as it was, schedules the re-check of
/// verified ones a day after their last check, and lets a name be pending for two
/// organisations at once (it was unique whatever its status before).
async fn the_domain_checks_migration_keeps_every_domain(engine: backend::store::Engine) {
    use backend::store::Db;
    let dir = tempfile::tempdir().unwrap();
    let (pool, url, pg) = crate::common::migrated_before(engine, dir.path(), 20261205000016).await;
    for sql in [
        "INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'Acme', 1), ('o2', 'Globex', 2)",
        "INSERT INTO users (id, org_id, email, display_name, role, created_at) VALUES \
         ('u1', 'o1', 'a@acme.example', 'A', 'admin', 1), ('u2', 'o2', 'b@globex.example', 'B', 'admin', 2)",
        "INSERT INTO portals (id, org_id, name, created_by, created_at) VALUES \
         ('p1', 'o1', 'Panel', 'u1', 1), ('p2', 'o2', 'Globex', 'u2', 2)",
        "INSERT INTO portal_domains (id, org_id, portal_id, domain, challenge, status, created_by, \
         created_at, verified_at, checked_at, suspended_at) VALUES \
         ('d1', 'o1', 'p1', 'share.acme.example', 'c1', 'verified', 'u1', 10, 20, 30, NULL), \
         ('d2', 'o1', 'p1', 'files.acme.example', 'c2', 'pending', 'u1', 11, NULL, NULL, NULL), \
         ('d3', 'o1', 'p1', 'old.acme.example', 'c3', 'suspended', 'u1', 12, 21, 40, 40)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let rows = backend::store::domains::list(db.pool(), "o1")
        .await
        .unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|d| {
            (
                d.id.as_str(),
                d.domain.as_str(),
                d.challenge.as_str(),
                d.status,
                d.verified_at,
                d.checked_at,
                d.suspended_at,
                d.next_check_at,
                d.failing_since,
            )
        })
        .collect();
    let day = 24 * 60 * 60 * 1000;
    assert_eq!(
        got,
        [
            (
                "d2",
                "files.acme.example",
                "c2",
                DomainStatus::Pending,
                None,
                None,
                None,
                None,
                None
            ),
            (
                "d3",
                "old.acme.example",
                "c3",
                DomainStatus::Suspended,
                Some(21),
                Some(40),
                Some(40),
                None,
                None
            ),
            (
                "d1",
                "share.acme.example",
                "c1",
                DomainStatus::Verified,
                Some(20),
                Some(30),
                None,
                Some(30 + day),
                None
            ),
        ]
    );
    // Now a pending name is no one's: Globex may add it too; a verified one stays Acme's.
    sqlx::query(
        "INSERT INTO portal_domains (id, org_id, portal_id, domain, challenge, status, created_by, \
         created_at) VALUES ('d4', 'o2', 'p2', 'files.acme.example', 'c4', 'pending', 'u2', 13)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let taken = sqlx::query(
        "INSERT INTO portal_domains (id, org_id, portal_id, domain, challenge, status, created_by, \
         created_at) VALUES ('d5', 'o2', 'p2', 'share.acme.example', 'c5', 'verified', 'u2', 14)",
    )
    .execute(db.pool())
    .await;
    assert!(taken.is_err(), "a second verified row for one name");
    db.close().await;
    if let Some(name) = pg {
        crate::common::drop_postgres(&name).await;
    }
}

#[tokio::test]
async fn the_domain_checks_migration_keeps_every_domain_sqlite() {
    the_domain_checks_migration_keeps_every_domain(backend::store::Engine::Sqlite).await;
}

#[tokio::test]
async fn the_domain_checks_migration_keeps_every_domain_postgres() {
    the_domain_checks_migration_keeps_every_domain(backend::store::Engine::Postgres).await;
}
