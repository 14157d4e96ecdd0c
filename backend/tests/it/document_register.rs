//! The document register (issue 12, part 3) on both engines: revisions of a document, the
//! register listing the current one, shares pinned to the revision they were made of.

use crate::common::{org_admin, Harness};
use backend::actor::RequestMeta;
use backend::services::documents::{self, Describe, Upload};
use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
use backend::services::{audit_log, policy, ServiceError};

both_engines!(
    a_new_revision_leads_the_register_and_old_shares_keep_theirs,
    an_upload_is_numbered_and_filed,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.11".parse().unwrap()), Some("test-agent"))
}

async fn staged(h: &Harness, who: &backend::actor::Staff, text: &str) -> documents::StagedDocument {
    documents::stage(
        &h.core,
        who,
        "plan.txt",
        backend::services::uploads::once(bytes::Bytes::from(text.to_owned())),
    )
    .await
    .unwrap()
}

/// A week's share of the document `id` for `"Name <email>"`.
async fn share_of(
    h: &Harness,
    who: &backend::actor::Staff,
    id: &str,
    recipient: &str,
) -> shares::ShareView {
    let (name, email) = recipient.trim_end_matches('>').split_once(" <").unwrap();
    shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(id.to_owned()),
            recipients: vec![Recipient {
                name: name.into(),
                email: email.into(),
            }],
            expiry: Expiry::Days(7),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap()
    .remove(0)
    .share
}

async fn a_new_revision_leads_the_register_and_old_shares_keep_theirs(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let first = documents::upload(
        &h.core,
        &admin,
        Upload {
            title: "Site plan".into(),
            file_name: "plan.txt".into(),
            bytes: "revision one".into(),
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        (first.revision, first.family_id.as_str()),
        (1, first.id.as_str())
    );
    let project = policy::create_project(&h.core, &admin, "Harbour", &meta())
        .await
        .unwrap();
    policy::assign_document(&h.core, &admin, &first.id, Some(&project.id), &meta())
        .await
        .unwrap();
    let share = share_of(&h, &admin, &first.id, "Jane Counsel <jane@lawfirm.example>").await;

    // A revision keeps the family, the title (none given) and the project.
    let file = staged(&h, &admin, "revision two").await;
    let second =
        documents::adopt_revision(&h.core, &admin, &first.id, String::new(), file, &meta())
            .await
            .unwrap();
    assert_eq!(second.family_id, first.id);
    assert_eq!(second.revision, 2);
    assert_eq!(second.title, "Site plan");
    let in_project =
        backend::store::policies::document_project(h.core.db.pool(), &admin.org_id, &second.id)
            .await
            .unwrap();
    assert_eq!(in_project, Some(Some(project.id.clone())));
    // Named by any of its revisions, the next one is 3.
    let file = staged(&h, &admin, "revision three").await;
    let third = documents::adopt_revision(
        &h.core,
        &admin,
        &first.id,
        "Site plan (final)".into(),
        file,
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        (third.revision, third.title.as_str()),
        (3, "Site plan (final)")
    );

    // The register lists the current revision only; the history lists all, newest first.
    let register = documents::list(&h.core, &admin).await.unwrap();
    assert_eq!(
        register.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [third.id.as_str()]
    );
    let history = documents::revisions(&h.core, &admin, &second.id)
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|d| d.revision).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    // The share still covers the revision it was made of, and is flagged as revised.
    let still = shares::get(&h.core, &admin, &share.id).await.unwrap();
    assert_eq!(still.item.id, first.id);
    assert!(still.revised);
    // The document's Shares panel: its shares, whichever revision names it.
    for named in [&first.id, &third.id] {
        let panel = shares::list(
            &h.core,
            &admin,
            shares::ShareFilter {
                document_id: Some(named.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
        assert_eq!(
            panel.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            [share.id.as_str()]
        );
    }
    // A share of the current revision is not flagged.
    let fresh = share_of(&h, &admin, &third.id, "Raj Auditor <raj@audit.example>").await;
    assert!(
        !shares::get(&h.core, &admin, &fresh.id)
            .await
            .unwrap()
            .revised
    );

    // The document's Activity tab: events about any of its revisions, by type or group.
    let activity = |event_type: Option<&str>| {
        let filter = audit_log::AuditFilter {
            document: Some(second.id.clone()),
            event_type: event_type.map(str::to_owned),
            ..Default::default()
        };
        let (h, admin) = (&h, &admin);
        async move {
            let mut kinds: Vec<String> = audit_log::list(&h.core, admin, filter)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|e| e.event_type)
                .collect();
            kinds.sort();
            kinds
        }
    };
    let all = activity(None).await;
    let count = |kind: &str| all.iter().filter(|k| *k == kind).count();
    assert_eq!(
        (
            count("document.uploaded"),
            count("document.revised"),
            count("document.moved"),
            count("share.created")
        ),
        (1, 2, 1, 2),
        "{all:?}"
    );
    let guest = activity(Some("guest_share")).await;
    assert_eq!(guest.len(), all.len() - 4, "{guest:?}");
    assert!(guest.iter().all(|k| k.starts_with("share.")));
    assert_eq!(activity(Some("document.revised")).await.len(), 2);
    assert!(matches!(
        audit_log::list(
            &h.core,
            &admin,
            audit_log::AuditFilter {
                document: Some(first.id.clone()),
                item_id: Some(first.id.clone()),
                ..Default::default()
            },
        )
        .await,
        Err(ServiceError::Invalid {
            field: "document",
            ..
        })
    ));

    // Moving a document moves every revision of it.
    policy::assign_document(&h.core, &admin, &third.id, None, &meta())
        .await
        .unwrap();
    for rev in documents::revisions(&h.core, &admin, &first.id)
        .await
        .unwrap()
    {
        assert_eq!(rev.project_id, None, "revision {}", rev.revision);
    }
    // Audited as a revision.
    let log = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("document.revised".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].details["revision"], 3);

    // Another organisation cannot revise it; nothing is written.
    let other = org_admin(&h, "Globex").await;
    let file = staged(&h, &other, "intruder").await;
    assert!(matches!(
        documents::adopt_revision(&h.core, &other, &first.id, String::new(), file, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(
        documents::revisions(&h.core, &admin, &first.id)
            .await
            .unwrap()
            .len(),
        3
    );
}

async fn an_upload_is_numbered_and_filed(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let project = policy::create_project(&h.core, &admin, "Harbour", &meta())
        .await
        .unwrap();
    let about = |number: &str, project_id: &str| Describe {
        title: "Survey".into(),
        number: Some(number.into()),
        project_id: Some(project_id.into()),
    };
    let file = staged(&h, &admin, "one").await;
    let doc = documents::adopt(
        &h.core,
        &admin,
        about(" DOC-0042 ", &project.id),
        file,
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(doc.number.as_deref(), Some("DOC-0042"));
    assert_eq!(doc.project_id.as_deref(), Some(project.id.as_str()));
    // A revision keeps both.
    let file = staged(&h, &admin, "two").await;
    let next = documents::adopt_revision(&h.core, &admin, &doc.id, String::new(), file, &meta())
        .await
        .unwrap();
    assert_eq!(
        (next.number.as_deref(), next.project_id.as_deref()),
        (Some("DOC-0042"), Some(project.id.as_str()))
    );

    // Bad input is refused on its field, and nothing is written.
    let elsewhere =
        policy::create_project(&h.core, &org_admin(&h, "Globex").await, "Theirs", &meta())
            .await
            .unwrap();
    for (about, field) in [
        (about("DOC-1", "no-such-project"), "project_id"),
        (about("DOC-1", &elsewhere.id), "project_id"),
        (about(&"9".repeat(51), &project.id), "number"),
    ] {
        let file = staged(&h, &admin, "three").await;
        match documents::adopt(&h.core, &admin, about, file, &meta()).await {
            Err(ServiceError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(documents::list(&h.core, &admin).await.unwrap().len(), 1);
}
