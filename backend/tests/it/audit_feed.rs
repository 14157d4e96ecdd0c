//! Live activity on SQLite and PostgreSQL: a committed transaction announces the audit
//! events it appended (a rolled-back one nothing), and a staff feed reads exactly the
//! events of its share or document after its cursor, as its reader may.

use crate::common::{org_admin as org, Harness};
use backend::actor::{RequestMeta, Staff};
use backend::audit::{self, AuditActor, EventType, NewEvent};
use backend::domain::{Role, ShareSettings};
use backend::revocation::{Heard, Interest, Watched, Watching};
use backend::services::audit_feed::{self, FEED_PAGE};
use backend::services::audit_log::AuditFilter;
use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
use backend::services::ServiceError;
use backend::store::audit::{About, Appended};

both_engines!(
    commits_announce_what_they_appended_and_rollbacks_nothing,
    a_feed_reads_its_own_events_after_its_cursor_as_its_reader_may,
    a_document_feed_takes_in_a_revision_uploaded_while_it_is_watched,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("198.51.100.40".parse().unwrap()), Some("feed-test"))
}

async fn upload(h: &Harness, who: &Staff) -> String {
    crate::common::text_document(h, who, "Brief").await
}

async fn share(h: &Harness, who: &Staff, doc: &str) -> String {
    shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(doc.into()),
            recipients: vec![Recipient {
                name: "Jane".into(),
                email: "jane@counsel.example".into(),
            }],
            expiry: Expiry::Days(7),
            settings: ShareSettings::default(),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap()
    .remove(0)
    .share
    .id
}

fn event<'a>(org_id: &'a str, share_id: &'a str, m: &'a RequestMeta) -> NewEvent<'a> {
    NewEvent {
        org_id,
        event_type: EventType::ShareLinkCopied,
        actor: AuditActor::System,
        share_id: Some(share_id),
        item_id: None,
        details: serde_json::json!({}),
        meta: m,
        at_ms: 1_800_000_000_000,
    }
}

async fn commits_announce_what_they_appended_and_rollbacks_nothing(h: Harness) {
    let admin = org(&h, "Announcing").await;
    let doc = upload(&h, &admin).await;
    let share_id = share(&h, &admin, &doc).await;
    let watched = [Watched {
        org_id: admin.org_id.clone(),
        watching: Watching::Share(share_id.clone()),
    }];
    let mut bus = h.core.revocations.subscribe();
    let m = meta();

    // Rolled back: never announced. Committed next: announced, and it is the first thing
    // heard (so the rolled-back one was not).
    let mut tx = h.core.db.begin().await.unwrap();
    audit::record(&mut tx, event(&admin.org_id, &share_id, &m))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let mut tx = h.core.db.begin().await.unwrap();
    audit::record(&mut tx, event(&admin.org_id, &share_id, &m))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let interest = Interest {
        activity: &watched,
        ..Default::default()
    };
    let heard = crate::common::heard(&mut bus, interest).await;
    let Heard::Activity(first) = heard else {
        panic!("{heard:?}")
    };
    assert_eq!(
        first.about,
        About::One {
            share_id: Some(share_id.clone()),
            item_id: None,
        }
    );
    // What the announcement names is committed: a reader woken by it sees the event.
    let feed = audit_feed::feed(
        &h.core,
        &admin,
        AuditFilter {
            share_id: Some(share_id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let page = feed.since(&h.core, &admin, first.seq - 1).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].seq, Some(first.seq));

    // Many events in one transaction are announced as one.
    let mut tx = h.core.db.begin().await.unwrap();
    for _ in 0..10 {
        audit::record(&mut tx, event(&admin.org_id, &share_id, &m))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let heard = crate::common::heard(&mut bus, interest).await;
    assert!(
        matches!(&heard, Heard::Activity(Appended { about: About::Many, seq, .. }) if *seq == first.seq + 10),
        "{heard:?}"
    );
}

async fn a_feed_reads_its_own_events_after_its_cursor_as_its_reader_may(h: Harness) {
    let admin = org(&h, "Feeding").await;
    let doc = upload(&h, &admin).await;
    let share_id = share(&h, &admin, &doc).await;
    let other_share = share(&h, &admin, &doc).await;
    let of_share = |id: &str| AuditFilter {
        share_id: Some(id.to_owned()),
        ..Default::default()
    };
    let feed = audit_feed::feed(&h.core, &admin, of_share(&share_id))
        .await
        .unwrap();
    let first = feed.since(&h.core, &admin, 0).await.unwrap();
    assert!(!first.truncated);
    let types: Vec<&str> = first.items.iter().map(|e| e.event_type.as_str()).collect();
    assert!(types.contains(&"share.created"), "{types:?}");
    assert!(first
        .items
        .iter()
        .all(|e| e.share_id.as_deref() == Some(share_id.as_str())));
    assert!(
        first.items.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );

    // After the cursor: only what is new, and only this share's.
    shares::revoke(&h.core, &admin, &other_share, &meta())
        .await
        .unwrap();
    let quiet = feed.since(&h.core, &admin, first.last_seq).await.unwrap();
    assert!(quiet.items.is_empty());
    assert_eq!(quiet.last_seq, first.last_seq);
    shares::revoke(&h.core, &admin, &share_id, &meta())
        .await
        .unwrap();
    let revoked = feed.since(&h.core, &admin, first.last_seq).await.unwrap();
    let types: Vec<&str> = revoked
        .items
        .iter()
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(types, ["share.revoked"]);

    // The document's feed has both shares' revocations (they name its revision).
    let of_doc = audit_feed::feed(
        &h.core,
        &admin,
        AuditFilter {
            document: Some(doc.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let page = of_doc.since(&h.core, &admin, first.last_seq).await.unwrap();
    assert_eq!(
        page.items
            .iter()
            .filter(|e| e.event_type == "share.revoked")
            .count(),
        2
    );

    // A burst larger than one read: the newest, and a note that older ones were left out.
    let m = meta();
    let burst: Vec<NewEvent> = (0..FEED_PAGE + 20)
        .map(|_| event(&admin.org_id, &share_id, &m))
        .collect();
    let mut tx = h.core.db.begin().await.unwrap();
    audit::record_many(&mut tx, &admin.org_id, burst)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let page = feed.since(&h.core, &admin, revoked.last_seq).await.unwrap();
    assert!(page.truncated);
    assert_eq!(page.items.len() as i64, FEED_PAGE);
    assert_eq!(page.items[0].seq, Some(page.last_seq));
    assert!(feed
        .since(&h.core, &admin, page.last_seq)
        .await
        .unwrap()
        .items
        .is_empty());

    // Who may watch what: one share or one document; the organisation's own; readers of
    // the audit log only (checked again at every read).
    let both = AuditFilter {
        share_id: Some(share_id.clone()),
        document: Some(doc.clone()),
        ..Default::default()
    };
    assert!(matches!(
        audit_feed::feed(&h.core, &admin, both).await,
        Err(ServiceError::Invalid { field: "scope", .. })
    ));
    assert!(matches!(
        audit_feed::feed(&h.core, &admin, AuditFilter::default()).await,
        Err(ServiceError::Invalid { field: "scope", .. })
    ));
    let stranger = org(&h, "Elsewhere").await;
    assert!(matches!(
        audit_feed::feed(&h.core, &stranger, of_share(&share_id)).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        feed.since(&h.core, &stranger, 0).await,
        Err(ServiceError::NotFound(_))
    ));
    let controller = Staff {
        role: Role::Controller,
        ..admin.clone()
    };
    assert!(matches!(
        audit_feed::feed(&h.core, &controller, of_share(&share_id)).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        feed.since(&h.core, &controller, 0).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        audit_feed::feed(&h.core, &admin, of_share("not-an-id")).await,
        Err(ServiceError::NotFound(_))
    ));
}

/// A document page opened before a new revision was uploaded: the upload is heard as a
/// revision of the watched family (not folded away with other notes), and once the feed
/// takes it in, the new revision's events are read and heard; another family's are not.
async fn a_document_feed_takes_in_a_revision_uploaded_while_it_is_watched(h: Harness) {
    use backend::services::documents;
    let admin = org(&h, "Revising").await;
    let doc = upload(&h, &admin).await;
    let elsewhere = upload(&h, &admin).await;
    let of_doc = AuditFilter {
        document: Some(doc.clone()),
        ..Default::default()
    };
    let mut feed = audit_feed::feed(&h.core, &admin, of_doc).await.unwrap();
    let cursor = feed.since(&h.core, &admin, 0).await.unwrap().last_seq;
    let mut live = h.core.revocations.subscribe();
    live.activity_from_now();

    let staged = documents::stage(
        &h.core,
        &admin,
        "brief-2.txt",
        backend::services::uploads::once(bytes::Bytes::from_static(b"second")),
    )
    .await
    .unwrap();
    let second = documents::adopt_revision(&h.core, &admin, &doc, String::new(), staged, &meta())
        .await
        .unwrap();
    let watched = [feed.watched.clone()];
    let heard = crate::common::heard(
        &mut live,
        Interest {
            activity: &watched,
            ..Default::default()
        },
    )
    .await;
    let Heard::Activity(appended) = heard else {
        panic!("heard {heard:?}");
    };
    assert_eq!(
        appended.about,
        About::Revision {
            family_id: doc.clone(),
            item_id: second.id.clone()
        }
    );
    assert!(!Watched {
        org_id: admin.org_id.clone(),
        watching: Watching::Document {
            family_id: elsewhere.clone(),
            items: vec![elsewhere.clone()],
        },
    }
    .hears(&appended));

    feed.add_revision(&second.id);
    feed.add_revision(&second.id);
    assert_eq!(
        feed.watched.watching,
        Watching::Document {
            family_id: doc.clone(),
            items: vec![doc.clone(), second.id.clone()],
        }
    );
    let new_share = share(&h, &admin, &second.id).await;
    let page = feed.since(&h.core, &admin, cursor).await.unwrap();
    let types: Vec<&str> = page.items.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["share.created", "document.revised"]);
    assert_eq!(page.items[0].share_id.as_deref(), Some(new_share.as_str()));
    let created = Appended {
        org_id: admin.org_id.clone(),
        seq: page.last_seq,
        about: About::One {
            share_id: Some(new_share),
            item_id: Some(second.id.clone()),
        },
    };
    assert!(feed.watched.hears(&created));
}
