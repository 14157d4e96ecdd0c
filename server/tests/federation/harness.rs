//! A Liaison server on a real socket (IdPs redirect browsers to it), the peers' processes,
//! and a small cookie-keeping HTTP client that follows redirects only when asked.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use backend::blobs::Blobs;
use backend::crypto::Sealer;
use backend::store::Db;
use backend::{Liaison, Settings};
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::{json, Value};
use server::state::AppState;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct App {
    pub base: String,
    pub core: Arc<Liaison>,
    pub key: String,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl App {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let sealer = Sealer::new(&SecretSlice::from(vec![9u8; 32])).unwrap();
        let settings = Settings {
            max_upload_bytes: 1024 * 1024,
            ..Settings::new(url::Url::parse(&base).unwrap())
        };
        let blobs = Blobs::local(&dir.path().join("blobs")).unwrap();
        let core = Arc::new(
            Liaison::builder(db, blobs, sealer, settings)
                .hash_workers(2)
                .single_node(true)
                .allow_private_networks(true)
                .build()
                .await
                .unwrap(),
        );
        let boot = backend::services::bootstrap::bootstrap(&core, "Acme", "admin@liaison.test")
            .await
            .unwrap();
        let state = AppState::new(
            core.clone(),
            leptos::config::LeptosOptions::builder()
                .output_name("liaison")
                .build(),
        );
        let router = server::router::build(state);
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self {
            base,
            core,
            key: boot.api_key.expose_secret().to_owned(),
            _dir: dir,
            server,
        }
    }

    /// An admin REST call; returns (status, JSON body).
    pub async fn rest(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(json!({ "text": text })),
        )
    }

    pub async fn document(&self) -> String {
        let form = reqwest::multipart::Form::new()
            .text("title", "Exhibit")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"the exhibit".to_vec())
                    .file_name("exhibit.txt")
                    .mime_str("text/plain")
                    .unwrap(),
            );
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v1/documents", self.base))
            .bearer_auth(&self.key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201);
        resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A partner owning `partner.test`.
    pub async fn partner(&self) -> String {
        let (s, p) = self
            .rest(
                reqwest::Method::POST,
                "/api/v1/partners",
                Some(json!({ "name": "Partner Agency", "domains": ["partner.test"] })),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        p["id"].as_str().unwrap().to_owned()
    }

    /// A federated share of a new document for `email`; returns (share id, link token).
    pub async fn federated_share(&self, email: &str, any_partner_user: bool) -> (String, String) {
        let doc = self.document().await;
        let (s, share) = self
            .rest(
                reqwest::Method::POST,
                "/api/v1/shares",
                Some(json!({
                    "item": doc,
                    "recipient": { "name": "Ann Partner", "email": email },
                    "method": "federated",
                    "settings": { "federation": { "any_partner_user": any_partner_user } },
                })),
            )
            .await;
        assert_eq!(s, 201, "{share}");
        let url = share["url"].as_str().unwrap();
        let token = url.rsplit('/').next().unwrap().to_owned();
        (share["id"].as_str().unwrap().to_owned(), token)
    }

    /// Audit events of a type, newest last.
    pub async fn audit(&self, event_type: &str) -> Vec<Value> {
        let (s, body) = self
            .rest(
                reqwest::Method::GET,
                &format!("/api/v1/audit?event_type={event_type}&limit=200"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{body}");
        let mut items = body["items"].as_array().cloned().unwrap_or_default();
        items.reverse();
        items
    }

    /// Opens the share through the portal API as the browser with `device`.
    pub async fn open(&self, token: &str, device: &str) -> (u16, Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/portal/session", self.base))
            .json(&json!({ "token": token, "device": device }))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn completed_logins(&self) -> i64 {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM federation_logins WHERE completed_at IS NOT NULL",
        )
        .fetch_one(self.core.db.pool())
        .await
        .unwrap()
    }
}

/// A browser stand-in: keeps cookies per host (reqwest's jar), follows redirects only
/// through [`Client::follow`].
pub struct Client {
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

pub struct Page {
    pub status: u16,
    pub url: String,
    pub location: Option<String>,
    pub body: String,
}

impl Client {
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Self { http, jar }
    }

    pub fn set_cookie(&self, base: &str, cookie: &str) {
        self.jar.add_cookie_str(cookie, &base.parse().unwrap());
    }

    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let url = resp.url().to_string();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .map(|l| resp.url().join(&l).unwrap().to_string());
        Page {
            status,
            url,
            location,
            body: resp.text().await.unwrap(),
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        Self::page(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)], origin: Option<&str>) -> Page {
        let mut req = self.http.post(url).form(form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        Self::page(req.send().await.unwrap()).await
    }

    /// GETs `url` and follows redirects (at most 10).
    pub async fn follow(&self, url: &str) -> Page {
        let mut page = self.get(url).await;
        for _ in 0..10 {
            match (&page.location, page.status) {
                (Some(next), 301..=303 | 307 | 308) => page = self.get(&next.clone()).await,
                _ => return page,
            }
        }
        panic!("too many redirects from {url}");
    }

    pub async fn follow_page(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            match (&page.location, page.status) {
                (Some(next), 301..=303 | 307 | 308) => page = self.get(&next.clone()).await,
                _ => return page,
            }
        }
        panic!("too many redirects");
    }
}

/// The value of the hidden input `name` in an HTML form.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + 7;
    let end = rest[v..].find('"')?;
    Some(unescape(&rest[v..v + end]))
}

pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&#x3D;", "=")
        .replace("&#x2B;", "+")
        .replace("&amp;", "&")
}

/// The `data-reason` of a refusal page.
pub fn reason(page: &Page) -> String {
    let at = page
        .body
        .find("data-reason=\"")
        .unwrap_or_else(|| panic!("not a refusal page ({}): {}", page.status, page.body));
    let rest = &page.body[at + 13..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A fresh device id, as the browser's `liaison_device` cookie holds.
pub fn device_id() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A peer process, killed when dropped.
pub struct Peer {
    /// Killed on drop.
    _child: tokio::process::Child,
    pub base: String,
    pub run: tempfile::TempDir,
}

pub async fn wait_http(url: &str) {
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(url).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

/// SimpleSAMLphp on a free port (end2end/peers/saml-idp/start.sh).
pub async fn simplesamlphp() -> Peer {
    let run = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = tokio::process::Command::new(repo_root().join("end2end/peers/saml-idp/start.sh"))
        .arg(run.path())
        .arg(port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("SimpleSAMLphp (scripts/bootstrap installs it)");
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&format!("{base}/saml2/idp/metadata.php")).await;
    Peer {
        _child: child,
        base,
        run,
    }
}

impl Peer {
    /// SimpleSAMLphp: registers a service provider (read on every request).
    pub fn register_sp(&self, entity_id: &str, acs: &str, cert: &str) {
        let file = self.run.path().join("sps.json");
        let mut sps: Vec<Value> = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        sps.push(json!({ "entity_id": entity_id, "acs": acs, "cert": cert }));
        std::fs::write(file, serde_json::to_string(&sps).unwrap()).unwrap();
    }
}

/// The npm oidc-provider on a free port (end2end/peers/oidc-op/op.mjs).
pub async fn oidc_provider(redirect_uri: &str) -> Peer {
    let run = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = tokio::process::Command::new("node")
        .arg("peers/oidc-op/op.mjs")
        .current_dir(repo_root().join("end2end"))
        .env("OP_PORT", port.to_string())
        .env("OP_CLIENT_ID", "liaison")
        .env("OP_CLIENT_SECRET", "liaison-test-secret")
        .env("OP_REDIRECT_URIS", redirect_uri)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node (scripts/bootstrap installs it)");
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&format!("{base}/.well-known/openid-configuration")).await;
    Peer {
        _child: child,
        base,
        run,
    }
}

/// The target of a page's `<meta http-equiv="refresh">` (the sign-in pages continue so).
pub fn refresh_url(page: &Page) -> String {
    let at = page
        .body
        .find("content=\"0;url=")
        .unwrap_or_else(|| panic!("no refresh ({}): {}", page.status, page.body))
        + 15;
    let rest = &page.body[at..];
    unescape(&rest[..rest.find('"').unwrap()])
}
