//! The mail outbox against a real SMTP server (aiosmtpd, started by the test), on SQLite
//! and on PostgreSQL: invitations carry the link, codes travel alone, nothing is lost while
//! the server is down, and concurrent workers send each mail once.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::common::Harness;
use backend::actor::{RequestMeta, Staff};
use backend::domain::{Denial, Method, ShareSettings};
use backend::mail::{self, Mailer, SmtpSettings, SmtpTls};
use backend::services::shares::{self, NewShare, Recipient, SharedItem};
use backend::services::{access, auth, bootstrap, documents, outbox, ServiceError};
use backend::store::mail::MailStatus;
use secrecy::{ExposeSecret, SecretString};

both_engines!(
    invitation_and_code_travel_separately_and_survive_an_outage,
    rolled_back_changes_send_nothing,
    concurrent_workers_send_each_mail_once,
    local_outbox_without_smtp,
);

/// A real SMTP server writing one file per message into a Maildir; killed on drop.
struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    fn start(port: u16) -> Self {
        let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {python} -m aiosmtpd ({e}); run scripts/bootstrap")
            });
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "aiosmtpd did not start on port {port}; is it installed? run scripts/bootstrap"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { child, port, dir }
    }

    fn messages(&self) -> Vec<String> {
        let new: PathBuf = self.dir.path().join("maildir").join("new");
        let mut out: Vec<String> = match std::fs::read_dir(&new) {
            Ok(entries) => entries
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect(),
            Err(_) => Vec::new(),
        };
        out.sort();
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp(port: u16) -> Mailer {
    Mailer::smtp(&SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Liaison <no-reply@liaison.test>".into(),
    })
    .unwrap()
}

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.7".parse().unwrap()), Some("mail-test"))
}

async fn org(h: &Harness, name: &str) -> Staff {
    let email = format!("admin@{}.example.org", name.to_lowercase());
    let b = bootstrap::bootstrap(&h.core, name, &email).await.unwrap();
    auth::staff_for_api_key(&h.core, b.api_key.expose_secret(), &Default::default())
        .await
        .unwrap()
}

async fn invitation(h: &Harness, who: &Staff, settings: ShareSettings) -> (String, String) {
    let doc = documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: "Witness statement".into(),
            file_name: "statement.txt".into(),
            bytes: "statement".into(),
        },
        &meta(),
    )
    .await
    .unwrap();
    let c = shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(doc.id),
            recipients: vec![Recipient {
                name: "Jane Counsel".into(),
                email: "jane@lawfirm.example".into(),
            }],
            method: Some(Method::Invitation),
            settings,
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap()
    .remove(0);
    (c.share.id, c.url.expose_secret().to_owned())
}

async fn deliver(h: &Harness, mailer: &Mailer) -> mail::DeliveryStats {
    mail::deliver_due(&h.core.db, &h.core.sealer, mailer, h.core.now_ms(), 100)
        .await
        .unwrap()
}

async fn statuses(h: &Harness) -> Vec<(String, String, i64, Option<String>, bool)> {
    sqlx::query_as::<_, (String, String, i64, Option<String>, Option<Vec<u8>>)>(
        "SELECT kind, status, attempts, last_error, body_sealed FROM mail_outbox ORDER BY created_at, id",
    )
    .fetch_all(h.core.db.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|(k, s, a, e, b)| (k, s, a, e, b.is_some()))
    .collect()
}

async fn invitation_and_code_travel_separately_and_survive_an_outage(h: Harness) {
    let admin = org(&h, "Acme").await;
    let (id, url) = invitation(
        &h,
        &admin,
        ShareSettings {
            instructions: "Review <by> Friday".into(),
            ..Default::default()
        },
    )
    .await;
    let token = url.rsplit('/').next().unwrap().to_owned();

    // The SMTP server is down: nothing is lost, the attempt is recorded, a retry is scheduled.
    let port = free_port();
    let down = smtp(port);
    let stats = deliver(&h, &down).await;
    assert_eq!(stats.retried, 1, "{stats:?}");
    let s = statuses(&h).await;
    assert_eq!(
        (s[0].0.as_str(), s[0].1.as_str(), s[0].2),
        ("invitation", "pending", 1)
    );
    assert!(
        s[0].3.as_deref().unwrap().starts_with("SMTP"),
        "{:?}",
        s[0].3
    );
    // Not due again until the backoff has passed.
    let server = SmtpServer::start(port);
    assert_eq!(
        deliver(&h, &smtp(server.port)).await,
        mail::DeliveryStats::default()
    );
    h.clock.advance(time::Duration::seconds(31));
    assert_eq!(deliver(&h, &smtp(server.port)).await.sent, 1);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let invite = &messages[0];
    assert!(
        invite.contains("Subject: Acme shared \"Witness statement\" with you"),
        "{invite}"
    );
    assert!(invite.contains("Message-ID: <"), "{invite}");
    assert!(
        invite.contains("text/plain") && invite.contains("text/html"),
        "{invite}"
    );
    assert!(
        invite.contains(&token[..20]),
        "the invitation carries the link"
    );
    assert!(invite.contains("TLP:AMBER"));
    assert!(
        invite.contains("&lt;by&gt;"),
        "instructions are escaped in HTML"
    );
    // Delivered: the sealed body is erased.
    assert!(!statuses(&h).await[0].4);

    // Opening asks for a code, sent in a separate mail that does not carry the link.
    let device = access::new_device_id();
    let req = |code: Option<&str>| access::OpenRequest {
        token: token.clone(),
        code: code.map(|c| SecretString::from(c.to_owned())),
        device: SecretString::from(device.expose_secret().to_owned()),
        ..Default::default()
    };
    assert!(
        access::landing(&h.core, &token, None, &meta())
            .await
            .unwrap()
            .needs_code
    );
    assert!(matches!(
        access::open(&h.core, req(None), &meta()).await,
        Err(ServiceError::Denied(Denial::CodeRequired))
    ));
    // A second open within a minute does not send another code.
    assert!(matches!(
        access::open(&h.core, req(None), &meta()).await,
        Err(ServiceError::Denied(Denial::CodeRequired))
    ));
    assert_eq!(deliver(&h, &smtp(server.port)).await.sent, 1);
    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    let code_mail = messages
        .iter()
        .find(|m| m.contains("Subject: Your verification code"))
        .unwrap();
    assert!(
        !code_mail.contains(&token[..20]),
        "the code mail does not carry the link"
    );
    let code: String = crate::common::mailed_code(code_mail);
    assert!(matches!(
        access::open(&h.core, req(Some("00000000")), &meta()).await,
        Err(ServiceError::Denied(Denial::WrongCode))
    ));
    access::open(&h.core, req(Some(&code)), &meta())
        .await
        .unwrap();
    // Single use: the same code from another browser fails.
    let other = access::OpenRequest {
        device: access::new_device_id(),
        ..req(Some(&code))
    };
    assert!(matches!(
        access::open(&h.core, other, &meta()).await,
        Err(ServiceError::Denied(Denial::WrongCode))
    ));
    // The code is stored only as a PBKDF2 hash.
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT code_hash FROM verification_codes WHERE share_id = $1")
            .bind(&id)
            .fetch_all(h.core.db.pool())
            .await
            .unwrap();
    assert!(hashes
        .iter()
        .all(|c| c.starts_with("pbkdf2-sha256$600000$") && !c.contains(&code)));

    // Re-sending the invitation sends the same link again.
    shares::resend_invitation(&h.core, &admin, &id, &meta())
        .await
        .unwrap();
    assert_eq!(deliver(&h, &smtp(server.port)).await.sent, 1);
    let resent = server
        .messages()
        .into_iter()
        .filter(|m| m.contains("shared \"Witness statement\""))
        .count();
    assert_eq!(resent, 2);
    assert!(
        server
            .messages()
            .iter()
            .filter(|m| m.contains(&token[..20]))
            .count()
            == 2
    );
}

async fn rolled_back_changes_send_nothing(h: Harness) {
    let admin = org(&h, "Acme").await;
    let mut tx = h.core.db.begin().await.unwrap();
    mail::enqueue(
        &mut tx,
        &h.core.sealer,
        "liaison.test",
        h.core.now_ms(),
        mail::Draft {
            org_id: &admin.org_id,
            kind: "test",
            share_id: None,
            to_address: "x@example.org",
            to_name: "X",
            mail: mail::templates::verification_code("Acme", None, "X", "12345678", 10),
        },
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(statuses(&h).await.is_empty());
    // A failed share creation (bad input) queues no invitation either.
    let before = statuses(&h).await.len();
    let bad = shares::create(
        &h.core,
        &admin,
        NewShare {
            item: SharedItem::Document("nope".into()),
            recipients: vec![Recipient {
                name: "J".into(),
                email: "j@example.org".into(),
            }],
            method: Some(Method::Invitation),
            ..Default::default()
        },
        &meta(),
    )
    .await;
    assert!(bad.is_err());
    assert_eq!(statuses(&h).await.len(), before);
}

async fn concurrent_workers_send_each_mail_once(h: Harness) {
    let admin = org(&h, "Acme").await;
    let mut tx = h.core.db.begin().await.unwrap();
    for n in 0..20 {
        mail::enqueue(
            &mut tx,
            &h.core.sealer,
            "liaison.test",
            h.core.now_ms(),
            mail::Draft {
                org_id: &admin.org_id,
                kind: "test",
                share_id: None,
                to_address: "x@example.org",
                to_name: &format!("Reader {n}"),
                mail: mail::templates::revocation_notice(
                    "Acme",
                    None,
                    &format!("Reader {n}"),
                    "Doc",
                ),
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let server = SmtpServer::start(free_port());
    let (m1, m2) = (smtp(server.port), smtp(server.port));
    // Both workers see the same due list and race for each lease.
    let (a, b) = tokio::join!(deliver(&h, &m1), deliver(&h, &m2));
    assert_eq!(a.sent + b.sent, 20, "{a:?} {b:?}");
    assert_eq!(server.messages().len(), 20);
    assert!(statuses(&h).await.iter().all(|s| s.1 == "sent" && s.2 == 1));
}

async fn local_outbox_without_smtp(h: Harness) {
    let admin = org(&h, "Acme").await;
    let (id, _) = invitation(
        &h,
        &admin,
        ShareSettings {
            notify_recipient_on_revoke: true,
            ..Default::default()
        },
    )
    .await;
    shares::revoke(&h.core, &admin, &id, &meta()).await.unwrap();
    assert_eq!(deliver(&h, &Mailer::Local).await.local, 2);
    let mails = outbox::list(&h.core, &admin, 50).await.unwrap();
    assert_eq!(
        mails.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
        ["revocation", "invitation"]
    );
    assert!(mails[0]
        .body_text
        .as_deref()
        .unwrap()
        .contains("withdrawn your access"));
    assert!(mails.iter().all(|m| m.status == MailStatus::Local));
    // Another organisation sees none of it.
    let other = org(&h, "Globex").await;
    assert!(outbox::list(&h.core, &other, 50).await.unwrap().is_empty());
}
