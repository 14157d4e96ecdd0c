//! The refusal a plain form comes back with travels sealed in `?error=`: the page shows
//! the server's own message, and a crafted link's `?error=` shows nothing (no one can put
//! words in a console or portal page's mouth).

use super::*;

#[tokio::test]
async fn a_forms_refusal_shows_and_a_crafted_one_does_not() {
    let app = TestApp::new().await;
    let (cookie, _) = app.console_session().await;
    let page = |path: String| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            app.send(
                Request::get(path)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let lure = "Your session has expired. Call +1 555 0100 to restore it.";
    for path in ["/console/documents", "/console/portals", "/portal"] {
        let r = page(format!("{path}?error={}", urlencode(lure))).await;
        assert!(!r.text().contains("555 0100"), "{path}: {}", r.text());
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
                .header(header::COOKIE, &cookie)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.text());
    let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/console/documents?error="),
        "{location}"
    );
    assert!(
        !location.contains("expired"),
        "the message is sealed: {location}"
    );
    let shown = page(location.clone()).await.text();
    assert!(shown.contains("The form has expired"), "{shown}");
    assert!(shown.contains("data-testid=\"upload-error\""), "{shown}");

    // A sealed refusal altered by one character shows nothing.
    let mut tampered = location.into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let shown = page(String::from_utf8(tampered).unwrap()).await.text();
    assert!(!shown.contains("The form has expired"), "{shown}");
}
