//! The refusal a plain form comes back with travels in the posting browser's own flash
//! cookie, sealed: the page shows the server's message to that browser, once, and a link's
//! `?error=` shows nothing (no one can put words in a console or portal page's mouth).

use super::*;

fn cookie_pair(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn a_forms_refusal_shows_to_its_browser_once_and_a_crafted_one_never() {
    let app = TestApp::new().await;
    let (session, _) = app.console_session().await;
    let page = |path: &str, cookies: &str| {
        app.send(
            Request::get(path)
                .header(header::COOKIE, cookies)
                .body(Body::empty())
                .unwrap(),
        )
    };
    let lure = "Your session has expired. Call +1 555 0100 to restore it.";
    for path in ["/console/documents", "/console/portals", "/portal"] {
        for q in [urlencode(lure), "1".into()] {
            let r = page(&format!("{path}?error={q}"), &session).await;
            assert!(!r.text().contains("555 0100"), "{path}: {}", r.text());
            assert!(!r.text().contains("role=\"alert\""), "{path}?error={q}");
        }
    }

    // A real refusal: the upload form posted without its CSRF token.
    let boundary = "XyZboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nExhibit\r\n--{boundary}--\r\n"
    );
    let r = app
        .send(
            Request::post("/console/documents")
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, &session)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.text());
    assert_eq!(r.headers[header::LOCATION], "/console/documents?error=1");
    let flash = cookie_pair(&r, "liaison_flash").expect("a flash cookie");
    assert!(!flash.contains("expired"), "the message is sealed: {flash}");

    // That browser sees it, once (the page clears the cookie).
    let shown = page("/console/documents?error=1", &format!("{session}; {flash}")).await;
    assert!(
        shown.text().contains("The form has expired"),
        "{}",
        shown.text()
    );
    assert!(shown.text().contains("data-testid=\"upload-error\""));
    assert_eq!(
        cookie_pair(&shown, "liaison_flash").as_deref(),
        Some("liaison_flash=")
    );
    // Another browser (no flash cookie) given the same address sees nothing.
    let other = page("/console/documents?error=1", &session).await;
    assert!(!other.text().contains("The form has expired"));
    // A flash cookie altered by one character shows nothing.
    let mut tampered = flash.into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let r = page(
        "/console/documents?error=1",
        &format!("{session}; {tampered}"),
    )
    .await;
    assert!(!r.text().contains("The form has expired"));
}
