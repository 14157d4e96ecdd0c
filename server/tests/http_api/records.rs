//! Data records over REST (issue 14, part 1): JSON and CSV imports, the guest preview, and
//! bad input answered with an error naming its field and nothing written.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use super::{Reply, TestApp};

impl TestApp {
    async fn csv(&self, query: &str, body: impl Into<Body>) -> Reply {
        let req = Request::post(format!("/api/v1/records?{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key))
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .body(body.into())
            .unwrap();
        self.send(req).await
    }

    async fn record_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM records")
            .fetch_one(self.core.db.pool())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn records_are_imported_as_json_or_csv_and_previewed_without_what_is_withheld() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let r = app
        .call(Method::POST, "/api/v1/records", Some(&app.key), Some(json!({
            "records": [
                {"kind": "organisation", "record_type": "carrier", "title": "North Freight", "reference": "ORG-1"},
                {"record_type": "delivery", "title": "Consignment 42", "reference": "DEL-42",
                 "fields": {"consignee": {"name": "Port", "phone": "CANARY-REST"}},
                 "redacted": ["consignee.phone"],
                 "history": [{"occurred_at": "2026-11-01T08:00:00Z", "process": "loaded", "holder": "ORG-1"}],
                 "documents": [{"document_id": doc, "private": true}]}
            ]
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["items"][1]["id"].as_str().unwrap().to_owned();
    let full = app
        .call(
            Method::GET,
            &format!("/api/v1/records/{id}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(
        full.json()["history"][0]["holder"]["title"],
        "North Freight"
    );
    assert_eq!(full.json()["version"], 1);
    let preview = app
        .call(
            Method::GET,
            &format!("/api/v1/records/{id}/preview"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        !preview.text().contains("CANARY-REST"),
        "{}",
        preview.text()
    );
    assert_eq!(
        preview.json()["guest"]["documents"],
        json!([]),
        "the private document"
    );
    assert_eq!(preview.json()["guest"]["withheld"], 1);

    let csv = "Ref,Name,Kg,Shipped\nD-1,First,12.5,2026-11-30\nD-2,Second,3,\n";
    let r = app
        .csv("record_type=delivery&title=Name&reference=Ref&map=Kg:weight.kg:number&map=Shipped:shipped_on:date", csv)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let first = r.json()["items"][0]["id"].as_str().unwrap().to_owned();
    let got = app
        .call(
            Method::GET,
            &format!("/api/v1/records/{first}"),
            Some(&app.key),
            None,
        )
        .await
        .json();
    assert_eq!(
        got["fields"],
        json!({"weight": {"kg": 12.5}, "shipped_on": "2026-11-30"})
    );
    let listed = app
        .call(
            Method::GET,
            "/api/v1/records?kind=item&q=d-",
            Some(&app.key),
            None,
        )
        .await
        .json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        2,
        "D-1 and D-2, not DEL-42"
    );
}

#[tokio::test]
async fn bad_record_input_over_rest_names_its_field_and_writes_nothing() {
    let app = TestApp::new().await;
    let post = |body: serde_json::Value| {
        app.call(Method::POST, "/api/v1/records", Some(&app.key), Some(body))
    };
    let cases = [
        (post(json!({"record_type": "x", "title": "T", "history": [{"occurred_at": 5, "process": "p"}]})).await,
            "body", "history[0].occurred_at"),
        (post(json!({"record_type": "x", "title": "T", "colour": "red"})).await, "body", "colour"),
        (post(json!({"record_type": "x", "title": "T", "fields": {"a": 1}, "redacted": ["b"]})).await,
            "redacted", "no field b"),
        (post(json!({"records": []})).await, "records", "nothing to import"),
        (app.csv("record_type=x&title=Name&map=Kg:kg:number", "Name,Kg\nA,12kg\n").await,
            "csv", "row 2, column \"Kg\""),
        (app.csv("record_type=x", "Name\nA\n").await, "title", "column"),
        (app.csv("record_type=x&title=Name&map=Kg", "Name,Kg\nA,1\n").await, "map", "Column:field.path"),
        (app.csv("record_type=x&title=Name&colour=red", "Name\nA\n").await, "query", "unknown parameter"),
    ];
    for (r, field, says) in cases {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let e = &r.json()["error"];
        assert_eq!(e["field"], field, "{e}");
        assert!(e["message"].as_str().unwrap().contains(says), "{e}");
    }
    let req = Request::post("/api/v1/records")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.key))
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from("<record/>"))
        .unwrap();
    assert_eq!(
        app.send(req).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let big = format!("Name\n{}", "A\n".repeat(6 * 1024 * 1024));
    let r = app.csv("record_type=x&title=Name", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert_eq!(app.record_count().await, 0);
    // Another organisation's record is not there.
    let mine = post(json!({"record_type": "x", "title": "Mine"}))
        .await
        .json();
    let theirs = app
        .call(
            Method::GET,
            &format!("/api/v1/records/{}", mine["id"].as_str().unwrap()),
            Some(&app.other_key),
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}
