//! A portal's members (role, end date, member domains) and sections over REST (issue 11,
//! part 6): each bad input answered by field with nothing written, another organisation's
//! portal and sections not found.

use super::*;

fn refused(r: &Reply, status: StatusCode, field: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], field, "{}", r.text());
    assert!(
        !r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{}",
        r.text()
    );
}

async fn structure_rows(app: &TestApp) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM portal_members), (SELECT COUNT(*) FROM portal_sections), \
         (SELECT COUNT(*) FROM portal_section_items)",
    )
    .fetch_one(app.core.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn portal_members_and_sections_over_rest() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/portals",
            Some(&app.key),
            Some(json!({ "name": "Counsel panel" })),
        )
        .await;
    let portal = r.json()["id"].as_str().unwrap().to_owned();
    let members = format!("/api/v1/portals/{portal}/members");

    let before = (app.counts().await, structure_rows(&app).await);
    let bad_members = [
        // A shape error is the body's, its message naming the field.
        (
            json!({ "name": "Jane", "email": "jane@lawfirm.example", "role": "owner" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
        ),
        (
            json!({ "name": "Jane", "email": "jane@lawfirm.example", "expires_at": "tomorrow" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "expires_at",
        ),
        (
            json!({ "name": "Jane", "email": "jane@lawfirm.example",
                    "expires_at": "2001-01-01T00:00:00Z" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "expires_at",
        ),
        (
            json!({ "name": "Jane", "email": "jane@" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
    ];
    for (body, status, field) in bad_members {
        let r = app
            .call(Method::POST, &members, Some(&app.key), Some(body.clone()))
            .await;
        refused(&r, status, field);
        if field == "body" {
            assert!(r.text().contains("role: unknown variant"), "{}", r.text());
        }
    }
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/portals/{portal}/member_domains"),
            Some(&app.key),
            Some(json!({ "domains": ["lawfirm.example", "not a domain"] })),
        )
        .await;
    refused(&r, StatusCode::UNPROCESSABLE_ENTITY, "member_domains");
    assert_eq!(
        (app.counts().await, structure_rows(&app).await),
        before,
        "a refused input wrote something"
    );

    let r = app
        .call(
            Method::POST,
            &members,
            Some(&app.key),
            Some(
                json!({ "name": "Jane Counsel", "email": "jane@lawfirm.example",
                         "role": "manager", "expires_at": "2099-01-01T00:00:00Z" }),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/portals/{portal}/member_domains"),
            Some(&app.key),
            Some(json!({ "domains": ["LawFirm.example"] })),
        )
        .await;
    assert_eq!(r.json()["member_domains"], json!(["lawfirm.example"]));
    let listed = app
        .call(Method::GET, "/api/v1/portals", Some(&app.key), None)
        .await
        .json();
    let panel = listed["portals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == portal.as_str())
        .unwrap()
        .clone();
    assert_eq!(panel["member_domains"], json!(["lawfirm.example"]));
    let jane = &panel["members"][0];
    assert_eq!(jane["role"], "manager");
    assert_eq!(jane["expires_at"], "2099-01-01T00:00:00Z");
    let jane_path = format!("{members}/{}", jane["id"].as_str().unwrap());
    let r = app
        .call(
            Method::PATCH,
            &jane_path,
            Some(&app.key),
            Some(json!({ "role": "member", "expires_at": null })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .call(
            Method::PATCH,
            &jane_path,
            Some(&app.other_key),
            Some(json!({ "role": "manager" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    // Sections.
    let sections = format!("/api/v1/portals/{portal}/sections");
    let r = app
        .call(
            Method::POST,
            &sections,
            Some(&app.key),
            Some(json!({ "name": "Contracts" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let section = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::POST,
            &sections,
            Some(&app.key),
            Some(json!({ "name": "Contracts" })),
        )
        .await;
    refused(&r, StatusCode::UNPROCESSABLE_ENTITY, "name");
    let items = format!("/api/v1/sections/{section}/items");
    let before = structure_rows(&app).await;
    let r = app
        .call(
            Method::POST,
            &items,
            Some(&app.key),
            Some(json!({ "kind": "folder", "id": doc })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = app
        .call(
            Method::DELETE,
            &format!("{items}/folder/{doc}"),
            Some(&app.key),
            None,
        )
        .await;
    refused(&r, StatusCode::UNPROCESSABLE_ENTITY, "kind");
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/sections/{section}/move"),
            Some(&app.key),
            Some(json!({ "way": "sideways" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = app
        .call(
            Method::POST,
            &items,
            Some(&app.other_key),
            Some(json!({ "kind": "document", "id": doc })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(structure_rows(&app).await, before);

    let r = app
        .call(
            Method::POST,
            &items,
            Some(&app.key),
            Some(json!({ "kind": "document", "id": doc })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let view = app
        .call(Method::GET, &sections, Some(&app.key), None)
        .await
        .json();
    assert_eq!(view["sections"][0]["name"], "Contracts");
    assert_eq!(view["sections"][0]["items"][0]["id"], doc.as_str());
    assert_eq!(view["sections"][0]["items"][0]["kind"], "document");
    let r = app
        .call(Method::GET, &sections, Some(&app.other_key), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::PATCH,
            &format!("/api/v1/sections/{section}"),
            Some(&app.key),
            Some(json!({ "name": "Agreements" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .call(
            Method::DELETE,
            &format!("{items}/document/{doc}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/sections/{section}"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(structure_rows(&app).await, (1, 0, 0));
}

#[tokio::test]
async fn portal_and_share_analytics_over_rest() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let share_id = share["id"].as_str().unwrap().to_owned();
    let portal = app.default_portal().await;
    let path = format!("/api/v1/portals/{portal}/analytics");

    let r = app
        .call(Method::GET, &format!("{path}?days=7"), Some(&app.key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["window_days"], 7);
    assert_eq!(r.json()["days"].as_array().unwrap().len(), 7);
    let r = app.call(Method::GET, &path, Some(&app.key), None).await;
    assert_eq!(
        r.json()["days"].as_array().unwrap().len(),
        30,
        "30 by default"
    );
    let r = app
        .call(
            Method::GET,
            &format!("{path}?days=90&format=csv"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().starts_with("date,opens,unique_guests"));
    assert_eq!(r.text().lines().count(), 92, "header, 90 days, total");

    for (query, field) in [
        ("?days=365", "days"),
        ("?format=xml", "format"),
        ("?days=7&colour=red", "query"),
    ] {
        let r = app
            .call(Method::GET, &format!("{path}{query}"), Some(&app.key), None)
            .await;
        refused(&r, StatusCode::UNPROCESSABLE_ENTITY, field);
    }
    let r = app
        .call(Method::GET, &path, Some(&app.other_key), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{share_id}/analytics"),
            Some(&app.other_key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/shares/{share_id}/analytics?days=7"),
            Some(&app.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["totals"]["opens"], 0);
}
