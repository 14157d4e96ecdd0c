//! Custom portal domains against a real DNS server (Debian's dnsmasq, started per test
//! with the TXT records the test needs): add, verify, the daily re-check that suspends a
//! domain whose record is gone (audited, admins mailed), one portal per name, and every
//! unsafe name refused with nothing written — on SQLite and on PostgreSQL.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{org_admin, Harness};
use backend::actor::RequestMeta;
use backend::services::portals::{self, domains};
use backend::services::{audit_log, ServiceError};
use backend::store::domains::DomainStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_are_verified_rechecked_and_suspended_sqlite() {
    with_dns(backend::store::Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_are_verified_rechecked_and_suspended_postgres() {
    with_dns(backend::store::Engine::Postgres).await;
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

/// A dnsmasq answering for `.example` only: the given TXT records, NXDOMAIN for the rest.
struct Dnsmasq(Child);

impl Dnsmasq {
    async fn start(port: u16, records: &[(String, String)]) -> Self {
        let mut cmd = Command::new(
            ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
                .into_iter()
                .find(|p| std::path::Path::new(p).exists())
                .expect("dnsmasq (Debian's dnsmasq-base; scripts/bootstrap installs it)"),
        );
        cmd.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--local=/example/",
            "--pid-file=",
            "--user=root",
        ])
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        for (name, value) in records {
            cmd.arg(format!("--txt-record={name},{value}"));
        }
        // Owned by the guard at once, so it is killed and reaped however this ends.
        let guard = Dnsmasq(cmd.spawn().expect("start dnsmasq"));
        // Ready when it accepts TCP on its port.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return guard;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("dnsmasq did not start on port {port}");
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
    assert!(!domains::is_served(&h.core, "share.agency.example")
        .await
        .unwrap());

    // One name, one portal: not again, not by another organisation.
    let other = org_admin(&h, "Other").await;
    let other_portal = portals::create(&h.core, &other, "Theirs", &meta())
        .await
        .unwrap();
    match domains::add(
        &h.core,
        &other,
        &other_portal.id,
        "share.agency.example",
        &meta(),
    )
    .await
    {
        Err(ServiceError::Conflict(m)) => {
            assert!(!m.contains("Agency") && !m.contains("Evidence"), "{m}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
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
        ],
    )
    .await;
    let v = domains::verify(&h.core, &admin, &d.id, &meta())
        .await
        .unwrap();
    assert_eq!(v.status, DomainStatus::Verified);
    assert!(v.verified_at.is_some());
    assert!(domains::is_served(&h.core, "SHARE.agency.example.")
        .await
        .unwrap());

    // The daily re-check: not due yet; due after a day, the record still there: verified.
    assert_eq!(domains::recheck_due(&h.core, 50).await.unwrap(), 0);
    h.clock.advance(time::Duration::hours(25));
    assert_eq!(domains::recheck_due(&h.core, 50).await.unwrap(), 0);
    assert_eq!(
        domains::list(&h.core, &admin).await.unwrap()[0].status,
        DomainStatus::Verified
    );
    drop(dns);

    // A day later the record is gone: suspended, audited, every admin mailed.
    let dns = Dnsmasq::start(port, &[]).await;
    h.clock.advance(time::Duration::hours(25));
    assert_eq!(domains::recheck_due(&h.core, 50).await.unwrap(), 1);
    let now = domains::list(&h.core, &admin).await.unwrap();
    assert_eq!(now[0].status, DomainStatus::Suspended);
    assert!(!domains::is_served(&h.core, "share.agency.example")
        .await
        .unwrap());
    let events = audit_log::list(
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
    assert!(events
        .iter()
        .any(|e| e.details["action"] == "domain_suspended"
            && e.details["domain"] == "share.agency.example"));
    let mail: Vec<(String, String)> = sqlx::query_as(
        "SELECT to_address, subject FROM mail_outbox WHERE kind = 'domain_suspended'",
    )
    .fetch_all(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(
        mail,
        vec![(
            "admin@agency.example.org".to_owned(),
            "share.agency.example is suspended".to_owned()
        )]
    );
    drop(dns);

    // A DNS server that does not answer proves nothing: nothing is suspended for it.
    let d2 = domains::add(&h.core, &admin, &portal.id, "files.agency.example", &meta())
        .await
        .unwrap();
    let dns = Dnsmasq::start(port, &[(d2.txt_name.clone(), d2.txt_value.clone())]).await;
    domains::verify(&h.core, &admin, &d2.id, &meta())
        .await
        .unwrap();
    drop(dns);
    h.clock.advance(time::Duration::hours(25));
    assert!(matches!(
        domains::verify(&h.core, &admin, &d2.id, &meta()).await,
        Err(ServiceError::Unavailable(_))
    ));
    assert_eq!(domains::recheck_due(&h.core, 50).await.unwrap(), 0);
    assert!(domains::is_served(&h.core, "files.agency.example")
        .await
        .unwrap());

    // Removing a domain stops it being served.
    domains::remove(&h.core, &admin, &d2.id, &meta())
        .await
        .unwrap();
    assert!(!domains::is_served(&h.core, "files.agency.example")
        .await
        .unwrap());
}
