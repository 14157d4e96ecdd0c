//! The document register (issue 12, part 3) on both engines: revisions of a document, the
//! register listing the current one, shares pinned to the revision they were made of.

use crate::common::{org_admin, Harness};
use backend::actor::RequestMeta;
use backend::services::documents::{self, Upload};
use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
use backend::services::{audit_log, policy, ServiceError};

both_engines!(a_new_revision_leads_the_register_and_old_shares_keep_theirs);

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
    let share = shares::create(
        &h.core,
        &admin,
        NewShare {
            item: SharedItem::Document(first.id.clone()),
            recipients: vec![Recipient {
                name: "Jane Counsel".into(),
                email: "jane@lawfirm.example".into(),
            }],
            expiry: Expiry::Days(7),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap()
    .remove(0)
    .share;

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
    // The share still covers the revision it was made of.
    let still = shares::get(&h.core, &admin, &share.id).await.unwrap();
    assert_eq!(still.item.id, first.id);
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
