//! End-to-end encrypted secrets (issue 14, points 4–5) on both engines. The tests play the
//! browser with the same format (AES-256-GCM; the link-key proof is SHA-256 of a label and
//! the key; an access code's key and proof come from PBKDF2), and check what the server
//! keeps: ciphertext only, gone after the last view, a revocation or the expiry.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use backend::actor::{RequestMeta, Staff};
use backend::domain::secrets::{Delivery, SecretKind, SecretState};
use backend::domain::{Denial, Role, Tlp};
use backend::services::audit_log::{self, AuditFilter};
use backend::services::secrets::{self, reveal, NewSecret};
use backend::services::ServiceError;
use backend::store::Engine;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::{Digest, Sha256};

use crate::common::{local_mail, org_admin, Harness};

both_engines!(
    a_link_key_secret_is_ciphertext_until_its_one_view_burns_it,
    an_access_code_secret_opens_only_with_the_code_and_locks_after_ten_misses,
    two_concurrent_opens_of_a_view_once_secret_have_exactly_one_winner,
    the_policy_and_bad_input_are_refused_with_nothing_written,
    revocation_and_expiry_delete_the_ciphertext,
    a_mailed_secret_link_holds_no_key_and_no_code,
    secrets_never_cross_organisations,
    a_tightened_policy_a_portal_domain_or_a_bad_proof_open_nothing,
);

const PLAINTEXT: &str = "CANARY-SECRET-7f3a hunter2";

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.77".parse().unwrap()), Some("test-agent"))
}

/// What the test's "browser" made: the request, and what only the recipient may hold.
struct Sealed {
    new: NewSecret,
    key: Vec<u8>,
    proof: Vec<u8>,
}

/// The browser's envelope for a text kind: no name, the content's length, the content,
/// zeros to 1 KiB.
fn envelope(content: &[u8]) -> Vec<u8> {
    let mut out = 0u32.to_be_bytes().to_vec();
    out.extend_from_slice(&(content.len() as u32).to_be_bytes());
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(1024) * 1024, 0);
    out
}

/// The content of an envelope.
fn content(envelope: &[u8]) -> &[u8] {
    let len = u32::from_be_bytes(envelope[4..8].try_into().unwrap()) as usize;
    &envelope[8..8 + len]
}

fn encrypt(key: &[u8], nonce: &[u8], plaintext: &[u8]) -> Vec<u8> {
    Aes256Gcm::new_from_slice(key)
        .unwrap()
        .encrypt(
            &Nonce::from(<[u8; 12]>::try_from(nonce).unwrap()),
            plaintext,
        )
        .unwrap()
}

fn decrypt(key: &[u8], nonce_and_ciphertext: &[u8]) -> Vec<u8> {
    let (nonce, ciphertext) = nonce_and_ciphertext.split_at(12);
    Aes256Gcm::new_from_slice(key)
        .unwrap()
        .decrypt(
            &Nonce::from(<[u8; 12]>::try_from(nonce).unwrap()),
            ciphertext,
        )
        .expect("the recipient's key opens the ciphertext")
}

fn link_key_proof(key: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"liaison-secret-proof:");
    h.update(key);
    h.finalize().to_vec()
}

/// The browser's derivation from an access code (fewer iterations than a browser runs:
/// the server only ever sees the proof, whatever made it).
fn from_code(code: &str, salt: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut bits = backend::crypto::kdf::derive(code.as_bytes(), salt, 1_000, 64);
    let proof = bits.split_off(32);
    (bits, proof)
}

fn sealed(delivery: Delivery, tlp: Tlp, max_views: i64, code: &str) -> Sealed {
    let nonce = vec![7u8; 12];
    let (key, proof, salt) = match delivery {
        Delivery::LinkKey => {
            let key: Vec<u8> = (0u8..32).collect();
            let proof = link_key_proof(&key);
            (key, proof, None)
        }
        Delivery::AccessCode => {
            let salt = vec![9u8; 16];
            let (key, proof) = from_code(code, &salt);
            (key, proof, Some(salt))
        }
    };
    let ciphertext = encrypt(&key, &nonce, &envelope(PLAINTEXT.as_bytes()));
    Sealed {
        new: NewSecret {
            kind: SecretKind::Password,
            label: "Wi-Fi for the audit room".into(),
            tlp,
            delivery,
            recipient_email: None,
            expires_in_minutes: 60,
            max_views,
            ciphertext,
            nonce,
            salt,
            proof: SecretSlice::from(proof.clone()),
        },
        key,
        proof,
    }
}

fn proof(bytes: &[u8]) -> SecretSlice<u8> {
    SecretSlice::from(bytes.to_vec())
}

/// The token of a link `…/secret/{token}`.
fn token_of(link: &str) -> String {
    link.rsplit_once("/secret/").unwrap().1.to_owned()
}

/// Every byte the database holds, as text: the SQLite file and its WAL, or every row of
/// every table as JSON on PostgreSQL.
async fn everything_stored(h: &Harness) -> String {
    match h.core.db.engine() {
        Engine::Sqlite => {
            let pool = h.core.db.pool();
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await
                .unwrap();
            let mut all = Vec::new();
            for suffix in ["", "-wal"] {
                if let Ok(bytes) = std::fs::read(format!("{}{suffix}", h.sqlite_path())) {
                    all.extend(bytes);
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        Engine::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(h.core.db.pool())
            .await
            .unwrap();
            let mut all = String::new();
            for t in tables {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM \"{t}\" t"))
                        .fetch_all(h.core.db.pool())
                        .await
                        .unwrap();
                all.push_str(&rows.join("\n"));
            }
            all
        }
    }
}

async fn events(h: &Harness, who: &Staff, kind: &str) -> Vec<serde_json::Value> {
    audit_log::list(
        &h.core,
        who,
        AuditFilter {
            event_type: Some(kind.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|e| serde_json::to_value(e).unwrap())
    .collect()
}

async fn a_link_key_secret_is_ciphertext_until_its_one_view_burns_it(h: Harness) {
    let admin = org_admin(&h, "Ministry").await;
    let s = sealed(Delivery::LinkKey, Tlp::Green, 1, "");
    let (view, link) = secrets::create(&h.core, &admin, s.new, &meta())
        .await
        .unwrap();
    assert_eq!(view.state, SecretState::Active);
    let token = token_of(link.expose_secret());

    // The server holds no plaintext and no key, anywhere.
    let stored = everything_stored(&h).await;
    assert!(
        stored.contains("Wi-Fi for the audit room"),
        "the search reads what is stored"
    );
    assert!(!stored.contains("CANARY-SECRET"), "plaintext stored");
    let key_b64 = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &s.key);
    assert!(!stored.contains(&key_b64), "key stored");

    // The page may be loaded any number of times: it takes no view.
    for _ in 0..3 {
        let o = reveal::overview(&h.core, &token, &meta()).await.unwrap();
        assert_eq!(
            (o.state, o.views_left, o.salt),
            (SecretState::Active, 1, None)
        );
    }
    // A damaged link (wrong key) names nothing and takes nothing.
    let wrong = reveal::open(&h.core, &token, proof(&[0u8; 32]), &meta()).await;
    assert!(matches!(
        wrong,
        Err(ServiceError::Denied(Denial::UnknownToken))
    ));

    let opened = reveal::open(&h.core, &token, proof(&s.proof), &meta())
        .await
        .unwrap();
    assert_eq!(opened.views_left, 0);
    let plain = decrypt(&s.key, &opened.nonce_and_ciphertext);
    assert_eq!(content(&plain), PLAINTEXT.as_bytes());

    // Burned: the ciphertext is gone, the page says so, a second reveal is refused.
    let o = reveal::overview(&h.core, &token, &meta()).await.unwrap();
    assert_eq!(o.state, SecretState::Burned);
    let again = reveal::open(&h.core, &token, proof(&s.proof), &meta()).await;
    assert!(matches!(
        again,
        Err(ServiceError::Denied(Denial::SecretGone))
    ));
    let left: Option<Vec<u8>> = sqlx::query_scalar("SELECT ciphertext FROM secrets")
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert_eq!(left, None, "the ciphertext went with the last view");

    // Audited: created, viewed, burned, one failed attempt — none holding key or content.
    for kind in [
        "secret.created",
        "secret.viewed",
        "secret.burned",
        "secret.attempt_failed",
    ] {
        let e = events(&h, &admin, kind).await;
        assert_eq!(e.len(), 1, "{kind}");
        let text = e[0].to_string();
        assert!(
            !text.contains("CANARY") && !text.contains(&key_b64),
            "{kind}: {text}"
        );
    }
    // An unknown or malformed token says nothing about any secret.
    for bad in ["", "x", &token.replace(|c: char| c.is_ascii_digit(), "A")] {
        if bad == token {
            continue;
        }
        assert!(matches!(
            reveal::overview(&h.core, bad, &meta()).await,
            Err(ServiceError::Denied(Denial::UnknownToken))
        ));
    }
}

async fn an_access_code_secret_opens_only_with_the_code_and_locks_after_ten_misses(h: Harness) {
    let admin = org_admin(&h, "Ministry").await;
    let code = "ABCDE-FGHJK-MNPQR-STVWX";
    let s = sealed(Delivery::AccessCode, Tlp::Amber, 3, code);
    let (_, link) = secrets::create(&h.core, &admin, s.new, &meta())
        .await
        .unwrap();
    let token = token_of(link.expose_secret());
    let o = reveal::overview(&h.core, &token, &meta()).await.unwrap();
    assert_eq!(o.delivery, Delivery::AccessCode);
    let salt = o.salt.expect("the page gets the salt");
    assert!(
        !everything_stored(&h).await.contains(code),
        "the code is stored"
    );

    // The right code opens it; a view is taken.
    let (key, right) = from_code(code, &salt);
    let opened = reveal::open(&h.core, &token, proof(&right), &meta())
        .await
        .unwrap();
    assert_eq!(opened.views_left, 2);
    assert_eq!(
        content(&decrypt(&key, &opened.nonce_and_ciphertext)),
        PLAINTEXT.as_bytes()
    );

    // Nine wrong codes are each refused as wrong; the tenth locks the secret, and then even
    // the right code waits (the lockout holds whoever asks from wherever).
    for i in 0..10 {
        let (_, wrong) = from_code(&format!("WRONG-{i}"), &salt);
        let e = reveal::open(&h.core, &token, proof(&wrong), &meta())
            .await
            .err()
            .unwrap();
        let expected = if i < 9 {
            Denial::WrongAccessCode
        } else {
            Denial::TooManyAttempts
        };
        assert!(
            matches!(e, ServiceError::Denied(d) if d == expected),
            "attempt {i}: {e:?}"
        );
    }
    let elsewhere = RequestMeta::new(Some("198.51.100.9".parse().unwrap()), None);
    let locked = reveal::open(&h.core, &token, proof(&right), &elsewhere).await;
    assert!(matches!(
        locked,
        Err(ServiceError::Denied(Denial::TooManyAttempts))
    ));
    // No view was taken by any of it.
    assert_eq!(
        reveal::overview(&h.core, &token, &meta())
            .await
            .unwrap()
            .views_left,
        2
    );
    let failures = events(&h, &admin, "secret.attempt_failed").await;
    assert_eq!(
        failures.len(),
        11,
        "ten wrong codes and the refusal while locked"
    );
    assert!(!failures.iter().any(|e| e.to_string().contains("WRONG")));

    // After the lockout the right code works again.
    h.clock.advance(time::Duration::minutes(16));
    reveal::open(&h.core, &token, proof(&right), &meta())
        .await
        .unwrap();
}

async fn two_concurrent_opens_of_a_view_once_secret_have_exactly_one_winner(h: Harness) {
    let admin = org_admin(&h, "Ministry").await;
    for round in 0..3 {
        let s = sealed(Delivery::LinkKey, Tlp::Green, 1, "");
        let (_, link) = secrets::create(&h.core, &admin, s.new, &meta())
            .await
            .unwrap();
        let token = token_of(link.expose_secret());
        let opens = (0..4).map(|_| {
            let (core, token, p) = (h.core.clone(), token.clone(), s.proof.clone());
            tokio::spawn(async move { reveal::open(&core, &token, proof(&p), &meta()).await })
        });
        let results: Vec<_> = futures::future::join_all(opens)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {} winners", winners);
        for r in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                matches!(r, ServiceError::Denied(Denial::SecretGone)),
                "{r:?}"
            );
        }
    }
    assert_eq!(events(&h, &admin, "secret.viewed").await.len(), 3);
}

async fn the_policy_and_bad_input_are_refused_with_nothing_written(h: Harness) {
    let admin = org_admin(&h, "Ministry").await;
    let field = |r: Result<_, ServiceError>| match r {
        Err(ServiceError::Invalid { field, .. }) => field,
        Err(e) => panic!("refused otherwise: {e:?}"),
        Ok(_) => panic!("accepted"),
    };
    let try_with = |edit: &dyn Fn(&mut NewSecret)| {
        let mut s = sealed(Delivery::LinkKey, Tlp::Green, 1, "").new;
        edit(&mut s);
        s
    };
    let cases: Vec<(NewSecret, &str)> = vec![
        (try_with(&|s| s.tlp = Tlp::Amber), "delivery"),
        (
            try_with(&|s| s.expires_in_minutes = 7 * 24 * 60 + 1),
            "expires_in_minutes",
        ),
        (try_with(&|s| s.max_views = 0), "max_views"),
        (try_with(&|s| s.nonce = vec![1; 8]), "nonce"),
        (
            try_with(&|s| s.proof = SecretSlice::from(vec![1u8; 5])),
            "proof",
        ),
        (try_with(&|s| s.salt = Some(vec![1; 16])), "salt"),
        (try_with(&|s| s.ciphertext = vec![1; 3]), "ciphertext"),
        (try_with(&|s| s.label = " ".into()), "label"),
        (
            try_with(&|s| s.recipient_email = Some("counsel@firm.example".into())),
            "delivery",
        ),
        (
            try_with(&|s| s.recipient_email = Some("not an address".into())),
            "recipient_email",
        ),
    ];
    for (new, expected) in cases {
        assert_eq!(
            field(secrets::create(&h.core, &admin, new, &meta()).await),
            expected
        );
    }
    let mut code_without_salt = sealed(Delivery::AccessCode, Tlp::Red, 1, "A").new;
    code_without_salt.salt = None;
    assert_eq!(
        field(secrets::create(&h.core, &admin, code_without_salt, &meta()).await),
        "salt"
    );
    // Over the kind's limit: 413, whatever the rest says.
    let mut big = sealed(Delivery::LinkKey, Tlp::Green, 1, "").new;
    big.ciphertext = vec![0; SecretKind::Password.max_ciphertext() + 1];
    assert!(matches!(
        secrets::create(&h.core, &admin, big, &meta()).await,
        Err(ServiceError::PayloadTooLarge { .. })
    ));
    // An auditor reads; it sends nothing.
    let mut auditor = admin.clone();
    auditor.role = Role::Auditor;
    let s = sealed(Delivery::LinkKey, Tlp::Green, 1, "").new;
    assert!(matches!(
        secrets::create(&h.core, &auditor, s, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(secrets::list(&h.core, &admin, None)
        .await
        .unwrap()
        .is_empty());
    assert!(events(&h, &admin, "secret.created").await.is_empty());
}

async fn revocation_and_expiry_delete_the_ciphertext(h: Harness) {
    let admin = org_admin(&h, "Ministry").await;
    let s = sealed(Delivery::LinkKey, Tlp::Green, 5, "");
    let p = s.proof.clone();
    let (view, link) = secrets::create(&h.core, &admin, s.new, &meta())
        .await
        .unwrap();
    let token = token_of(link.expose_secret());
    reveal::open(&h.core, &token, proof(&p), &meta())
        .await
        .unwrap();
    let revoked = secrets::revoke(&h.core, &admin, &view.id, &meta())
        .await
        .unwrap();
    assert_eq!((revoked.state, revoked.views), (SecretState::Revoked, 1));
    assert!(matches!(
        reveal::open(&h.core, &token, proof(&p), &meta()).await,
        Err(ServiceError::Denied(Denial::Revoked))
    ));
    assert!(matches!(
        secrets::revoke(&h.core, &admin, &view.id, &meta()).await,
        Err(ServiceError::Conflict(_))
    ));

    // Expiry: the sweeper ends one; the recipient's own request ends another first.
    let a = sealed(Delivery::LinkKey, Tlp::Green, 5, "");
    let (pa, pb) = (a.proof.clone(), a.proof.clone());
    let (_, link_a) = secrets::create(&h.core, &admin, a.new, &meta())
        .await
        .unwrap();
    let b = sealed(Delivery::LinkKey, Tlp::Green, 5, "");
    let (_, link_b) = secrets::create(&h.core, &admin, b.new, &meta())
        .await
        .unwrap();
    h.clock.advance(time::Duration::minutes(61));
    assert!(matches!(
        reveal::open(
            &h.core,
            &token_of(link_b.expose_secret()),
            proof(&pb),
            &meta()
        )
        .await,
        Err(ServiceError::Denied(Denial::Expired))
    ));
    assert_eq!(
        secrets::sweep(&h.core, 100).await.unwrap(),
        1,
        "only the one not yet ended"
    );
    assert!(matches!(
        reveal::open(
            &h.core,
            &token_of(link_a.expose_secret()),
            proof(&pa),
            &meta()
        )
        .await,
        Err(ServiceError::Denied(Denial::Expired))
    ));
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets WHERE ciphertext IS NOT NULL")
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert_eq!(kept, 0);
    assert_eq!(events(&h, &admin, "secret.expired").await.len(), 2);
    assert_eq!(events(&h, &admin, "secret.revoked").await.len(), 1);
}

async fn a_mailed_secret_link_holds_no_key_and_no_code(h: Harness) {
    let admin = org_admin(&h, "Ministry").await;
    let code = "ABCDE-FGHJK-MNPQR-STVWX";
    let mut s = sealed(Delivery::AccessCode, Tlp::Red, 1, code);
    s.new.recipient_email = Some("Counsel@Firm.example".into());
    let (view, link) = secrets::create(&h.core, &admin, s.new, &meta())
        .await
        .unwrap();
    assert_eq!(
        view.recipient_email.as_deref(),
        Some("counsel@firm.example")
    );
    let mail = local_mail(&h, &admin, "counsel@firm.example", "sent you a password").await;
    assert!(mail.contains(link.expose_secret()), "{mail}");
    assert!(mail.contains("TLP:RED") && mail.contains("access code"));
    assert!(!mail.contains(code) && !mail.contains("CANARY"));
}

async fn secrets_never_cross_organisations(h: Harness) {
    let ours = org_admin(&h, "Ministry").await;
    let theirs = org_admin(&h, "Agency").await;
    let s = sealed(Delivery::LinkKey, Tlp::Green, 1, "");
    let (view, _) = secrets::create(&h.core, &ours, s.new, &meta())
        .await
        .unwrap();
    assert!(matches!(
        secrets::get(&h.core, &theirs, &view.id).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        secrets::revoke(&h.core, &theirs, &view.id, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(secrets::list(&h.core, &theirs, None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(secrets::list(&h.core, &ours, None).await.unwrap().len(), 1);
}

async fn a_tightened_policy_a_portal_domain_or_a_bad_proof_open_nothing(h: Harness) {
    use backend::actor::{PortalSite, Site};
    use backend::domain::RevokedLink;
    let admin = org_admin(&h, "Ministry").await;
    let s = sealed(Delivery::LinkKey, Tlp::Green, 3, "");
    let p = s.proof.clone();
    let (view, link) = secrets::create(&h.core, &admin, s.new, &meta())
        .await
        .unwrap();
    let token = token_of(link.expose_secret());

    // A malformed proof is refused before any attempt is counted or view taken.
    for _ in 0..20 {
        assert!(matches!(
            reveal::open(&h.core, &token, proof(&[1; 7]), &meta()).await,
            Err(ServiceError::Invalid { field: "proof", .. })
        ));
    }
    // A portal's domain serves no secret, not even its page.
    let portal = meta().on(Site::Portal(PortalSite {
        org_id: admin.org_id.clone(),
        portal_id: "p".into(),
        domain: "portal.example.org".into(),
    }));
    assert!(matches!(
        reveal::overview(&h.core, &token, &portal).await,
        Err(ServiceError::Denied(Denial::UnknownToken))
    ));
    assert!(matches!(
        reveal::open(&h.core, &token, proof(&p), &portal).await,
        Err(ServiceError::Denied(Denial::UnknownToken))
    ));

    // The organisation now requires codes from CLEAR on: the key-in-link secret closes at
    // its next reveal, and opens again when the policy allows it again.
    let mut policy = backend::services::policy::get(&h.core, &admin)
        .await
        .unwrap();
    let before = policy.clone();
    policy.secrets.code_required_from = Tlp::Clear;
    backend::services::policy::set(&h.core, &admin, policy, &meta())
        .await
        .unwrap();
    for r in [
        reveal::overview(&h.core, &token, &meta()).await.map(|_| ()),
        reveal::open(&h.core, &token, proof(&p), &meta())
            .await
            .map(|_| ()),
    ] {
        assert!(
            matches!(r, Err(ServiceError::Denied(Denial::PolicyForbids))),
            "{r:?}"
        );
    }
    backend::services::policy::set(&h.core, &admin, before.clone(), &meta())
        .await
        .unwrap();
    assert_eq!(
        reveal::open(&h.core, &token, proof(&p), &meta())
            .await
            .unwrap()
            .views_left,
        2
    );

    // Revoked, where the policy says a revoked link shows nothing: unknown.
    secrets::revoke(&h.core, &admin, &view.id, &meta())
        .await
        .unwrap();
    assert_eq!(
        reveal::overview(&h.core, &token, &meta())
            .await
            .unwrap()
            .state,
        SecretState::Revoked
    );
    let mut hiding = before;
    hiding.revoked_link = RevokedLink::NotFound;
    backend::services::policy::set(&h.core, &admin, hiding, &meta())
        .await
        .unwrap();
    assert!(matches!(
        reveal::overview(&h.core, &token, &meta()).await,
        Err(ServiceError::Denied(Denial::UnknownToken))
    ));
    assert!(matches!(
        reveal::open(&h.core, &token, proof(&p), &meta()).await,
        Err(ServiceError::Denied(Denial::UnknownToken))
    ));
}
