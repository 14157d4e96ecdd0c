//! The "allowed countries" rule against a real MaxMind-format database, built by the test
//! with PyPI's `mmdb-writer` (installed by scripts/bootstrap): loopback ranges are given
//! countries so the rule is testable on 127.0.0.0/8 and IPv6 documentation addresses.

use std::path::{Path, PathBuf};

use backend::actor::RequestMeta;
use backend::domain::{Denial, ShareSettings};
use backend::geo::Geo;
use backend::services::shares::{self, NewShare, Recipient, SharedItem};
use backend::services::{access, auth, bootstrap, documents, ServiceError};
use backend::store::Engine;
use secrecy::ExposeSecret;

/// 127.0.0.0/24 → DE, 127.0.1.0/24 → US, 2001:db8::/32 → KP.
fn build_database(dir: &Path) -> PathBuf {
    let path = dir.join("country.mmdb");
    let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!(
        r#"
from mmdb_writer import MMDBWriter
from netaddr import IPSet
w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type='GeoIP2-Country', languages=['en'], description='Liaison test')
w.insert_network(IPSet(['127.0.0.0/24']), {{'country': {{'iso_code': 'DE'}}}})
w.insert_network(IPSet(['127.0.1.0/24']), {{'country': {{'iso_code': 'US'}}}})
w.insert_network(IPSet(['2001:db8::/32']), {{'country': {{'iso_code': 'KP'}}}})
w.to_db_file({:?})
"#,
        path.display().to_string()
    );
    let out = std::process::Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}); run scripts/bootstrap"));
    assert!(
        out.status.success(),
        "building the test GeoIP database failed (is mmdb-writer installed? run scripts/bootstrap): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn lookups_by_country() {
    let dir = tempfile::tempdir().unwrap();
    let geo = Geo::open(&build_database(dir.path())).unwrap();
    let c = |ip: &str| geo.country(ip.parse().unwrap());
    assert_eq!(c("127.0.0.9").as_deref(), Some("DE"));
    assert_eq!(c("127.0.1.9").as_deref(), Some("US"));
    assert_eq!(
        c("::ffff:127.0.0.9").as_deref(),
        Some("DE"),
        "v4-mapped IPv6"
    );
    assert_eq!(c("2001:db8::1").as_deref(), Some("KP"));
    assert_eq!(c("10.0.0.1"), None);
    let missing = Geo::open(&dir.path().join("nope.mmdb"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("cannot open the GeoIP database"),
        "{missing}"
    );
}

async fn country_rule(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let db = build_database(dir.path());
    crate::common::run_with_geo(engine, Some(db), |h| async move {
        // Own the whole harness here (its temporary folder holds the SQLite file).
        let h = h;
        let meta = |ip: &str| RequestMeta::new(Some(ip.parse().unwrap()), Some("geo-test"));
        let b = bootstrap::bootstrap(&h.core, "Acme", "admin@acme.example.org")
            .await
            .unwrap();
        let admin =
            auth::staff_for_api_key(&h.core, b.api_key.expose_secret(), &Default::default())
                .await
                .unwrap();
        let doc = documents::upload(
            &h.core,
            &admin,
            documents::Upload {
                title: "Dossier".into(),
                file_name: "d.txt".into(),
                bytes: "d".into(),
            },
            &meta("127.0.0.1"),
        )
        .await
        .unwrap();
        let c = shares::create(
            &h.core,
            &admin,
            NewShare {
                item: SharedItem::Document(doc.id),
                recipients: vec![Recipient {
                    name: "Jane".into(),
                    email: "jane@lawfirm.example".into(),
                }],
                settings: ShareSettings {
                    allowed_countries: vec!["de".into()],
                    ..Default::default()
                },
                ..Default::default()
            },
            &meta("127.0.0.1"),
        )
        .await
        .unwrap()
        .remove(0);
        assert_eq!(c.share.settings.allowed_countries, ["DE"]);
        let token = c.url.expose_secret().rsplit('/').next().unwrap().to_owned();
        let open = |ip: &'static str| {
            let core = h.core.clone();
            let token = token.clone();
            async move {
                access::open(
                    &core,
                    access::OpenRequest {
                        token,
                        device: access::new_device_id(),
                        ..Default::default()
                    },
                    &meta(ip),
                )
                .await
            }
        };
        for ip in ["127.0.1.5", "2001:db8::5", "10.1.1.1"] {
            assert!(
                matches!(
                    open(ip).await,
                    Err(ServiceError::Denied(Denial::NotAllowedFromHere))
                ),
                "{ip} must be refused"
            );
        }
        open("127.0.0.5").await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn country_rule_sqlite() {
    country_rule(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn country_rule_postgres() {
    country_rule(Engine::Postgres).await;
}
