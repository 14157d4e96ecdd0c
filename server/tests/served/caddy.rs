//! A custom portal domain end to end, with real peers (issue 11, parts 2–4): Liaison
//! verifies the domain against a real DNS server (dnsmasq), Debian's Caddy sits in front
//! with on-demand TLS (`tls internal`) asking Liaison's `ask` endpoint, and `curl
//! --resolve` gets a certificate and the branded portal for the verified name — and no
//! certificate for a name that was added but never verified. On SQLite and PostgreSQL.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::dnsmasq::Dnsmasq;
use crate::node::{free_port, json_call, Node, TestDb};

const VERIFIED: &str = "share.agency.example";
const UNVERIFIED: &str = "pending.agency.example";
const BRAND: &str = "Agency Evidence Room";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_serves_a_verified_domain_only_sqlite() {
    story(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_serves_a_verified_domain_only_postgres() {
    story(Some(TestDb::create().await)).await;
}

async fn story(db: Option<TestDb>) {
    let data = tempfile::tempdir().unwrap();
    let dns_port = free_port();
    let tls_port = free_port();
    let mut node = Node::start(
        db.as_ref(),
        data.path(),
        &[
            ("LIAISON_DNS_RESOLVER", format!("127.0.0.1:{dns_port}")),
            ("LIAISON_CUSTOM_DOMAIN_PORT", tls_port.to_string()),
            ("LIAISON_TRUSTED_PROXIES", "127.0.0.1/32".to_owned()),
        ],
    )
    .await;
    let key = node.api_key().await;
    node.wait_healthy().await;
    let api = |method: &'static str, path: String, body: Value| {
        let key = key.clone();
        let port = node.port;
        async move { json_call(port, method, &path, &key, body).await }
    };

    // An admin brands a portal and adds two names; only one gets its TXT record.
    let (status, portal) = api(
        "POST",
        "/api/v1/portals".into(),
        json!({ "name": "Evidence" }),
    )
    .await;
    assert_eq!(status, 201, "{portal}");
    let portal = portal["id"].as_str().unwrap().to_owned();
    let (status, b) = api(
        "PUT",
        format!("/api/v1/portals/{portal}/branding"),
        json!({ "display_name": BRAND, "primary": "#1d4ed8", "accent": "#b45309",
                "background": "#ffffff", "disclaimer": "For **authorised** reviewers only.",
                "support_contact": "help@agency.example", "footer_links": [] }),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let mut domains = Vec::new();
    for name in [VERIFIED, UNVERIFIED] {
        let (status, d) = api(
            "POST",
            format!("/api/v1/portals/{portal}/domains"),
            json!({ "domain": name }),
        )
        .await;
        assert_eq!(status, 201, "{d}");
        assert_eq!(d["txt_name"], format!("_liaison-challenge.{name}"));
        domains.push(d);
    }
    let record = (
        domains[0]["txt_name"].as_str().unwrap().to_owned(),
        domains[0]["txt_value"].as_str().unwrap().to_owned(),
    );
    let _dns = Dnsmasq::start(dns_port, &[record]).await;
    let (status, v) = api(
        "POST",
        format!(
            "/api/v1/domains/{}/verify",
            domains[0]["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (200, Some("verified")),
        "{v}"
    );
    let (status, v) = api(
        "POST",
        format!(
            "/api/v1/domains/{}/verify",
            domains[1]["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    assert_eq!(status, 422, "{v}");

    // A document shared through the portal: its link is on the verified domain.
    let (status, doc) = crate::node::upload_text(node.port, &key, "memo.txt", b"the memo").await;
    assert_eq!(status, 201, "{doc}");
    let (status, share) = api(
        "POST",
        "/api/v1/shares".into(),
        json!({ "item": doc["id"], "portal_id": portal, "require_acknowledgement": true,
                "recipient": { "name": "Jane Counsel", "email": "jane@lawfirm.example" } }),
    )
    .await;
    assert_eq!(status, 201, "{share}");
    let link = share["url"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("https://{VERIFIED}:{tls_port}/s/")),
        "{link}"
    );

    // Caddy in front, with certificates from its own CA on demand.
    let caddy = Caddy::start(data.path(), tls_port, node.port).await;

    // The verified name: a certificate that chains to Caddy's CA, and the branded landing.
    let (code, page) = curl(&caddy, VERIFIED, &link).await;
    assert_eq!(code, Some(200), "{page}");
    assert!(page.contains(BRAND), "{page}");
    assert!(
        page.contains("<strong>authorised</strong>"),
        "the portal's disclaimer: {page}"
    );
    // The console is not there, whatever the path.
    let (code, page) = curl(
        &caddy,
        VERIFIED,
        &format!("https://{VERIFIED}:{tls_port}/console"),
    )
    .await;
    assert_eq!(code, Some(404));
    assert!(page.contains(BRAND) && !page.contains("Sign in"), "{page}");

    // The name that was never verified gets no certificate at all.
    let (code, err) = curl(
        &caddy,
        UNVERIFIED,
        &format!("https://{UNVERIFIED}:{tls_port}/s/x"),
    )
    .await;
    assert_eq!(
        code, None,
        "a certificate was issued for an unverified name: {err}"
    );
    // Nor does a name that is no portal's.
    let (code, _) = curl(
        &caddy,
        "stranger.example",
        &format!("https://stranger.example:{tls_port}/"),
    )
    .await;
    assert_eq!(code, None);
    drop(caddy);
    drop(node);
}

/// Debian's Caddy on `tls_port`, issuing certificates from its local CA on demand for the
/// names Liaison's `ask` endpoint allows, proxying to Liaison on `upstream`.
struct Caddy {
    child: Child,
    port: u16,
    root_ca: std::path::PathBuf,
}

impl Caddy {
    async fn start(dir: &Path, tls_port: u16, upstream: u16) -> Caddy {
        let storage = dir.join("caddy");
        let config = dir.join("Caddyfile");
        std::fs::write(
            &config,
            format!(
                "{{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\thttp_port {http}\n\thttps_port {tls_port}\n\
                 \tlocal_certs\n\tskip_install_trust\n\tstorage file_system {{\n\t\troot {storage}\n\t}}\n\
                 \ton_demand_tls {{\n\t\task http://127.0.0.1:{upstream}/internal/tls/ask\n\t}}\n}}\n\n\
                 https:// {{\n\ttls {{\n\t\ton_demand\n\t}}\n\treverse_proxy 127.0.0.1:{upstream}\n}}\n",
                http = free_port(),
                storage = storage.display(),
            ),
        )
        .unwrap();
        let child = Command::new(
            ["/usr/bin/caddy", "/usr/local/bin/caddy"]
                .into_iter()
                .find(|p| Path::new(p).exists())
                .expect("caddy (Debian's caddy; scripts/bootstrap installs it)"),
        )
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&config)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start caddy");
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", tls_port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "caddy did not listen on {tls_port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Caddy {
            child,
            port: tls_port,
            root_ca: storage.join("pki/authorities/local/root.crt"),
        }
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// `curl --resolve name:port:127.0.0.1 --cacert <Caddy's root>`: the HTTP status and
/// body, or `None` and curl's error when no TLS connection was made.
async fn curl(caddy: &Caddy, name: &str, url: &str) -> (Option<u16>, String) {
    // Caddy writes its CA when it first needs it; wait for the file (a handshake for a
    // name it refuses does not create it, so do not rely on one).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !caddy.root_ca.exists() {
        assert!(
            Instant::now() < deadline,
            "caddy wrote no root CA at {}",
            caddy.root_ca.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20"])
        .arg("--resolve")
        .arg(format!("{name}:{}:127.0.0.1", caddy.port))
        .arg("--cacert")
        .arg(&caddy.root_ca)
        .args(["--write-out", "\n%{http_code}"])
        .arg(url)
        .output()
        .await
        .expect("curl");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return (None, String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let (body, code) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    (code.trim().parse().ok(), body.to_owned())
}
