//! The tamper-evident audit chain and its exports, on SQLite and on PostgreSQL.

use crate::common::Harness;
use backend::actor::{RequestMeta, Staff};
use backend::audit::chain::{self, Problem};
use backend::services::audit_log::{self, AuditFilter, ExportFormat};
use backend::services::documents::{self, Upload};
use futures::TryStreamExt;

both_engines!(
    verify_names_each_kind_of_tampering,
    concurrent_appends_never_fork_the_chain,
    exports_stream_every_matching_event,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("198.51.100.4".parse().unwrap()), Some("chain-test"))
}

use crate::common::org_admin as org;

async fn upload(h: &Harness, who: &Staff, n: usize) {
    documents::upload(
        &h.core,
        who,
        Upload {
            title: format!("Exhibit {n}"),
            file_name: format!("exhibit-{n}.txt"),
            bytes: format!("exhibit {n}").into(),
        },
        &meta(),
    )
    .await
    .unwrap();
}

async fn exec(h: &Harness, sql: &str, org_id: &str) {
    sqlx::query(sql)
        .bind(org_id)
        .execute(h.core.db.pool())
        .await
        .unwrap();
}

async fn problems(h: &Harness, org_id: &str) -> Vec<Problem> {
    chain::verify(&h.core.db, org_id).await.unwrap().problems
}

async fn verify_names_each_kind_of_tampering(h: Harness) {
    let a = org(&h, "Alpha").await;
    let b = org(&h, "Beta").await;
    for n in 0..8 {
        upload(&h, &a, n).await;
    }
    upload(&h, &b, 99).await;
    let report = chain::verify(&h.core.db, &a.org_id).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert!(report.events >= 8, "{}", report.events);
    let n = report.head_seq;
    assert_eq!(report.events as i64, n);

    // Edited: one column of event 3 changed.
    exec(
        &h,
        "UPDATE audit_events SET actor_name = 'Mallory' WHERE org_id = $1 AND seq = 3",
        &a.org_id,
    )
    .await;
    let p = problems(&h, &a.org_id).await;
    assert!(matches!(&p[..], [Problem::Edited { seq: 3, .. }]), "{p:?}");
    assert!(p[0].to_string().contains("#3"), "{}", p[0]);
    // The other organisation's chain is unaffected.
    assert!(problems(&h, &b.org_id).await.is_empty());

    // A second, independent database: each remaining case starts from an intact chain.
    let c = org(&h, "Gamma").await;
    for n in 0..6 {
        upload(&h, &c, n).await;
    }
    let head = chain::verify(&h.core.db, &c.org_id).await.unwrap().head_seq;

    // Reordered: events 4 and 5 swap positions.
    exec(
        &h,
        "UPDATE audit_events SET seq = -5 WHERE org_id = $1 AND seq = 5",
        &c.org_id,
    )
    .await;
    exec(
        &h,
        "UPDATE audit_events SET seq = 5 WHERE org_id = $1 AND seq = 4",
        &c.org_id,
    )
    .await;
    exec(
        &h,
        "UPDATE audit_events SET seq = 4 WHERE org_id = $1 AND seq = -5",
        &c.org_id,
    )
    .await;
    let p = problems(&h, &c.org_id).await;
    assert!(
        p.contains(&Problem::Edited {
            seq: 4,
            id: id_at(&h, &c.org_id, 4).await
        }),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| matches!(x, Problem::BrokenLink { seq: 4, .. })),
        "{p:?}"
    );
    // Swap back: intact again (the check is deterministic, not a one-off).
    exec(
        &h,
        "UPDATE audit_events SET seq = -5 WHERE org_id = $1 AND seq = 5",
        &c.org_id,
    )
    .await;
    exec(
        &h,
        "UPDATE audit_events SET seq = 5 WHERE org_id = $1 AND seq = 4",
        &c.org_id,
    )
    .await;
    exec(
        &h,
        "UPDATE audit_events SET seq = 4 WHERE org_id = $1 AND seq = -5",
        &c.org_id,
    )
    .await;
    assert!(problems(&h, &c.org_id).await.is_empty());

    // Deleted from the middle.
    exec(
        &h,
        "DELETE FROM audit_events WHERE org_id = $1 AND seq = 2",
        &c.org_id,
    )
    .await;
    let p = problems(&h, &c.org_id).await;
    assert_eq!(
        p,
        vec![Problem::Missing {
            from_seq: 2,
            to_seq: 2
        }]
    );
    assert_eq!(p[0].to_string(), "event #2 was deleted");

    // Deleted from the end.
    exec(
        &h,
        &format!("DELETE FROM audit_events WHERE org_id = $1 AND seq = {head}"),
        &c.org_id,
    )
    .await;
    let p = problems(&h, &c.org_id).await;
    assert!(
        p.contains(&Problem::Truncated {
            last_seq: head - 1,
            head_seq: head
        }),
        "{p:?}"
    );

    // Inserted around the application.
    exec(
        &h,
        "INSERT INTO audit_events (id, org_id, occurred_at, event_type, actor_type, actor_name, \
         credential, details) VALUES ('forged', $1, 0, 'share.created', 'system', 'x', 'system', '{}')",
        &c.org_id,
    )
    .await;
    let p = problems(&h, &c.org_id).await;
    assert!(
        p.contains(&Problem::Unchained {
            id: "forged".into()
        }),
        "{p:?}"
    );
}

async fn id_at(h: &Harness, org_id: &str, seq: i64) -> String {
    sqlx::query_scalar("SELECT id FROM audit_events WHERE org_id = $1 AND seq = $2")
        .bind(org_id)
        .bind(seq)
        .fetch_one(h.core.db.pool())
        .await
        .unwrap()
}

async fn concurrent_appends_never_fork_the_chain(h: Harness) {
    let a = org(&h, "Alpha").await;
    let tasks: Vec<_> = (0..24)
        .map(|n| {
            let core = h.core.clone();
            let a = a.clone();
            tokio::spawn(async move {
                documents::upload(
                    &core,
                    &a,
                    Upload {
                        title: format!("Parallel {n}"),
                        file_name: "p.txt".into(),
                        bytes: "p".into(),
                    },
                    &meta(),
                )
                .await
                .unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // A batch appended in one go continues the same chain.
    let mut tx = h.core.db.begin().await.unwrap();
    let m = meta();
    let batch = (0..450)
        .map(|n| backend::audit::NewEvent {
            org_id: &a.org_id,
            event_type: backend::audit::EventType::ItemViewed,
            actor: backend::audit::AuditActor::Staff(&a),
            share_id: None,
            item_id: None,
            details: serde_json::json!({ "n": n }),
            meta: &m,
            at_ms: 1,
        })
        .collect();
    backend::audit::record_many(&mut tx, &a.org_id, batch)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    upload(&h, &a, 99).await;
    let report = chain::verify(&h.core.db, &a.org_id).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.events as i64, report.head_seq);
    assert!(report.events > 24 + 450);
}

async fn collect(
    stream: futures::stream::BoxStream<'static, backend::services::Result<bytes::Bytes>>,
) -> String {
    let chunks: Vec<bytes::Bytes> = stream.try_collect().await.unwrap();
    String::from_utf8(chunks.concat()).unwrap()
}

async fn exports_stream_every_matching_event(h: Harness) {
    let a = org(&h, "Alpha").await;
    let b = org(&h, "Beta").await;
    // More than one export batch (1,000 rows) so paging inside the stream is exercised.
    for n in 0..1100 {
        upload(&h, &a, n).await;
    }
    upload(&h, &b, 1).await;
    let uploads = AuditFilter {
        event_type: Some("document.uploaded".into()),
        ..Default::default()
    };
    let jsonl = collect(
        audit_log::export(
            h.core.clone(),
            &a,
            uploads.clone(),
            ExportFormat::JsonLines,
            &meta(),
        )
        .await
        .unwrap(),
    )
    .await;
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1100);
    assert!(lines.iter().all(|l| l["event_type"] == "document.uploaded"));
    let ids: std::collections::HashSet<_> =
        lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1100, "no duplicates across batches");

    let csv = collect(
        audit_log::export(h.core.clone(), &a, uploads, ExportFormat::Csv, &meta())
            .await
            .unwrap(),
    )
    .await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().unwrap().get(3), Some("event_type"));
    assert_eq!(reader.records().count(), 1100);

    // Each export is itself audited, with the filters used.
    let exported = audit_log::list(
        &h.core,
        &a,
        AuditFilter {
            event_type: Some("audit.exported".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(exported.items.len(), 2);
    assert_eq!(exported.items[0].details["format"], "csv");

    // A time window in the future matches nothing; another organisation's events never appear.
    let none = collect(
        audit_log::export(
            h.core.clone(),
            &a,
            AuditFilter {
                from: Some("2999-01-01T00:00:00Z".into()),
                ..Default::default()
            },
            ExportFormat::JsonLines,
            &meta(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(none, "");
    let b_rows = collect(
        audit_log::export(
            h.core.clone(),
            &b,
            AuditFilter::default(),
            ExportFormat::JsonLines,
            &meta(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert!(!b_rows.contains("Exhibit 5\""), "tenant leak");
    assert!(chain::verify(&h.core.db, &a.org_id)
        .await
        .unwrap()
        .is_intact());
}
