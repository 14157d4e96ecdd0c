//! The document register over REST (issue 12, part 3): a new revision leads the register,
//! the share keeps the revision it was made of, and its guest is told a newer one exists.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::TestApp;

#[tokio::test]
async fn a_revision_is_listed_and_the_guest_of_an_older_share_is_told() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let jwt = app.guest_session(&share).await;
    assert!(!revised(&app, &jwt).await);

    let path = format!("/api/v1/documents/{doc}/revisions");
    let r = app
        .upload_to(&path, &app.key, "exhibit-b.txt", b"the exhibit, revised")
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let second = r.json();
    assert_eq!(
        (second["revision"].as_i64(), second["family_id"].as_str()),
        (Some(2), Some(doc.as_str()))
    );
    // The register lists the new revision; the history both.
    let listed = app
        .call(Method::GET, "/api/v1/documents", Some(&app.key), None)
        .await
        .json();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second["id"].as_str().unwrap()]);
    let history = app
        .call(Method::GET, &path, Some(&app.key), None)
        .await
        .json();
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    // The share still shows the first revision, now marked revised for its guest.
    assert!(revised(&app, &jwt).await);
    // The older share still shows its own revision, as pages.
    let r = app
        .call(
            Method::POST,
            &format!("/api/portal/items/{doc}/views"),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // A revision of a document that does not exist: 404, nothing stored.
    let r = app
        .upload_to("/api/v1/documents/nope/revisions", &app.key, "x.txt", b"x")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let listed = app
        .call(Method::GET, "/api/v1/documents", Some(&app.key), None)
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

/// Whether the guest's first item is marked revised.
async fn revised(app: &TestApp, jwt: &str) -> bool {
    let r = app
        .call(Method::GET, "/api/portal/items", Some(jwt), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"][0]["revised"].as_bool().unwrap()
}

/// The console's own upload forms: a document with its number, then a new revision from
/// the document's page; the shares table flags the older share. Without the form's token,
/// or from an auditor, nothing is written and the page says why.
#[tokio::test]
async fn the_console_uploads_a_revision_and_flags_the_older_share() {
    use super::{header, urlencode, Body, Request, ORIGIN};
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let (cookie, csrf) = app.console_session().await;
    let post = |path: String, csrf: Option<&str>, cookie: &str| {
        let boundary = "XyZboundary";
        let mut body = String::new();
        if let Some(token) = csrf {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            ));
        }
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nthe exhibit, second revision\r\n--{boundary}--\r\n"
        ));
        Request::post(path)
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let revisions = || async {
        app.call(
            Method::GET,
            &format!("/api/v1/documents/{doc}/revisions"),
            Some(&app.key),
            None,
        )
        .await
        .json()["items"]
            .as_array()
            .unwrap()
            .len()
    };

    // No token: back to the document's page with the reason; nothing written.
    let path = format!("/console/documents/{doc}/revisions");
    let r = app.send(post(path.clone(), None, &cookie)).await;
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/console/documents/{doc}?error=1")
    );
    // The hydrated page asks for JSON: the same answer, as a location, the flash cookie
    // kept for the page it goes to.
    let mut asked = post(path.clone(), None, &cookie);
    asked
        .headers_mut()
        .insert(header::ACCEPT, "application/json".parse().unwrap());
    let r = app.send(asked).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["location"],
        format!("/console/documents/{doc}?error=1")
    );
    assert!(r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("liaison_flash=")));
    // An auditor may not upload.
    let (auditor, auditor_csrf, _) = app
        .staff_session("auditor@acme.test", backend::domain::Role::Auditor)
        .await;
    let r = app
        .send(post(path.clone(), Some(&auditor_csrf), &auditor))
        .await;
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/console/documents/{doc}?error=1")
    );
    // Not an id: back to the register, never an address made of the input.
    let r = app
        .send(post(
            "/console/documents/..%2Fevil/revisions".into(),
            Some(&csrf),
            &cookie,
        ))
        .await;
    assert_eq!(r.headers[header::LOCATION], "/console/documents?error=1");
    assert_eq!(revisions().await, 1);

    // The revision lands: to its page, announced.
    let r = app.send(post(path, Some(&csrf), &cookie)).await;
    let to = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        to.starts_with("/console/documents/") && to.ends_with("?revised=1"),
        "{to}"
    );
    assert_eq!(revisions().await, 2);
    // The shares table of the document flags the share made of the first revision.
    let r = app
        .send(
            Request::post(super::server_fn_path("list_shares"))
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("document={}", urlencode(&doc))))
                .unwrap(),
        )
        .await;
    let page = r.json();
    assert_eq!(page["items"][0]["id"], share["id"], "{page}");
    assert_eq!(page["items"][0]["revised"], true);

    // A revision keeps its document's number and project: a form naming either is refused
    // by the API, saying which, and nothing is written.
    let boundary = "XyZboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"number\"\r\n\r\nDOC-7\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nthe exhibit, third revision\r\n--{boundary}--\r\n"
    );
    let r = app
        .send(
            Request::post(format!("/api/v1/documents/{doc}/revisions"))
                .header(header::AUTHORIZATION, format!("Bearer {}", app.key))
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "number");
    assert_eq!(revisions().await, 2);
}
