//! Portal analytics (issue 11, point 7): the per-day counts kept as audit events are
//! written agree with a scan of the log — each open, download, response and denial of a
//! share counted once, for the share and for its portal, on its UTC day; unique guests
//! per day and over the window; the window ends today; who may look. Both engines, and the
//! migration counting events written before it.

use std::collections::BTreeMap;

use crate::common::{org_admin, Harness};
use crate::guest_home::{document, meta};
use backend::actor::Staff;
use backend::domain::Method;
use backend::services::analytics::{self, Window};
use backend::services::shares::{self, NewShare, Recipient, SharedItem};
use backend::services::{access, portals, ServiceError};
use secrecy::ExposeSecret;

both_engines!(the_counts_agree_with_the_log_and_end_today,);

/// A link share of `doc` to `email` in `portal`: its token.
async fn link(h: &Harness, who: &Staff, doc: &str, email: &str, portal: &str) -> (String, String) {
    let c = shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(doc.to_owned()),
            recipients: vec![Recipient {
                name: "Guest".into(),
                email: email.into(),
            }],
            method: Some(Method::Link),
            portal_id: Some(portal.to_owned()),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap()
    .remove(0);
    let token = c.url.expose_secret().rsplit('/').next().unwrap().to_owned();
    (c.share.id, token)
}

async fn open(h: &Harness, token: &str) -> Result<(), ServiceError> {
    access::open(
        &h.core,
        access::OpenRequest {
            token: token.to_owned(),
            device: access::new_device_id(),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .map(|_| ())
}

/// (date → [opens, downloads, responses, denials]) of the given shares, scanned from the
/// audit log: what the kept counts must equal.
async fn scanned(h: &Harness, share_ids: &[&str]) -> BTreeMap<String, [i64; 4]> {
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT occurred_at, event_type, share_id FROM audit_events")
            .fetch_all(h.core.db.pool())
            .await
            .unwrap();
    let mut out = BTreeMap::new();
    for (at, kind, share) in rows {
        if !share.as_deref().is_some_and(|s| share_ids.contains(&s)) {
            continue;
        }
        let slot = match kind.as_str() {
            "share.accessed" => 0,
            "item.downloaded" => 1,
            "share.response_submitted" => 2,
            "share.denied" => 3,
            _ => continue,
        };
        let date = time::OffsetDateTime::from_unix_timestamp(at / 1000)
            .unwrap()
            .date()
            .to_string();
        out.entry(date).or_insert([0; 4])[slot] += 1;
    }
    out
}

fn kept(a: &analytics::Analytics) -> BTreeMap<String, [i64; 4]> {
    a.days
        .iter()
        .filter(|d| d.opens + d.downloads + d.responses + d.denials > 0)
        .map(|d| {
            (
                d.date.clone(),
                [d.opens, d.downloads, d.responses, d.denials],
            )
        })
        .collect()
}

async fn the_counts_agree_with_the_log_and_end_today(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let panel = portals::create(&h.core, &admin, "Panel", &meta())
        .await
        .unwrap();
    let doc = document(&h, &admin, "Brief").await;
    let (jane, jane_token) = link(&h, &admin, &doc, "jane@lawfirm.example", &panel.id).await;
    let (bob, bob_token) = link(&h, &admin, &doc, "bob@lawfirm.example", &panel.id).await;
    // Another portal's share: not this portal's activity.
    let default = portals::list(&h.core, &admin).await.unwrap().remove(0);
    let (_, other_token) = link(&h, &admin, &doc, "eve@x.example", &default.id).await;

    // Day 1: Jane opens twice, Bob once; the other portal's share once.
    for t in [&jane_token, &jane_token, &bob_token, &other_token] {
        open(&h, t).await.unwrap();
    }
    // Day 2: Jane once; Bob's share revoked, his open denied.
    h.clock.advance(time::Duration::days(1));
    open(&h, &jane_token).await.unwrap();
    shares::revoke(&h.core, &admin, &bob, &meta())
        .await
        .unwrap();
    assert!(open(&h, &bob_token).await.is_err());

    let month = analytics::for_portal(&h.core, &admin, &panel.id, Window::Month)
        .await
        .unwrap();
    assert_eq!(month.days.len(), 30);
    assert_eq!(kept(&month), scanned(&h, &[&jane, &bob]).await);
    let last_two: Vec<_> = month.days[28..]
        .iter()
        .map(|d| (d.opens, d.unique_guests, d.denials))
        .collect();
    assert_eq!(last_two, [(3, 2, 0), (1, 1, 1)]);
    assert_eq!(month.totals.opens, 4);
    assert_eq!(month.totals.unique_guests, 2, "Jane and Bob, each once");
    assert_eq!(month.totals.denials, 1);
    let jane_view = analytics::for_share(&h.core, &admin, &jane, Window::Month)
        .await
        .unwrap();
    assert_eq!(kept(&jane_view), scanned(&h, &[&jane]).await);
    assert_eq!(jane_view.totals.opens, 3);

    // Eight days on, the week no longer holds those days.
    h.clock.advance(time::Duration::days(8));
    let week = analytics::for_portal(&h.core, &admin, &panel.id, Window::Week)
        .await
        .unwrap();
    assert_eq!(week.days.len(), 7);
    assert_eq!(week.totals.opens, 0);
    assert_eq!(week.totals.unique_guests, 0);
    assert_eq!(
        week.days.last().unwrap().date,
        h.core.now().date().to_string()
    );
    let csv = analytics::csv(&month);
    assert!(csv.starts_with("date,opens,unique_guests,downloads,responses,denials\r\n"));
    assert!(csv.ends_with("total,4,2,0,0,1\r\n"), "{csv}");

    // Who may look.
    let globex = org_admin(&h, "Globex").await;
    assert!(matches!(
        analytics::for_portal(&h.core, &globex, &panel.id, Window::Week).await,
        Err(ServiceError::NotFound("portal"))
    ));
    assert!(matches!(
        analytics::for_share(&h.core, &globex, &jane, Window::Week).await,
        Err(ServiceError::NotFound(_))
    ));
    // Controllers see every share of the organisation, so its portals' counts too (the
    // role matrix).
    let mut controller = admin.clone();
    controller.role = backend::domain::Role::Controller;
    analytics::for_portal(&h.core, &controller, &panel.id, Window::Week)
        .await
        .unwrap();
    assert!(matches!(
        Window::parse("365"),
        Err(ServiceError::Invalid { field: "days", .. })
    ));

    // The guests' addresses per day go once nothing reads them; the counts stay.
    let rows = |table: &'static str| {
        let pool = h.core.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert!(rows("activity_guests").await > 0);
    let before = analytics::for_portal(&h.core, &admin, &panel.id, Window::Quarter)
        .await
        .unwrap();
    assert!(analytics::prune(&h.core).await.unwrap() > 0);
    assert_eq!(rows("activity_guests").await, 0, "finished days only");
    assert!(
        rows("activity_last_seen").await > 0,
        "still inside the longest window"
    );
    let after = analytics::for_portal(&h.core, &admin, &panel.id, Window::Quarter)
        .await
        .unwrap();
    assert_eq!(kept(&before), kept(&after));
    assert_eq!(before.totals.unique_guests, after.totals.unique_guests);
    h.clock.advance(time::Duration::days(90));
    analytics::prune(&h.core).await.unwrap();
    assert_eq!(rows("activity_last_seen").await, 0, "past every window");
}

/// The `portal_analytics` migration counts the events written before it, once.
async fn the_migration_counts_earlier_events(engine: backend::store::Engine) {
    use backend::store::Db;
    let dir = tempfile::tempdir().unwrap();
    let (pool, url, pg) = crate::common::migrated_before(engine, dir.path(), 20261206000018).await;
    let day = 20_000_i64 * 86_400_000;
    let event = |id: &str, at: i64, kind: &str, share: &str| {
        format!(
            "('{id}', 'o1', {at}, '{kind}', 'guest', NULL, 'G', 'link', '{share}', NULL, NULL, \
             NULL, '{{}}')"
        )
    };
    let events = [
        event("e1", day + 1, "share.accessed", "s1"),
        event("e2", day + 2, "share.accessed", "s1"),
        event("e3", day + 3, "share.accessed", "s2"),
        event("e4", day + 86_400_000, "share.denied", "s1"),
        event("e5", day + 5, "share.created", "s1"),
        event("e6", day + 6, "item.downloaded", "s2"),
    ]
    .join(", ");
    for sql in [
        "INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'Acme', 1)".to_owned(),
        "INSERT INTO users (id, org_id, email, display_name, role, created_at) VALUES \
         ('u1', 'o1', 'a@acme.example', 'A', 'admin', 1)"
            .to_owned(),
        "INSERT INTO documents (id, org_id, title, file_name, content_type, size_bytes, sha256, \
         blob_key, created_by, created_at) VALUES ('d1', 'o1', 'T', 't.txt', 'text/plain', 1, \
         'x', 'k', 'u1', 1)"
            .to_owned(),
        "INSERT INTO portals (id, org_id, name, created_by, created_at, is_default, branding) \
         VALUES ('p1', 'o1', 'Panel', 'u1', 1, 1, '{}')"
            .to_owned(),
        "INSERT INTO shares (id, org_id, selector, verifier_hash, method, document_id, \
         recipient_name, recipient_email, created_by, created_at, max_access_count, \
         require_acknowledgement, settings, portal_id) VALUES \
         ('s1', 'o1', 'sel1', 'h', 'link', 'd1', 'R', 'Jane@X.example', 'u1', 1, 0, 0, '{}', 'p1'), \
         ('s2', 'o1', 'sel2', 'h', 'link', 'd1', 'R', 'bob@x.example', 'u1', 1, 0, 0, '{}', 'p1')"
            .to_owned(),
        format!(
            "INSERT INTO audit_events (id, org_id, occurred_at, event_type, actor_type, actor_id, \
             actor_name, credential, share_id, item_id, ip, user_agent, details) VALUES {events}"
        ),
    ] {
        sqlx::query(&sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let portal = backend::store::activity::days(db.pool(), "o1", "p1", 0)
        .await
        .unwrap();
    let got: Vec<_> = portal
        .iter()
        .map(|r| {
            (
                r.day - 20_000,
                r.opens,
                r.unique_guests,
                r.downloads,
                r.denials,
            )
        })
        .collect();
    assert_eq!(got, [(0, 3, 2, 1, 0), (1, 0, 0, 0, 1)]);
    let s1 = backend::store::activity::days(db.pool(), "o1", "s1", 0)
        .await
        .unwrap();
    assert_eq!((s1[0].opens, s1[0].unique_guests), (2, 1));
    assert_eq!(
        backend::store::activity::guests_since(db.pool(), "p1", 20_000)
            .await
            .unwrap(),
        2
    );
    db.close().await;
    if let Some(name) = pg {
        crate::common::drop_postgres(&name).await;
    }
}

#[tokio::test]
async fn the_migration_counts_earlier_events_sqlite() {
    the_migration_counts_earlier_events(backend::store::Engine::Sqlite).await;
}

#[tokio::test]
async fn the_migration_counts_earlier_events_postgres() {
    the_migration_counts_earlier_events(backend::store::Engine::Postgres).await;
}
