//! Staff download what reviewers send back (issue 12, part 5): saved, never rendered —
//! `attachment`, `nosniff`, a sandboxing CSP — audited, over REST and from the console.

use axum::http::{header, Method, StatusCode};
use serde_json::json;

use super::{Body, Request, TestApp};

#[tokio::test]
async fn a_reviewers_attachment_is_downloaded_as_a_file_and_audited() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app
        .share(&doc, json!({ "settings": { "permission": "edit" } }))
        .await;
    let share_id = share["id"].as_str().unwrap().to_owned();
    let jwt = app.guest_session(&share).await;
    // Declared as HTML by the guest's browser; stored as what it is (HTML itself is
    // refused at upload).
    let lure = "Reviewed: clause 4 needs both parties' signatures.\n";
    const B: &str = "liaison-test-boundary";
    let body = format!(
        "--{B}\r\nContent-Disposition: form-data; name=\"decision\"\r\n\r\napprove\r\n\
         --{B}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"notes \\\"final\\\".txt\"\r\n\
         Content-Type: text/html\r\n\r\n{lure}\r\n--{B}--\r\n"
    );
    let r = app
        .send(
            Request::post("/api/portal/responses")
                .header(header::AUTHORIZATION, format!("Bearer {jwt}"))
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={B}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.text());
    let responses = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{share_id}/responses"),
            Some(&app.key),
            None,
        )
        .await
        .json();
    let attachment = responses["items"][0]["attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/shares/{share_id}/attachments/{attachment}");

    let saved = |r: &super::Reply| {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.body, lure.as_bytes());
        let h = |name: header::HeaderName| r.headers[name].to_str().unwrap().to_owned();
        assert!(
            h(header::CONTENT_TYPE).starts_with("text/plain"),
            "sniffed, not declared"
        );
        assert!(h(header::CONTENT_DISPOSITION)
            .starts_with("attachment; filename=\"notes _final_.txt\""));
        assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(h(header::CONTENT_SECURITY_POLICY).contains("sandbox"));
        assert_eq!(h(header::CACHE_CONTROL), "no-store");
    };
    saved(&app.call(Method::GET, &path, Some(&app.key), None).await);
    // The console's link, with the session cookie.
    let (cookie, _) = app.console_session().await;
    let console = format!("/console/share/{share_id}/attachments/{attachment}");
    let r = app
        .send(
            Request::get(&console)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    saved(&r);
    // Without a session, nothing.
    let r = app
        .send(Request::get(&console).body(Body::empty()).unwrap())
        .await;
    assert_ne!(r.status, StatusCode::OK);
    assert_ne!(r.body, lure.as_bytes());
    // Through another share's path: not found.
    let other = app.share(&doc, json!({})).await;
    let r = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/shares/{}/attachments/{attachment}",
                other["id"].as_str().unwrap()
            ),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Each download is in the audit log.
    let audit = app
        .call(
            Method::GET,
            "/api/v1/audit?event_type=share.attachment_downloaded",
            Some(&app.key),
            None,
        )
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
}
