//! Host routing (issue 11, part 3): a portal's verified domain serves that portal's guests
//! and nothing else; links are made on it; sessions issued there are good there only; an
//! unknown host gets the public URL; the console never answers on a custom domain.

use super::*;

const ACME_DOMAIN: &str = "share.acme.example";
const GLOBEX_DOMAIN: &str = "files.globex.example";

/// A portal of the key's organisation named `name`, branded `brand`, with `domain` added
/// and marked verified (verification itself is tested against a real DNS server in the
/// backend's custom_domains tests and the Caddy test). Returns (portal id, domain id).
async fn portal_on(
    app: &TestApp,
    key: &str,
    name: &str,
    brand: &str,
    domain: &str,
) -> (String, String) {
    let r = app
        .call(
            Method::POST,
            "/api/v1/portals",
            Some(key),
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let portal = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/portals/{portal}/branding"),
            Some(key),
            Some(
                json!({ "display_name": brand, "primary": "", "accent": "", "background": "",
                         "disclaimer": "", "support_contact": "", "footer_links": [] }),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/portals/{portal}/domains"),
            Some(key),
            Some(json!({ "domain": domain })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    set_domain_status(app, &id, backend::store::domains::DomainStatus::Verified).await;
    (portal, id)
}

/// Acme's "Evidence" portal, branded "Acme Evidence Room", on share.acme.example.
async fn acme_evidence_room(app: &TestApp) -> (String, String) {
    portal_on(app, &app.key, "Evidence", "Acme Evidence Room", ACME_DOMAIN).await
}

/// A request addressed to `host` (as its Host header), with `origin` as its Origin.
fn to_host(
    method: Method,
    host: &str,
    path: &str,
    origin: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, host);
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

/// Opens `token` on `host` (from that site's own origin) and returns the portal JWT.
async fn session_on(app: &TestApp, host: &str, token: &str) -> String {
    let r = app
        .send(to_host(
            Method::POST,
            host,
            "/api/portal/session",
            Some(&format!("https://{host}")),
            Some(json!({ "token": token })),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_owned()
}

fn bearer(mut req: Request<Body>, jwt: &str) -> Request<Body> {
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {jwt}").parse().unwrap(),
    );
    req
}

#[tokio::test]
async fn a_custom_domain_serves_its_own_portal_only() {
    let app = TestApp::new().await;
    let (acme_portal, acme_domain) = acme_evidence_room(&app).await;
    let (globex_portal, _) =
        portal_on(&app, &app.other_key, "Files", "Globex Files", GLOBEX_DOMAIN).await;
    let doc = app.document().await;

    // Links are made on the share's portal's domain, at creation and when copied again.
    let share = app.share(&doc, json!({ "portal_id": acme_portal })).await;
    let token = token_of(&share);
    let link = format!("https://{ACME_DOMAIN}/s/{token}");
    assert_eq!(share["url"], link);
    let id = share["id"].as_str().unwrap();
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{id}/link"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.json()["url"], link, "{}", r.text());
    // A share of the default portal (no domain) stays on the public URL.
    let plain = app.share(&doc, json!({})).await;
    assert!(plain["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{ORIGIN}/s/")));

    // On its domain the link lands in Acme's brand.
    let r = app
        .send(to_host(
            Method::GET,
            ACME_DOMAIN,
            &format!("/s/{token}"),
            None,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("Acme Evidence Room"));
    assert!(
        r.text().contains("type=\"application/wasm\""),
        "the guest's pages are hydrated (the control for the static 404 below)"
    );
    // Served over https only: pinned, without claiming the customer's subdomains.
    assert_eq!(
        r.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=63072000"
    );

    // On Globex's domain it does not exist: a 404 in Globex's brand, nothing of Acme, and
    // nothing written to Acme's audit log.
    let (_, _, events_before) = app.counts().await;
    let r = app
        .send(to_host(
            Method::GET,
            GLOBEX_DOMAIN,
            &format!("/s/{token}"),
            None,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let page = r.text();
    assert!(page.contains("Globex Files"), "{page}");
    assert!(!page.contains("Acme"), "{page}");
    assert!(!page.contains(&acme_portal), "{page}");
    // Nor does Acme's other share (of another portal of Acme's) on Acme's domain.
    let r = app
        .send(to_host(
            Method::GET,
            ACME_DOMAIN,
            &format!("/s/{}", token_of(&plain)),
            None,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.counts().await.2, events_before);
    // Not even a session on the wrong domain.
    let r = app
        .send(to_host(
            Method::POST,
            GLOBEX_DOMAIN,
            "/api/portal/session",
            Some(&format!("https://{GLOBEX_DOMAIN}")),
            Some(json!({ "token": token })),
        ))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "unknown_token"),
        "{}",
        r.text()
    );

    // A session opened on Acme's domain is bound to it: aud = its origin.
    let jwt = session_on(&app, ACME_DOMAIN, &token).await;
    // The renewed cookie of a session on the domain is Secure (the domain is https only),
    // though this installation's public URL is http.
    let mut renew = to_host(
        Method::POST,
        ACME_DOMAIN,
        "/api/portal/session/renew",
        Some(&format!("https://{ACME_DOMAIN}")),
        None,
    );
    renew.headers_mut().insert(
        header::COOKIE,
        format!("__Host-liaison_portal={jwt}").parse().unwrap(),
    );
    let r = app.send(renew).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    // `__Host-`: the browser takes it only from this very host, so a sibling subdomain of
    // the customer's domain cannot plant a session of its own choosing here.
    assert!(
        cookie.starts_with("__Host-liaison_portal=")
            && cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("Path=/")
            && !cookie.contains("Domain"),
        "{cookie}"
    );
    // A cookie without the prefix — what a sibling subdomain could set with
    // `Domain=acme.example` — is not read on the domain.
    let mut tossed = to_host(
        Method::POST,
        ACME_DOMAIN,
        "/api/portal/session/renew",
        Some(&format!("https://{ACME_DOMAIN}")),
        None,
    );
    tossed.headers_mut().insert(
        header::COOKIE,
        format!("liaison_portal={jwt}").parse().unwrap(),
    );
    assert_eq!(app.send(tossed).await.status, StatusCode::UNAUTHORIZED);
    let claims: Value =
        serde_json::from_slice(&B64URL.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["aud"], format!("https://{ACME_DOMAIN}"));
    assert_eq!(claims["iss"], ORIGIN);
    let items = |host: &'static str| {
        bearer(
            to_host(Method::GET, host, "/api/portal/items", None, None),
            &jwt,
        )
    };
    assert_eq!(app.send(items(ACME_DOMAIN)).await.status, StatusCode::OK);
    for host in ["127.0.0.1:3000", GLOBEX_DOMAIN] {
        let r = app.send(items(host)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{host}: {}", r.text());
        assert!(r.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("invalid_token"));
    }
    // And one opened on the public URL is not good on the domain.
    let r = app
        .call(
            Method::POST,
            "/api/portal/session",
            None,
            Some(json!({ "token": token })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let public_jwt = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = app
        .send(bearer(
            to_host(Method::GET, ACME_DOMAIN, "/api/portal/items", None, None),
            &public_jwt,
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Writes with cookies are taken only from the site's own origin.
    for origin in [
        ORIGIN.to_owned(),
        format!("https://{GLOBEX_DOMAIN}"),
        format!("http://{ACME_DOMAIN}"),
    ] {
        let mut req = to_host(
            Method::POST,
            ACME_DOMAIN,
            "/api/portal/session",
            Some(&origin),
            Some(json!({ "token": token })),
        );
        req.headers_mut()
            .insert(header::COOKIE, "__Host-liaison_device=x".parse().unwrap());
        let r = app.send(req).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::FORBIDDEN, "cross_origin_request"),
            "{origin}"
        );
    }

    // Another portal's brand assets are not served under Acme's domain.
    let r = app
        .send(to_host(
            Method::GET,
            ACME_DOMAIN,
            &format!("/brand/{globex_portal}/theme-0.css"),
            None,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.text().contains("Acme Evidence Room"),
        "the 404 is the site's own"
    );

    // A suspended domain is no site: its links go back to the public URL.
    set_domain_status(
        &app,
        &acme_domain,
        backend::store::domains::DomainStatus::Suspended,
    )
    .await;
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{id}/link"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.json()["url"], format!("{ORIGIN}/s/{token}"));
    let r = app
        .send(to_host(
            Method::GET,
            ACME_DOMAIN,
            &format!("/s/{token}"),
            None,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
}

/// Marks a domain verified or suspended in the store, as a verification or a re-check
/// would, and has this node forget what it remembered about the name.
async fn set_domain_status(app: &TestApp, id: &str, status: backend::store::domains::DomainStatus) {
    use backend::store::domains::{self, DomainStatus};
    let pool = app.core.db.pool();
    let (org, name) = sqlx::query_as::<_, (String, String)>(
        "SELECT org_id, domain FROM portal_domains WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    let now = app.core.now_ms();
    let changed = match status {
        DomainStatus::Verified => domains::mark_verified(pool, &org, id, now, now + 86_400_000)
            .await
            .unwrap(),
        DomainStatus::Suspended => domains::suspend(pool, id, now).await.unwrap(),
        DomainStatus::Pending => unreachable!("a domain is never made pending again"),
    };
    assert!(changed, "{id} -> {status:?}");
    backend::services::sites::forget(&app.core, &name);
}

#[tokio::test]
async fn a_custom_domain_never_serves_the_console_or_admin_api() {
    let app = TestApp::new().await;
    acme_evidence_room(&app).await;
    for path in [
        "/console",
        "/console/shares/new",
        "/login",
        "/console/audit/export",
        "/auth/staff/x",
    ] {
        let r = app
            .send(to_host(Method::GET, ACME_DOMAIN, path, None, None))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        let page = r.text();
        assert!(
            page.contains("Page not found") && page.contains("Acme Evidence Room"),
            "{path}: {page}"
        );
        assert!(!page.contains("Sign in"), "{path}");
        assert!(!page.contains(".wasm"), "{path}: the 404 is not hydrated");
    }
    // The admin API, even with a good key, and console server functions.
    let r = app
        .send(bearer(
            to_host(Method::GET, ACME_DOMAIN, "/api/v1/shares", None, None),
            &app.key,
        ))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    // Every server function that is not the guest's (/api/guest/…) is missing there — the
    // console's, sign-in's — and the guest's answer (each its own way, never 404).
    let mut console = 0;
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let r = app
            .send(to_host(
                Method::POST,
                ACME_DOMAIN,
                path,
                Some(&format!("https://{ACME_DOMAIN}")),
                None,
            ))
            .await;
        if path.starts_with("/api/guest/") {
            assert_ne!(r.status, StatusCode::NOT_FOUND, "{path}");
        } else {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            console += 1;
        }
    }
    assert!(
        console >= 30,
        "only {console} console server functions tried"
    );
    // The front page is the guest's portal.
    let r = app
        .send(to_host(Method::GET, ACME_DOMAIN, "/", None, None))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/portal");
    assert_eq!(
        r.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=63072000"
    );
    // Without a session it asks for the link, in the portal's brand.
    let r = app
        .send(to_host(Method::GET, ACME_DOMAIN, "/portal", None, None))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("Acme Evidence Room"));
    // The installation's own host still serves the console.
    let r = app
        .send(to_host(Method::GET, "127.0.0.1:3000", "/login", None, None))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_hosts_get_the_public_url_and_forged_hosts_are_ignored() {
    let app = TestApp::new().await;
    let (acme_portal, _) = acme_evidence_room(&app).await;
    let doc = app.document().await;
    let token = token_of(&app.share(&doc, json!({ "portal_id": acme_portal })).await);

    // An unknown name, a verified name on another port, an address, junk: the same path
    // on the public URL (never a tenant's brand), and 421 for writes.
    for host in [
        "evil.example",
        "share.acme.example:8443",
        "127.0.0.1:3001",
        "localhost:3000",
        "a b",
        "user@share.acme.example",
    ] {
        let r = app
            .send(to_host(
                Method::GET,
                host,
                &format!("/s/{token}?x=1"),
                None,
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{host}");
        assert_eq!(
            r.headers[header::LOCATION],
            format!("{ORIGIN}/s/{token}?x=1"),
            "{host}"
        );
        assert!(!r.text().contains("Acme"));
        let r = app
            .send(to_host(
                Method::POST,
                host,
                "/api/portal/session",
                None,
                Some(json!({ "token": token })),
            ))
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::MISDIRECTED_REQUEST, "unknown_host"),
            "{host}"
        );
    }
    // Health answers on any host (load balancers ask by address).
    let r = app
        .send(to_host(
            Method::GET,
            "10.0.0.5:3000",
            "/healthz",
            None,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Letter case and a trailing dot name the same site: sent to its canonical origin.
    let r = app
        .send(to_host(
            Method::GET,
            "SHARE.Acme.Example.",
            &format!("/s/{token}"),
            None,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        r.headers[header::LOCATION],
        format!("https://{ACME_DOMAIN}/s/{token}")
    );
    assert_eq!(
        r.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=63072000"
    );
    // No host that is not ours is pinned.
    let r = app
        .send(to_host(Method::GET, "evil.example", "/", None, None))
        .await;
    assert!(r.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    // X-Forwarded-Host from a peer that is not a trusted proxy is ignored: this stays the
    // installation's host, where the console answers.
    let mut req = to_host(Method::GET, "127.0.0.1:3000", "/login", None, None);
    req.headers_mut()
        .insert("x-forwarded-host", ACME_DOMAIN.parse().unwrap());
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("Acme Evidence Room"));
}

#[tokio::test]
async fn a_foreign_link_on_a_portal_domain_counts_nothing_and_writes_nothing() {
    let app = TestApp::new().await;
    let (acme_portal, _) = acme_evidence_room(&app).await;
    portal_on(&app, &app.other_key, "Files", "Globex Files", GLOBEX_DOMAIN).await;
    let doc = app.document().await;
    let share = app
        .share(
            &doc,
            json!({ "portal_id": acme_portal, "password": "correct horse battery" }),
        )
        .await;
    let token = token_of(&share);
    let attempts = || async {
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(SUM(failures), 0) FROM attempt_counters")
            .fetch_one(app.core.db.pool())
            .await
            .unwrap()
    };
    let wrong = |host: &'static str| {
        to_host(
            Method::POST,
            host,
            "/api/portal/session",
            Some(&format!("https://{host}")),
            Some(json!({ "token": token, "password": "wrong guess here" })),
        )
    };
    // A wrong password on Globex's domain: an unknown link, no attempt counted against
    // Acme's share, nothing in any audit log.
    let (before_attempts, (_, _, before_events)) = (attempts().await, app.counts().await);
    let r = app.send(wrong(GLOBEX_DOMAIN)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "unknown_token"),
        "{}",
        r.text()
    );
    assert!(!r.text().contains("Acme"), "{}", r.text());
    assert_eq!(attempts().await, before_attempts);
    assert_eq!(app.counts().await.2, before_events);
    // The control: the same guess on Acme's own domain is counted and audited.
    let r = app.send(wrong(ACME_DOMAIN)).await;
    assert!(
        r.status.is_client_error() && r.status != StatusCode::NOT_FOUND,
        "{}",
        r.text()
    );
    assert!(attempts().await > before_attempts);
    assert!(app.counts().await.2 > before_events);
}

#[tokio::test]
async fn a_session_does_not_follow_its_domain_to_another_portal() {
    let app = TestApp::new().await;
    let (acme_portal, acme_domain) = acme_evidence_room(&app).await;
    let doc = app.document().await;
    let token = token_of(&app.share(&doc, json!({ "portal_id": acme_portal })).await);
    let jwt = session_on(&app, ACME_DOMAIN, &token).await;
    let items = || {
        bearer(
            to_host(Method::GET, ACME_DOMAIN, "/api/portal/items", None, None),
            &jwt,
        )
    };
    assert_eq!(app.send(items()).await.status, StatusCode::OK);
    // The name moves to another of Acme's portals: the session's audience still matches
    // the origin, but its share is no longer this site's, so it is refused.
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/domains/{acme_domain}"),
            Some(&app.key),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    portal_on(&app, &app.key, "Board", "Acme Board Room", ACME_DOMAIN).await;
    let r = app.send(items()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
}
