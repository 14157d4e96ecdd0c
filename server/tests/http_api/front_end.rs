//! The front end as the server hands it out (issue 11, part 10): each page loads its own
//! bundle (a guest's never names the console's), files named by their content's hash are
//! cached for good and sent precompressed to browsers that take brotli or gzip.

use super::*;

const CSS: &str = "liaison.0123456789abcdef.css";
const CONSOLE_JS: &str = "console.1111111111111111.js";
const CONSOLE_WASM: &str = "console.2222222222222222.wasm";
const LANDING_JS: &str = "landing.5555555555555555.js";
const LANDING_WASM: &str = "landing.6666666666666666.wasm";
const SECRET_JS: &str = "secret.7777777777777777.js";
const SECRET_WASM: &str = "secret.8888888888888888.wasm";
const PORTAL_JS: &str = "portal.3333333333333333.js";
const PORTAL_WASM: &str = "portal.4444444444444444.wasm";

/// A built site under the test's temporary folder, and a router serving it.
fn site(app: &TestApp) -> Router {
    let root = app._dir.path().join("built-site");
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let manifest = json!({
        "profile": "release", "css": CSS,
        "console": { "js": CONSOLE_JS, "wasm": CONSOLE_WASM },
        "landing": { "js": LANDING_JS, "wasm": LANDING_WASM },
        "secret": { "js": SECRET_JS, "wasm": SECRET_WASM },
        "portal": { "js": PORTAL_JS, "wasm": PORTAL_WASM },
    });
    std::fs::write(pkg.join("manifest.json"), manifest.to_string()).unwrap();
    for name in [
        CSS,
        CONSOLE_JS,
        CONSOLE_WASM,
        LANDING_JS,
        LANDING_WASM,
        SECRET_JS,
        SECRET_WASM,
        PORTAL_JS,
        PORTAL_WASM,
    ] {
        std::fs::write(pkg.join(name), format!("raw {name}")).unwrap();
    }
    std::fs::write(pkg.join(format!("{PORTAL_WASM}.br")), "brotli").unwrap();
    std::fs::write(pkg.join(format!("{PORTAL_WASM}.gz")), "gzip").unwrap();
    std::fs::write(pkg.join("favicon.svg"), "<svg/>").unwrap();
    let state = AppState::new(
        app.core.clone(),
        leptos::config::LeptosOptions::builder()
            .output_name("liaison")
            .site_root(root.display().to_string())
            .build(),
    );
    server::router::build(state)
}

async fn get(router: &Router, path: &str, accept_encoding: Option<&str>) -> Reply {
    let mut req = Request::get(path);
    if let Some(enc) = accept_encoding {
        req = req.header(header::ACCEPT_ENCODING, enc);
    }
    reply(router, req.body(Body::empty()).unwrap()).await
}

/// The shell is chosen by path; the rule agrees with the routes each app declares.
#[test]
fn the_shell_follows_the_app_that_owns_the_route() {
    let sample = |path: &str| path.replace(":token", "AAAA").replace(":id", "1");
    // The server's own lists: generating one here would stall pages other tests render.
    let routes = server::router::app_routes();
    assert_eq!(routes.len(), 4);
    for (bundle, routes) in routes {
        assert!(!routes.is_empty(), "{bundle:?}");
        for r in routes {
            assert_eq!(
                app::Bundle::for_path(&sample(r.path())),
                *bundle,
                "{}",
                r.path()
            );
        }
    }
}

/// Each page names its own app's bundle and no other: a guest's pages never the
/// console's, a link's landing page not even the portal's, a secret's page only its own.
#[tokio::test]
async fn each_page_loads_its_own_bundle_and_guests_never_the_consoles() {
    let app = TestApp::new().await;
    let router = site(&app);
    let doc = app.document().await;
    let token = token_of(&app.share(&doc, json!({})).await);
    let all = [
        CONSOLE_JS,
        CONSOLE_WASM,
        LANDING_JS,
        LANDING_WASM,
        SECRET_JS,
        SECRET_WASM,
        PORTAL_JS,
        PORTAL_WASM,
    ];
    for (path, own) in [
        (format!("/s/{token}"), [LANDING_JS, LANDING_WASM]),
        ("/secret/AAAA".into(), [SECRET_JS, SECRET_WASM]),
        ("/portal".into(), [PORTAL_JS, PORTAL_WASM]),
        ("/portal/home".into(), [PORTAL_JS, PORTAL_WASM]),
        ("/login".into(), [CONSOLE_JS, CONSOLE_WASM]),
    ] {
        // (The portal's pages answer 401 without a session, and say so.)
        let html = get(&router, &path, None).await.text();
        assert!(html.contains(&format!("/pkg/{CSS}")), "{path}: {html}");
        for name in all {
            assert_eq!(
                html.contains(&format!("/pkg/{name}")),
                own.contains(&name),
                "{path}: {name} in {html}"
            );
        }
    }
}

#[tokio::test]
async fn hashed_files_are_cached_for_good_and_sent_precompressed() {
    let app = TestApp::new().await;
    let router = site(&app);
    let path = format!("/pkg/{PORTAL_WASM}");

    for (accept, body, encoding) in [
        (Some("gzip, deflate, br"), "brotli", Some("br")),
        (Some("gzip"), "gzip", Some("gzip")),
        (None, "raw portal.4444444444444444.wasm", None),
    ] {
        let r = get(&router, &path, accept).await;
        assert_eq!(r.status, StatusCode::OK, "{accept:?}");
        assert_eq!(r.text(), body, "{accept:?}");
        assert_eq!(
            r.headers
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(
            r.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert!(
            r.headers[header::VARY]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "caches must keep the encodings apart"
        );
    }
    // A file without copies is sent as it is, still for good.
    let r = get(&router, &format!("/pkg/{CSS}"), Some("br")).await;
    assert_eq!(r.text(), format!("raw {CSS}"));
    assert_eq!(
        r.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    // Files whose names do not change with their content: five minutes.
    for name in ["favicon.svg", "manifest.json"] {
        let r = get(&router, &format!("/pkg/{name}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{name}");
        assert_eq!(
            r.headers[header::CACHE_CONTROL],
            "public, max-age=300",
            "{name}"
        );
    }
    // A miss is never cached.
    let r = get(&router, "/pkg/portal.5555555555555555.wasm", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
}
