//! The bus: payloads, stream slots, what each subscription hears.

use super::*;

#[test]
fn payloads_say_revoked_or_changed() {
    assert!(matches!(parse_payload("o:s"), Some(BusEvent::Revoked(r)) if r.share_id == "s"));
    assert!(matches!(parse_payload("changed:o:s"), Some(BusEvent::Changed(r)) if r.org_id == "o"));
    assert!(parse_payload("changed:nonsense").is_none());
    // Comments are announced as committed notes (`store::Committed::Comments`).
    assert!(matches!(
        parse_payload("n1|comments:o:d"),
        Some(BusEvent::Committed(n, Committed::Comments { org_id, document_id }))
            if n == "n1" && org_id == "o" && document_id == "d"
    ));
    for topic in [
        Topic::Presence { staff: true },
        Topic::Presence { staff: false },
        Topic::Typing {
            presence: "p".into(),
            thread: None,
        },
        Topic::Typing {
            presence: "p".into(),
            thread: Some("t".into()),
        },
    ] {
        let e = DocumentEvent::new("o", "d", topic);
        assert!(
            matches!(parse_payload(&format!("n1|{}", e.payload())), Some(BusEvent::Document(n, x)) if x == e && n == "n1"),
            "{e:?}"
        );
    }
    assert!(DocumentEvent::parse("typing:o:d").is_none());
    // A node of the previous version says whose presence changed no more: anyone's.
    assert_eq!(
        DocumentEvent::parse("presence:o:d"),
        Some(DocumentEvent::new(
            "o",
            "d",
            Topic::Presence { staff: true }
        ))
    );
    assert!(DocumentEvent::parse("presence:o:d:someone").is_none());
    let s = StaffRef {
        org_id: "o".into(),
        user_id: "u".into(),
    };
    assert!(matches!(parse_payload(&s.payload()), Some(BusEvent::Staff(x)) if x == s));
    assert!(DocumentEvent::parse("comments:o:d:extra").is_none());
}

fn revoked(share_id: &str) -> Revoked {
    Revoked {
        org_id: "o".into(),
        share_id: share_id.into(),
    }
}

/// Security review, finding 6: open streams per share are capped on each node, and a
/// closed stream gives its slot back.
#[test]
fn streams_per_share_are_capped_and_given_back() {
    let bus = RevocationBus::default();
    let mut open: Vec<Subscription> = (0..MAX_STREAMS_PER_SHARE)
        .map(|_| {
            let mut s = bus.subscribe();
            assert!(s.hold("s1"));
            s
        })
        .collect();
    let mut one_more = bus.subscribe();
    assert!(!one_more.hold("s1"), "over the cap");
    assert!(one_more.hold("s2"), "another share has its own slots");
    open.pop();
    let mut again = bus.subscribe();
    assert!(again.hold("s1"), "a closed stream gave its slot back");
    drop(open);
    drop(again);
    drop(one_more);
    assert!(bus.open.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_stream_hears_only_its_own_share_and_doubts() {
    let bus = RevocationBus::default();
    let mut sub = bus.subscribe();
    let mine = tokio::spawn(async move {
        let first = sub.next_for("s1").await;
        (first, sub.next_for("s1").await)
    });
    tokio::task::yield_now().await;
    bus.publish(revoked("s2"));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!mine.is_finished(), "woken by another share's revocation");
    bus.publish_unsure();
    bus.publish(revoked("s1"));
    let heard = tokio::time::timeout(Duration::from_secs(1), mine)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard, (Heard::Unsure, Heard::Revoked));
    let r = Revoked {
        org_id: "o1".into(),
        share_id: "0190-x".into(),
    };
    assert_eq!(Revoked::parse(&r.payload()), Some(r));
}

#[tokio::test]
async fn a_subscription_hears_revocations_published_before_it_is_awaited() {
    let bus = RevocationBus::default();
    let mut subscription = bus.subscribe();
    bus.publish(revoked("s1"));
    let heard = tokio::time::timeout(Duration::from_secs(1), subscription.next_for("s1"))
        .await
        .expect("a revocation published after subscribing was missed");
    assert_eq!(heard, Heard::Revoked);
}

#[tokio::test]
async fn a_subscription_that_fell_behind_is_unsure() {
    let bus = RevocationBus::default();
    let mut subscription = bus.subscribe();
    for i in 0..2000 {
        bus.publish(revoked(&format!("other-{i}")));
    }
    assert_eq!(subscription.next_for("s1").await, Heard::Unsure);
}

/// A channel that skips guests' presence (a guest's) hears staff coming and going and
/// comments on its documents, and never wakes for a guest joining; another document's
/// changes reach neither. Each heard change carries when this node published it.
#[tokio::test]
async fn a_guest_channel_is_not_woken_by_other_guests_presence() {
    let bus = RevocationBus::new(true);
    let mut guest = bus.subscribe();
    let mut staff = bus.subscribe();
    let followed = [DocumentRef {
        org_id: "o".into(),
        document_id: "d".into(),
    }];
    let interest = |skip| Interest {
        documents: &followed,
        skip_guest_presence: skip,
        ..Default::default()
    };
    let before = std::time::Instant::now();
    for (doc, topic) in [
        ("d", Topic::Presence { staff: false }),
        ("other", Topic::Comments),
        ("d", Topic::Presence { staff: true }),
        ("d", Topic::Comments),
    ] {
        bus.publish_document(DocumentEvent::new("o", doc, topic));
    }
    let heard = |h: Heard| match h {
        Heard::Document(d) => {
            assert!(d.at >= before);
            d.event.topic
        }
        other => panic!("heard {other:?}"),
    };
    assert_eq!(
        heard(guest.next_live(interest(true)).await),
        Topic::Presence { staff: true }
    );
    assert_eq!(
        heard(guest.next_live(interest(true)).await),
        Topic::Comments
    );
    assert_eq!(
        heard(staff.next_live(interest(false)).await),
        Topic::Presence { staff: false }
    );
    assert_eq!(
        heard(staff.next_live(interest(false)).await),
        Topic::Presence { staff: true }
    );
}
