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
    let r = app
        .call(
            Method::GET,
            &format!("/api/portal/items/{doc}/content"),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, b"the exhibit");
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
