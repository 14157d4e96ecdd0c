//! Comments between staff and guests on SQLite and PostgreSQL: who reads which thread, who
//! may write, the 15-minute edit window and moderation, the audit trail, the per-share cap
//! under concurrency, the owner's digest and the live announcement of every change.

use crate::common::{guest_session, invited_guest, local_mail, org_admin as org, Harness};
use backend::actor::{Guest, RequestMeta, Staff};
use backend::domain::{Permission, Role, ShareSettings};
use backend::revocation::{DocumentEvent, DocumentRef, Heard, HeardDocument, Interest, Topic};
use backend::services::comments::Reader;
use backend::services::comments::{
    self, digest, Audience, AuthorKind, Deletion, NewComment, Placement, MAX_BODY, MAX_EDITS,
    MAX_GUEST_COMMENTS,
};
use backend::services::presence::{self, Present};
use backend::services::shares;
use backend::services::{access, audit_log, policy, ServiceError};
use secrecy::ExposeSecret;

both_engines!(
    each_thread_reaches_only_its_audience,
    authors_change_their_own_for_fifteen_minutes_and_admins_moderate,
    bad_comments_are_refused_by_field_and_store_nothing,
    the_guest_cap_holds_under_concurrency,
    the_owner_hears_at_most_once_per_fifteen_minutes,
    presence_shows_each_reader_what_they_may_see_and_dead_nodes_fade,
);

fn meta() -> RequestMeta {
    RequestMeta::new(
        Some("198.51.100.30".parse().unwrap()),
        Some("comments-test"),
    )
}

async fn upload(h: &Harness, who: &Staff, title: &str) -> String {
    crate::common::text_document(h, who, title).await
}

/// A share of `doc` for `name` with `permission`; returns its id and its guest's session.
async fn guest(
    h: &Harness,
    who: &Staff,
    doc: &str,
    name: &str,
    permission: Permission,
) -> (String, Guest) {
    let settings = ShareSettings {
        permission,
        ..Default::default()
    };
    invited_guest(h, who, doc, name, settings).await
}

fn thread(doc: &str, body: &str) -> NewComment {
    NewComment {
        document_id: doc.into(),
        placement: Placement::Thread {
            page: None,
            audience: Audience::Staff,
        },
        body: body.into(),
    }
}

fn staff_thread(doc: &str, body: &str, audience: Audience) -> NewComment {
    NewComment {
        placement: Placement::Thread {
            page: None,
            audience,
        },
        ..thread(doc, body)
    }
}

fn reply(doc: &str, to: &str, body: &str) -> NewComment {
    NewComment {
        placement: Placement::Reply { to: to.into() },
        ..thread(doc, body)
    }
}

async fn guest_sees(h: &Harness, g: &Guest, doc: &str) -> Vec<String> {
    comments::for_guest(&h.core, g, doc, 0)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.body)
        .collect()
}

fn as_role(who: &Staff, role: Role, user_id: &str) -> Staff {
    let mut s = who.clone();
    s.role = role;
    s.user_id = user_id.into();
    s
}

async fn events(h: &Harness, who: &Staff, event_type: &str) -> Vec<serde_json::Value> {
    audit_log::list(
        &h.core,
        who,
        audit_log::AuditFilter {
            event_type: Some(event_type.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|e| e.details)
    .collect()
}

async fn each_thread_reaches_only_its_audience(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = upload(&h, &admin, "Merger brief").await;
    let (jane_share, jane) = guest(&h, &admin, &doc, "Jane", Permission::Comment).await;
    let (bob_share, bob) = guest(&h, &admin, &doc, "Bob", Permission::View).await;

    // Every change is announced to the document's live channels.
    let mut live = h.core.revocations.subscribe();
    let followed = [DocumentRef {
        org_id: admin.org_id.clone(),
        document_id: doc.clone(),
    }];

    // Jane's thread is her share's; Bob (view only) may not write.
    let mut first = thread(&doc, "Clause 4 contradicts the annex.");
    first.placement = Placement::Thread {
        page: Some(2),
        audience: Audience::Staff, // ignored for guests
    };
    let root = comments::post_as_guest(&h.core, &jane, first, &meta())
        .await
        .unwrap();
    assert_eq!(
        (root.page, root.mine, root.author.email.clone()),
        (Some(2), true, None)
    );
    let heard = crate::common::heard(
        &mut live,
        Interest {
            documents: &followed,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        heard,
        Heard::Document(HeardDocument::now(DocumentEvent::new(
            &admin.org_id,
            &doc,
            Topic::Comments
        )))
    );
    assert!(matches!(
        comments::post_as_guest(&h.core, &bob, thread(&doc, "me too"), &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(guest_sees(&h, &bob, &doc).await.is_empty());

    // Staff see it with its author's address and audience; their reply reaches Jane, who
    // by default sees "Staff of Acme", not the name.
    let staff_view = comments::for_staff(&h.core, &admin, &doc, None, 0)
        .await
        .unwrap();
    let jane_root = &staff_view.items[0];
    assert_eq!(
        jane_root.author.email.as_deref(),
        Some("jane@counsel.example")
    );
    assert_eq!(jane_root.author.organisation, "counsel.example");
    assert_eq!(jane_root.audience[0].share_id, jane_share);
    assert_eq!(jane_root.audience[0].recipient, "Jane");
    comments::post_as_staff(
        &h.core,
        &admin,
        reply(&doc, &root.id, "Fixed in rev 2."),
        &meta(),
    )
    .await
    .unwrap();
    let jane_view = comments::for_guest(&h.core, &jane, &doc, 0).await.unwrap();
    assert_eq!(jane_view.items.len(), 2);
    assert_eq!(jane_view.items[1].author.kind, AuthorKind::Staff);
    assert_eq!(jane_view.items[1].author.name, "Staff of Acme");
    assert!(jane_view.items[1].author.email.is_none());
    // The organisation may show staff names instead.
    let mut p = policy::get(&h.core, &admin).await.unwrap();
    p.guests_see_staff_names = true;
    policy::set(&h.core, &admin, p, &meta()).await.unwrap();
    let named = comments::for_guest(&h.core, &jane, &doc, 0).await.unwrap();
    assert_eq!(named.items[1].author.name, admin.name);

    // A thread for Bob's share only; one for staff only; an item-wide one for both, which
    // only those who moderate may open.
    comments::post_as_staff(
        &h.core,
        &admin,
        staff_thread(&doc, "Bob: see page 3.", Audience::Share(bob_share.clone())),
        &meta(),
    )
    .await
    .unwrap();
    comments::post_as_staff(
        &h.core,
        &admin,
        staff_thread(&doc, "Internal: hold.", Audience::Staff),
        &meta(),
    )
    .await
    .unwrap();
    let controller = as_role(&admin, Role::Controller, &admin.user_id);
    let both = Audience::Shares(vec![jane_share.clone(), bob_share.clone()]);
    assert!(matches!(
        comments::post_as_staff(
            &h.core,
            &controller,
            staff_thread(&doc, "All:", both.clone()),
            &meta()
        )
        .await,
        Err(ServiceError::Forbidden(_))
    ));
    comments::post_as_staff(
        &h.core,
        &admin,
        staff_thread(&doc, "All: hearing moved.", both),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        guest_sees(&h, &jane, &doc).await,
        [
            "Clause 4 contradicts the annex.",
            "Fixed in rev 2.",
            "All: hearing moved."
        ]
    );
    assert_eq!(
        guest_sees(&h, &bob, &doc).await,
        ["Bob: see page 3.", "All: hearing moved."]
    );
    // Guests are told that others read the item-wide thread (not who).
    let bobs = comments::for_guest(&h.core, &bob, &doc, 0)
        .await
        .unwrap()
        .items;
    assert_eq!((bobs[0].shared, bobs[1].shared), (false, true));
    assert!(bobs[1].audience.is_empty());
    assert_eq!(
        comments::for_staff(&h.core, &admin, &doc, None, 0)
            .await
            .unwrap()
            .items
            .len(),
        5
    );
    // The share page's view: what that share's guest reads.
    assert_eq!(
        comments::for_staff(&h.core, &admin, &doc, Some(&bob_share), 0)
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    // A share's audience is named only from shares of this document.
    let other_doc = upload(&h, &admin, "Unrelated").await;
    let (other_share, outsider) = guest(&h, &admin, &other_doc, "Eve", Permission::Comment).await;
    assert!(matches!(
        comments::post_as_staff(
            &h.core,
            &admin,
            staff_thread(&doc, "x", Audience::Share(other_share)),
            &meta()
        )
        .await,
        Err(ServiceError::Invalid {
            field: "audience",
            ..
        })
    ));
    // A guest of another document can neither read nor reply to this one's threads.
    assert!(matches!(
        comments::for_guest(&h.core, &outsider, &doc, 0).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        comments::post_as_guest(
            &h.core,
            &outsider,
            reply(&other_doc, &root.id, "hi"),
            &meta()
        )
        .await,
        Err(ServiceError::NotFound(_))
    ));
    // Bob cannot reply into Jane's thread even by its id (he may not write at all; Jane's
    // share may, but not into a thread it does not read).
    let bobs_thread = comments::for_guest(&h.core, &bob, &doc, 0)
        .await
        .unwrap()
        .items[0]
        .id
        .clone();
    assert!(matches!(
        comments::post_as_guest(&h.core, &jane, reply(&doc, &bobs_thread, "peek"), &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    // Another organisation sees none of it.
    let globex = org(&h, "Globex").await;
    assert!(matches!(
        comments::for_staff(&h.core, &globex, &doc, None, 0).await,
        Err(ServiceError::NotFound(_))
    ));

    // Catching up: nothing after the last change; an edit comes again with a new number.
    let page = comments::for_guest(&h.core, &jane, &doc, 0).await.unwrap();
    assert!(!page.more);
    assert!(comments::for_guest(&h.core, &jane, &doc, page.last_rev)
        .await
        .unwrap()
        .items
        .is_empty());
    comments::edit_as_guest(
        &h.core,
        &jane,
        &root.id,
        "Clause 4 contradicts annex B.",
        &meta(),
    )
    .await
    .unwrap();
    let since = comments::for_guest(&h.core, &jane, &doc, page.last_rev)
        .await
        .unwrap();
    assert_eq!(since.items.len(), 1);
    assert_eq!(
        (since.items[0].id.as_str(), since.items[0].edited),
        (root.id.as_str(), true)
    );
    assert!(since.last_rev > page.last_rev);

    // Audited with the text (the export carries the conversation).
    let posted = events(&h, &admin, "comment.posted").await;
    assert_eq!(posted.len(), 5);
    assert!(posted
        .iter()
        .any(|d| d["body"] == "Clause 4 contradicts the annex." && d["page"] == 2));
    let edited = events(&h, &admin, "comment.edited").await;
    assert_eq!(edited[0]["before"], "Clause 4 contradicts the annex.");
}

async fn authors_change_their_own_for_fifteen_minutes_and_admins_moderate(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = upload(&h, &admin, "Brief").await;
    let (jane_share, jane) = guest(&h, &admin, &doc, "Jane", Permission::Edit).await;
    let c = comments::post_as_guest(&h.core, &jane, thread(&doc, "First thought."), &meta())
        .await
        .unwrap();
    assert!(c.editable_until.is_some() && c.may_delete);
    comments::edit_as_guest(&h.core, &jane, &c.id, "Second thought.", &meta())
        .await
        .unwrap();
    // Another session of the same link is not the author.
    let token_holder = {
        let link = shares::copy_link(&h.core, &admin, &jane_share, &meta())
            .await
            .unwrap();
        guest_session(&h, link.expose_secret().rsplit('/').next().unwrap()).await
    };
    assert!(matches!(
        comments::edit_as_guest(&h.core, &token_holder, &c.id, "hijack", &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    // Staff who did not write it may not edit it either.
    assert!(matches!(
        comments::edit_as_staff(&h.core, &admin, &c.id, "rewrite", &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    // After 15 minutes the author can no longer change it.
    h.clock.advance(time::Duration::minutes(16));
    let jane = access::authenticate(&h.core, &renewed(&h, &jane).await, &meta())
        .await
        .unwrap();
    assert!(matches!(
        comments::edit_as_guest(&h.core, &jane, &c.id, "Third thought.", &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        comments::delete_as_guest(&h.core, &jane, &c.id, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    let seen = comments::for_guest(&h.core, &jane, &doc, 0).await.unwrap();
    assert!(seen.items[0].editable_until.is_none() && !seen.items[0].may_delete);
    // An administrator moderates at any time; the comment keeps its place, emptied.
    comments::delete_as_staff(&h.core, &admin, &c.id, &meta())
        .await
        .unwrap();
    let after = comments::for_guest(&h.core, &jane, &doc, 0).await.unwrap();
    assert_eq!(
        (after.items[0].deleted, after.items[0].body.as_str()),
        (Some(Deletion::Moderator), "")
    );
    assert!(matches!(
        comments::delete_as_staff(&h.core, &admin, &c.id, &meta()).await,
        Err(ServiceError::Conflict(_))
    ));
    let deleted = events(&h, &admin, "comment.deleted").await;
    assert_eq!(
        (deleted[0]["by"].as_str(), deleted[0]["body"].as_str()),
        (Some("moderator"), Some("Second thought."))
    );

    // A controller writes and deletes their own, but not someone else's; an auditor reads only.
    let controller = as_role(&admin, Role::Controller, "controller-1");
    let own = comments::post_as_staff(&h.core, &controller, thread(&doc, "Mine."), &meta())
        .await
        .unwrap();
    let admins = comments::post_as_staff(&h.core, &admin, thread(&doc, "Admin's."), &meta())
        .await
        .unwrap();
    assert!(matches!(
        comments::delete_as_staff(&h.core, &controller, &admins.id, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    comments::delete_as_staff(&h.core, &controller, &own.id, &meta())
        .await
        .unwrap();
    let auditor = as_role(&admin, Role::Auditor, "auditor-1");
    assert!(matches!(
        comments::post_as_staff(&h.core, &auditor, thread(&doc, "note"), &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert_eq!(
        comments::for_staff(&h.core, &auditor, &doc, None, 0)
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    // A share lowered to "view" ends its guest's writing, their own recent comments included.
    let (_, lowered) = guest(&h, &admin, &doc, "Lou", Permission::Comment).await;
    let lou = comments::post_as_guest(&h.core, &lowered, thread(&doc, "ok"), &meta())
        .await
        .unwrap();
    // An author changes one comment at most MAX_EDITS times.
    let (_, eddie) = guest(&h, &admin, &doc, "Eddie", Permission::Comment).await;
    let busy = comments::post_as_guest(&h.core, &eddie, thread(&doc, "v0"), &meta())
        .await
        .unwrap();
    for n in 1..=MAX_EDITS {
        comments::edit_as_guest(&h.core, &eddie, &busy.id, &format!("v{n}"), &meta())
            .await
            .unwrap();
    }
    assert!(matches!(
        comments::edit_as_guest(&h.core, &eddie, &busy.id, "one more", &meta()).await,
        Err(ServiceError::TooMany { .. })
    ));
    // An administrator removes their own old comment, as a moderator.
    h.clock.advance(time::Duration::minutes(16));
    comments::delete_as_staff(&h.core, &admin, &admins.id, &meta())
        .await
        .unwrap();
    let lowered = access::authenticate(&h.core, &renewed(&h, &lowered).await, &meta())
        .await
        .unwrap();
    shares::change(
        &h.core,
        &admin,
        &lowered.share_id,
        shares::ShareChange {
            permission: Some(Permission::View),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    assert!(matches!(
        comments::delete_as_guest(&h.core, &lowered, &lou.id, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
}

/// The session renewed past the clock's jump (sessions last 15 minutes).
async fn renewed(h: &Harness, g: &Guest) -> String {
    access::renew(&h.core, g, &meta())
        .await
        .unwrap()
        .access_token
}

async fn bad_comments_are_refused_by_field_and_store_nothing(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = upload(&h, &admin, "Brief").await;
    let (_, jane) = guest(&h, &admin, &doc, "Jane", Permission::Comment).await;
    let field = |r: Result<comments::CommentView, ServiceError>| match r {
        Err(ServiceError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    };
    assert_eq!(
        field(comments::post_as_guest(&h.core, &jane, thread(&doc, "   "), &meta()).await),
        "body"
    );
    let long = "é".repeat(MAX_BODY + 1);
    assert_eq!(
        field(comments::post_as_guest(&h.core, &jane, thread(&doc, &long), &meta()).await),
        "body"
    );
    let exactly = "é".repeat(MAX_BODY);
    let mut on_page_zero = thread(&doc, "p0");
    on_page_zero.placement = Placement::Thread {
        page: Some(0),
        audience: Audience::Staff,
    };
    assert_eq!(
        field(comments::post_as_guest(&h.core, &jane, on_page_zero, &meta()).await),
        "page"
    );
    // Text that would display in another order than it reads, or carries control bytes.
    for spoof in [
        "pay \u{202E}0001$ to us",
        "bell\u{7}",
        "isolate \u{2067}x\u{2069}",
    ] {
        assert_eq!(
            field(comments::post_as_guest(&h.core, &jane, thread(&doc, spoof), &meta()).await),
            "body"
        );
    }
    assert!(matches!(
        comments::post_as_guest(&h.core, &jane, reply(&doc, "no-such-comment", "x"), &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(comments::for_staff(&h.core, &admin, &doc, None, 0)
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(events(&h, &admin, "comment.posted").await.is_empty());
    // The longest allowed is kept whole.
    let kept = comments::post_as_guest(&h.core, &jane, thread(&doc, &exactly), &meta())
        .await
        .unwrap();
    assert_eq!(kept.body.chars().count(), MAX_BODY);
    assert_eq!(kept.rev, 1, "refused comments took no change number");
}

async fn the_guest_cap_holds_under_concurrency(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = upload(&h, &admin, "Brief").await;
    let (_, jane) = guest(&h, &admin, &doc, "Jane", Permission::Comment).await;
    for i in 0..MAX_GUEST_COMMENTS - 5 {
        comments::post_as_guest(&h.core, &jane, thread(&doc, &format!("n{i}")), &meta())
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let core = h.core.clone();
            let jane = jane.clone();
            let doc = doc.clone();
            tokio::spawn(async move {
                comments::post_as_guest(&core, &jane, thread(&doc, &format!("race {i}")), &meta())
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(ServiceError::TooMany { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(accepted, 5);
    let staff = comments::for_staff(&h.core, &admin, &doc, None, MAX_GUEST_COMMENTS - 10)
        .await
        .unwrap();
    assert_eq!(staff.items.len(), 10);
    // Staff are not capped by a guest's count.
    comments::post_as_staff(&h.core, &admin, thread(&doc, "still here"), &meta())
        .await
        .unwrap();
}

async fn the_owner_hears_at_most_once_per_fifteen_minutes(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = upload(&h, &admin, "Brief").await;
    let (_, jane) = guest(&h, &admin, &doc, "Jane", Permission::Comment).await;
    let secret_text = "The witness is in Lyon";
    comments::post_as_guest(&h.core, &jane, thread(&doc, secret_text), &meta())
        .await
        .unwrap();
    comments::post_as_guest(&h.core, &jane, thread(&doc, "and a second"), &meta())
        .await
        .unwrap();
    // Staff comments never make a digest.
    comments::post_as_staff(&h.core, &admin, thread(&doc, "noted"), &meta())
        .await
        .unwrap();
    assert_eq!(digest::send_due(&h.core).await.unwrap(), 1);
    let mail = local_mail(&h, &admin, "admin@acme.example.org", "new comments on").await;
    assert!(mail.contains("Jane wrote 2 new comments"), "{mail}");
    assert!(
        !mail.contains(secret_text),
        "the text stays out of mail: {mail}"
    );
    // More comments soon after wait for the interval.
    h.clock.advance(time::Duration::minutes(5));
    let jane = access::authenticate(&h.core, &renewed(&h, &jane).await, &meta())
        .await
        .unwrap();
    comments::post_as_guest(&h.core, &jane, thread(&doc, "third"), &meta())
        .await
        .unwrap();
    assert_eq!(digest::send_due(&h.core).await.unwrap(), 0);
    h.clock.advance(time::Duration::minutes(10));
    assert_eq!(digest::send_due(&h.core).await.unwrap(), 1);
    let mail = local_mail(&h, &admin, "admin@acme.example.org", "a new comment on").await;
    assert!(mail.contains("Jane wrote a new comment"), "{mail}");
    assert_eq!(digest::send_due(&h.core).await.unwrap(), 0);
}

async fn presence_shows_each_reader_what_they_may_see_and_dead_nodes_fade(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = upload(&h, &admin, "Brief").await;
    let (_, jane) = guest(&h, &admin, &doc, "Jane", Permission::Comment).await;
    let (_, bob) = guest(&h, &admin, &doc, "Bob", Permission::View).await;
    let mut colleague = as_role(&admin, Role::Controller, "colleague-1");
    colleague.name = "Colin Controller".into();
    let mut live = h.core.revocations.subscribe();
    let followed = [DocumentRef {
        org_id: admin.org_id.clone(),
        document_id: doc.clone(),
    }];
    let jane_entry = presence::enter(&h.core, Present::Guest(&jane), &doc)
        .await
        .unwrap();
    assert_eq!(
        crate::common::heard(
            &mut live,
            Interest {
                documents: &followed,
                ..Default::default()
            }
        )
        .await,
        Heard::Document(HeardDocument::now(DocumentEvent::new(
            &admin.org_id,
            &doc,
            Topic::Presence { staff: false }
        )))
    );
    presence::enter(&h.core, Present::Guest(&bob), &doc)
        .await
        .unwrap();
    let admin_entry = presence::enter(&h.core, Present::Staff(&admin), &doc)
        .await
        .unwrap();
    presence::enter(&h.core, Present::Staff(&colleague), &doc)
        .await
        .unwrap();
    // A second page of the same guest shows them once.
    presence::enter(&h.core, Present::Guest(&jane), &doc)
        .await
        .unwrap();

    let names = |v: Vec<presence::Viewer>| {
        v.into_iter()
            .map(|v| format!("{} ({})", v.name, v.organisation))
            .collect::<Vec<_>>()
    };
    let org_id = admin.org_id.clone();
    let seen_by = |reader: Reader| {
        let (core, org_id, doc) = (h.core.clone(), org_id.clone(), doc.clone());
        async move {
            presence::viewers(&core, &reader, &org_id, &doc)
                .await
                .unwrap()
        }
    };
    // Staff see every guest and their colleagues, not themselves.
    assert_eq!(
        names(seen_by(Reader::of_staff(&admin)).await),
        [
            "Jane (counsel.example)",
            "Bob (counsel.example)",
            "Colin Controller (Acme)"
        ]
    );
    // A guest sees staff only, by default as "Staff of Acme" (once), never other guests.
    assert_eq!(
        names(seen_by(Reader::of_guest(&bob)).await),
        ["Staff of Acme (Acme)"]
    );

    // Typing: a guest hears of staff typing only in a thread their share reads.
    let janes_thread = comments::post_as_guest(&h.core, &jane, thread(&doc, "Question"), &meta())
        .await
        .unwrap()
        .id;
    let typist = |reader: Reader, thread: Option<String>| {
        let (core, org_id, doc, entry) = (
            h.core.clone(),
            org_id.clone(),
            doc.clone(),
            admin_entry.clone(),
        );
        async move {
            presence::typist(&core, &reader, &org_id, &doc, &entry, thread.as_deref())
                .await
                .unwrap()
                .map(|v| v.name)
        }
    };
    assert_eq!(
        typist(Reader::of_guest(&jane), Some(janes_thread.clone()))
            .await
            .as_deref(),
        Some("Staff of Acme")
    );
    assert_eq!(
        typist(Reader::of_guest(&bob), Some(janes_thread.clone())).await,
        None
    );
    assert_eq!(typist(Reader::of_guest(&jane), None).await, None);
    assert_eq!(
        typist(Reader::of_staff(&colleague), None).await.as_deref(),
        Some(admin.name.as_str())
    );
    // Bob may not even announce typing in Jane's thread.
    assert!(matches!(
        presence::may_type_in(
            &h.core,
            &Reader::of_guest(&bob),
            &org_id,
            &doc,
            &janes_thread
        )
        .await,
        Err(ServiceError::NotFound(_))
    ));

    // Leaving removes the entry.
    presence::leave(&h.core, Present::Guest(&jane), &doc, &jane_entry)
        .await
        .unwrap();
    assert_eq!(
        seen_by(Reader::of_staff(&admin)).await.len(),
        3,
        "Jane's second page is still open"
    );

    // A node that died: its entry is nobody's to keep alive; after the TTL the next heartbeat
    // of any node removes it and announces the change. This node's own entries live on.
    backend::store::presence::insert(
        h.core.db.pool(),
        &backend::store::presence::PresenceRow {
            id: "ghost".into(),
            org_id: org_id.clone(),
            document_id: doc.clone(),
            node_id: "a-node-that-died".into(),
            kind: "guest".into(),
            user_id: None,
            share_id: None,
            name: "Ghost".into(),
            organisation: "gone.example".into(),
            since: h.core.now_ms(),
            expires_at: h.core.now_ms() + presence::TTL_MS,
        },
    )
    .await
    .unwrap();
    assert!(
        names(seen_by(Reader::of_staff(&admin)).await).contains(&"Ghost (gone.example)".to_owned())
    );
    h.clock
        .advance(time::Duration::seconds(presence::TTL_MS / 1000 - 30));
    presence::heartbeat(&h.core).await.unwrap();
    h.clock.advance(time::Duration::seconds(31));
    let mut after = h.core.revocations.subscribe();
    presence::heartbeat(&h.core).await.unwrap();
    assert_eq!(
        crate::common::heard(
            &mut after,
            Interest {
                documents: &followed,
                ..Default::default()
            }
        )
        .await,
        Heard::Document(HeardDocument::now(DocumentEvent::new(
            &admin.org_id,
            &doc,
            Topic::Presence { staff: true }
        )))
    );
    let now_seen = names(seen_by(Reader::of_staff(&admin)).await);
    assert!(
        !now_seen.contains(&"Ghost (gone.example)".to_owned()),
        "{now_seen:?}"
    );
    assert_eq!(
        now_seen.len(),
        3,
        "this node's entries were kept alive: {now_seen:?}"
    );
}
