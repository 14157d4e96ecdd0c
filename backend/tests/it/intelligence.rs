//! 28 CFR Part 23 (issue 14, part 6) on both engines: flags on documents and records, who
//! may receive a flagged item and under what justification, the dissemination record and
//! its export, the five-yearly review that retains or purges, and what a purge leaves.

use backend::actor::{RequestMeta, Staff};
use backend::domain::intelligence::{IntelItemKind, Reliability, Validity};
use backend::domain::staff::Role;
use backend::domain::{Method, ShareStatus};
use backend::services::comments::{self, Audience, NewComment, Placement};
use backend::services::intelligence::{self, DisseminationFilter, DisseminationFormat, FlagInput};
use backend::services::partners::{self, PartnerInput};
use backend::services::records::{self, DocumentInput, RecordInput};
use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
use backend::services::ServiceError;
use serde_json::json;

use crate::common::{org_admin, text_document, Harness};

both_engines!(
    criminal_intelligence_goes_only_to_law_enforcement_under_a_justification,
    a_review_retains_or_purges_and_the_dissemination_record_stays,
    a_share_that_is_not_cleared_for_what_it_carries_now_is_refused_at_its_next_request,
    the_queue_says_when_more_follow_and_the_record_is_read_whole_or_refused,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.27".parse().unwrap()), Some("test-agent"))
}

const WHY: &str = "Task force 7 investigates the Ghent depot thefts; Det. Ada Byron leads it.";

fn flag(agency: &str, submitted_at: Option<String>) -> FlagInput {
    FlagInput {
        submitting_agency: agency.into(),
        reliability: Reliability::B,
        validity: Validity::ProbablyTrue,
        submitted_at,
    }
}

async fn partner(h: &Harness, admin: &Staff, name: &str, domain: &str, police: bool) -> String {
    partners::create_partner(
        &h.core,
        admin,
        PartnerInput {
            name: name.into(),
            domains: vec![domain.into()],
            enabled: true,
            law_enforcement: Some(police),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id
}

async fn share(
    h: &Harness,
    who: &Staff,
    item: SharedItem,
    method: Method,
    email: &str,
    justification: Option<&str>,
) -> Result<Vec<shares::CreatedShare>, ServiceError> {
    shares::create(
        &h.core,
        who,
        NewShare {
            item,
            method: Some(method),
            recipients: vec![Recipient {
                name: "Ada Byron".into(),
                email: email.into(),
            }],
            expiry: Expiry::Days(7),
            justification: justification.map(str::to_owned),
            ..Default::default()
        },
        &meta(),
    )
    .await
}

fn refused_on(r: Result<Vec<shares::CreatedShare>, ServiceError>, field: &str, says: &str) {
    match r {
        Err(ServiceError::Invalid { field: f, message }) => {
            assert_eq!(f, field, "{message}");
            assert!(message.contains(says), "{message}");
        }
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("shared although it should be refused on {field}"),
    }
}

async fn count(h: &Harness, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(h.core.db.pool())
        .await
        .unwrap()
}

async fn events(h: &Harness, who: &Staff, kind: &str) -> Vec<serde_json::Value> {
    backend::services::audit_log::list(
        &h.core,
        who,
        backend::services::audit_log::AuditFilter {
            event_type: Some(kind.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|e| serde_json::to_value(e).unwrap())
    .collect()
}

async fn record(h: &Harness, who: &Staff, title: &str, documents: Vec<DocumentInput>) -> String {
    let mut input: RecordInput = serde_json::from_value(json!({
        "record_type": "case", "title": title,
        "fields": {"suspect": "CANARY-SUSPECT"},
        "history": [{"occurred_at": "2026-11-02T08:00:00Z", "process": "observed"}]
    }))
    .unwrap();
    input.documents = documents;
    records::create(&h.core, who, input, &meta())
        .await
        .unwrap()
        .summary
        .id
}

async fn criminal_intelligence_goes_only_to_law_enforcement_under_a_justification(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    partner(&h, &admin, "Ghent Police", "police.example", true).await;
    partner(&h, &admin, "Law Firm", "lawfirm.example", false).await;
    let doc = text_document(&h, &admin, "Informant report").await;
    let controller =
        crate::staff_accounts::member(&h, &admin, "cora@acme.example", Role::Controller).await;
    let auditor =
        crate::staff_accounts::member(&h, &admin, "udo@acme.example", Role::Auditor).await;

    // An auditor may read flags but not set them; a controller flags.
    assert!(matches!(
        intelligence::set_flag(
            &h.core,
            &auditor,
            IntelItemKind::Document,
            &doc,
            flag("Ghent PD", None),
            &meta()
        )
        .await,
        Err(ServiceError::Forbidden(_))
    ));
    let f = intelligence::set_flag(
        &h.core,
        &controller,
        IntelItemKind::Document,
        &doc,
        flag("Ghent PD", None),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(f.submitting_agency, "Ghent PD");
    assert!(!f.due);
    let seen = intelligence::flag_of(&h.core, &auditor, IntelItemKind::Document, &doc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.reliability, Reliability::B);
    // A future submission date is refused and changes nothing.
    let future = flag("Ghent PD", Some("2099-01-01T00:00:00Z".into()));
    assert!(matches!(
        intelligence::set_flag(
            &h.core,
            &admin,
            IntelItemKind::Document,
            &doc,
            future,
            &meta()
        )
        .await,
        Err(ServiceError::Invalid {
            field: "submitted_at",
            ..
        })
    ));

    // Every refusal names what is wrong, and writes nothing.
    let before = (count(&h, "shares").await, count(&h, "disseminations").await);
    let item = || SharedItem::Document(doc.clone());
    refused_on(
        share(
            &h,
            &admin,
            item(),
            Method::Invitation,
            "ada@police.example",
            None,
        )
        .await,
        "justification",
        "need-to-know",
    );
    refused_on(
        share(
            &h,
            &admin,
            item(),
            Method::Invitation,
            "ada@police.example",
            Some("case 7"),
        )
        .await,
        "justification",
        "at least",
    );
    refused_on(
        share(
            &h,
            &admin,
            item(),
            Method::Link,
            "ada@police.example",
            Some(WHY),
        )
        .await,
        "method",
        "identity",
    );
    refused_on(
        share(
            &h,
            &admin,
            item(),
            Method::Invitation,
            "jane@lawfirm.example",
            Some(WHY),
        )
        .await,
        "recipients",
        "Law Firm is not an enabled partner registered as a law-enforcement agency",
    );
    refused_on(
        share(
            &h,
            &admin,
            item(),
            Method::Invitation,
            "eve@elsewhere.example",
            Some(WHY),
        )
        .await,
        "recipients",
        "elsewhere.example belongs to none",
    );
    // A record carrying the document as shown is criminal intelligence too; kept private,
    // the document never reaches the guest and the record shares as any other.
    let carrying = record(
        &h,
        &admin,
        "Depot case",
        vec![DocumentInput {
            document_id: doc.clone(),
            private: false,
        }],
    )
    .await;
    refused_on(
        share(
            &h,
            &admin,
            SharedItem::Record(carrying.clone()),
            Method::Invitation,
            "jane@lawfirm.example",
            None,
        )
        .await,
        "justification",
        "need-to-know",
    );
    assert_eq!(
        before,
        (count(&h, "shares").await, count(&h, "disseminations").await)
    );
    let hiding = record(
        &h,
        &admin,
        "Depot case (redacted)",
        vec![DocumentInput {
            document_id: doc.clone(),
            private: true,
        }],
    )
    .await;
    share(
        &h,
        &admin,
        SharedItem::Record(hiding),
        Method::Invitation,
        "jane@lawfirm.example",
        None,
    )
    .await
    .unwrap();
    assert_eq!(count(&h, "disseminations").await, before.1);

    // To a law-enforcement partner, justified: shared, and recorded.
    let made = share(
        &h,
        &controller,
        item(),
        Method::Invitation,
        "ada@police.example",
        Some(WHY),
    )
    .await
    .unwrap();
    let lines = intelligence::disseminations(&h.core, &auditor, &DisseminationFilter::default())
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line.share_id, made[0].share.id);
    assert_eq!(
        (
            line.item_title.as_str(),
            line.recipient_email.as_str(),
            line.partner_name.as_str()
        ),
        ("Informant report", "ada@police.example", "Ghent Police")
    );
    assert_eq!(line.justification, WHY);
    assert_eq!(
        (line.reliability.as_str(), line.validity.as_str()),
        ("B", "2")
    );
    assert_eq!(line.shared_by, controller.name);
    // The export carries it, and is itself audited.
    let csv = intelligence::export_disseminations(
        &h.core,
        &auditor,
        &DisseminationFilter::default(),
        DisseminationFormat::Csv,
        &meta(),
    )
    .await
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("ada@police.example") && csv.contains("Ghent Police"),
        "{csv}"
    );
    let exported = events(&h, &admin, "audit.exported").await;
    assert_eq!(exported.len(), 1);
    assert_eq!(
        (
            &exported[0]["details"]["record"],
            &exported[0]["details"]["lines"]
        ),
        (&json!("disseminations"), &json!(1))
    );
    let audited = events(&h, &admin, "intel.disseminated").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["details"]["justification"], WHY);
    // A period without it reads empty; a reversed period is refused.
    let empty = intelligence::disseminations(
        &h.core,
        &admin,
        &DisseminationFilter {
            to: Some("2020-01-01T00:00:00Z".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(empty.is_empty());
    assert!(matches!(
        intelligence::disseminations(
            &h.core,
            &admin,
            &DisseminationFilter {
                from: Some("2030-01-01T00:00:00Z".into()),
                to: Some("2020-01-01T00:00:00Z".into()),
                item: None
            },
        )
        .await,
        Err(ServiceError::Invalid { field: "to", .. })
    ));

    // A flagged record: the same rules.
    let case = record(&h, &admin, "Surveillance log", Vec::new()).await;
    intelligence::set_flag(
        &h.core,
        &admin,
        IntelItemKind::Record,
        &case,
        flag("Antwerp PD", None),
        &meta(),
    )
    .await
    .unwrap();
    refused_on(
        share(
            &h,
            &admin,
            SharedItem::Record(case.clone()),
            Method::Invitation,
            "jane@lawfirm.example",
            Some(WHY),
        )
        .await,
        "recipients",
        "Law Firm",
    );
    share(
        &h,
        &admin,
        SharedItem::Record(case),
        Method::Invitation,
        "ada@police.example",
        Some(WHY),
    )
    .await
    .unwrap();
    assert_eq!(count(&h, "disseminations").await, 2);
}

async fn a_review_retains_or_purges_and_the_dissemination_record_stays(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    partner(&h, &admin, "Ghent Police", "police.example", true).await;
    let controller =
        crate::staff_accounts::member(&h, &admin, "cora@acme.example", Role::Controller).await;
    let old = text_document(&h, &admin, "Old informant report").await;
    let fresh = text_document(&h, &admin, "Fresh tip").await;
    // Submitted five years and a day ago: due for review now.
    let long_ago = backend::services::rfc3339(h.core.now() - time::Duration::days(5 * 365 + 2));
    intelligence::set_flag(
        &h.core,
        &admin,
        IntelItemKind::Document,
        &old,
        flag("Ghent PD", Some(long_ago)),
        &meta(),
    )
    .await
    .unwrap();
    intelligence::set_flag(
        &h.core,
        &admin,
        IntelItemKind::Document,
        &fresh,
        flag("Ghent PD", None),
        &meta(),
    )
    .await
    .unwrap();
    let due = intelligence::queue(&h.core, &controller, Some(0))
        .await
        .unwrap();
    assert_eq!((due.items.len(), due.more), (1, false));
    assert_eq!(due.items[0].title, "Old informant report");
    assert!(due.items[0].due);
    assert_eq!(
        intelligence::queue(&h.core, &controller, None)
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    // Overdue, it is not shared until an administrator decides.
    refused_on(
        share(
            &h,
            &admin,
            SharedItem::Document(old.clone()),
            Method::Invitation,
            "ada@police.example",
            Some(WHY),
        )
        .await,
        "item",
        "five-year review",
    );

    // Only administrators decide, and only with a reason.
    assert!(matches!(
        intelligence::retain(
            &h.core,
            &controller,
            IntelItemKind::Document,
            &old,
            "still relevant to case 7",
            &meta()
        )
        .await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        intelligence::retain(
            &h.core,
            &admin,
            IntelItemKind::Document,
            &old,
            "ok",
            &meta()
        )
        .await,
        Err(ServiceError::Invalid {
            field: "reason",
            ..
        })
    ));
    let kept = intelligence::retain(
        &h.core,
        &admin,
        IntelItemKind::Document,
        &old,
        "Still relevant to case 7.",
        &meta(),
    )
    .await
    .unwrap();
    assert!(!kept.due);
    assert!(
        kept.review_due.as_str() > "2031-01-01",
        "{}",
        kept.review_due
    );
    assert!(intelligence::queue(&h.core, &admin, Some(0))
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(events(&h, &admin, "intel.retained").await.len(), 1);

    // Shared, then purged: its shares end, its content and file go, the record stays.
    let made = share(
        &h,
        &admin,
        SharedItem::Document(old.clone()),
        Method::Invitation,
        "ada@police.example",
        Some(WHY),
    )
    .await
    .unwrap();
    let share_id = made[0].share.id.clone();
    let blob: String = sqlx::query_scalar("SELECT blob_key FROM documents WHERE id = $1")
        .bind(&old)
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert!(h.core.blobs.get(&blob).await.is_ok());
    // Staff discussed it: the purge deletes the comment as a change staff readers see.
    let note = comments::post_as_staff(
        &h.core,
        &admin,
        NewComment {
            document_id: old.clone(),
            placement: Placement::Thread {
                page: None,
                audience: Audience::Staff,
            },
            body: "The informant is Ada's neighbour.".into(),
        },
        &meta(),
    )
    .await
    .unwrap();
    let purged = intelligence::purge(
        &h.core,
        &admin,
        IntelItemKind::Document,
        &old,
        "No longer relevant or valid.",
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!((purged.shares_revoked, purged.files_deleted), (1, 1));
    let s = shares::get(&h.core, &admin, &share_id).await.unwrap();
    assert_eq!(s.status, ShareStatus::Revoked);
    assert!(
        h.core.blobs.get(&blob).await.is_err(),
        "the file is deleted"
    );
    let (title, sha): (String, String) =
        sqlx::query_as("SELECT title, sha256 FROM documents WHERE id = $1")
            .bind(&old)
            .fetch_one(h.core.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (title.as_str(), sha.as_str()),
        ("Purged (28 CFR Part 23)", "")
    );
    let changed = comments::for_staff(&h.core, &admin, &old, None, note.rev)
        .await
        .unwrap();
    assert_eq!(
        changed.items.len(),
        1,
        "the deletion is a change after the post"
    );
    assert_eq!(changed.items[0].id, note.id);
    assert!(changed.items[0].deleted.is_some() && changed.items[0].body.is_empty());
    let lines = intelligence::disseminations(&h.core, &admin, &DisseminationFilter::default())
        .await
        .unwrap();
    assert_eq!(
        lines.len(),
        1,
        "the dissemination record outlives the purge"
    );
    assert_eq!(lines[0].item_title, "Old informant report");
    assert_eq!(events(&h, &admin, "intel.purged").await.len(), 1);
    // Purged is final: not purged twice, flagged again or shared.
    assert!(matches!(
        intelligence::purge(
            &h.core,
            &admin,
            IntelItemKind::Document,
            &old,
            "No longer relevant or valid.",
            &meta()
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(matches!(
        intelligence::set_flag(
            &h.core,
            &admin,
            IntelItemKind::Document,
            &old,
            flag("Ghent PD", None),
            &meta()
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
    refused_on(
        share(
            &h,
            &admin,
            SharedItem::Document(old.clone()),
            Method::Invitation,
            "ada@police.example",
            Some(WHY),
        )
        .await,
        "item",
        "purged",
    );

    // A record's purge empties it: fields, history, documents.
    let case = record(
        &h,
        &admin,
        "Surveillance log",
        vec![DocumentInput {
            document_id: fresh.clone(),
            private: false,
        }],
    )
    .await;
    intelligence::set_flag(
        &h.core,
        &admin,
        IntelItemKind::Record,
        &case,
        flag("Antwerp PD", None),
        &meta(),
    )
    .await
    .unwrap();
    intelligence::purge(
        &h.core,
        &admin,
        IntelItemKind::Record,
        &case,
        "Purged at the owner's request.",
        &meta(),
    )
    .await
    .unwrap();
    let r = records::get(&h.core, &admin, &case).await.unwrap();
    assert_eq!(r.summary.title, "Purged (28 CFR Part 23)");
    assert_eq!(r.fields, json!({}));
    assert!(r.history.is_empty() && r.documents.is_empty());
    let stored: String = sqlx::query_scalar("SELECT fields FROM records WHERE id = $1")
        .bind(&case)
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert!(!stored.contains("CANARY-SUSPECT"));
    // Taking a flag off needs a reason and an administrator; a purged item's flag stays.
    assert!(matches!(
        intelligence::remove_flag(
            &h.core,
            &controller,
            IntelItemKind::Document,
            &fresh,
            "flagged in error",
            &meta()
        )
        .await,
        Err(ServiceError::Forbidden(_))
    ));
    intelligence::remove_flag(
        &h.core,
        &admin,
        IntelItemKind::Document,
        &fresh,
        "Flagged in error.",
        &meta(),
    )
    .await
    .unwrap();
    assert!(
        intelligence::flag_of(&h.core, &admin, IntelItemKind::Document, &fresh)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        intelligence::remove_flag(
            &h.core,
            &admin,
            IntelItemKind::Record,
            &case,
            "Flagged in error.",
            &meta()
        )
        .await,
        Err(ServiceError::NotFound(_))
    ));
}

/// Opens a link share's portal session, or says why not.
async fn open(
    h: &Harness,
    token: &str,
) -> Result<backend::services::access::PortalSession, ServiceError> {
    backend::services::access::open(
        &h.core,
        backend::services::access::OpenRequest {
            token: token.to_owned(),
            device: backend::services::access::new_device_id(),
            ..Default::default()
        },
        &meta(),
    )
    .await
}

fn token_of(c: &shares::CreatedShare) -> String {
    use secrecy::ExposeSecret;
    c.url.expose_secret().rsplit('/').next().unwrap().to_owned()
}

async fn a_share_that_is_not_cleared_for_what_it_carries_now_is_refused_at_its_next_request(
    h: Harness,
) {
    let admin = org_admin(&h, "Acme").await;
    let police = partner(&h, &admin, "Ghent Police", "police.example", true).await;
    let doc = text_document(&h, &admin, "Depot sightings").await;
    // A link share made before the document was flagged opens; once flagged, it does not.
    let link = share(
        &h,
        &admin,
        SharedItem::Document(doc.clone()),
        Method::Link,
        "anyone@lawfirm.example",
        None,
    )
    .await
    .unwrap();
    let token = token_of(&link[0]);
    let session = open(&h, &token).await.unwrap();
    intelligence::set_flag(
        &h.core,
        &admin,
        IntelItemKind::Document,
        &doc,
        flag("Ghent PD", None),
        &meta(),
    )
    .await
    .unwrap();
    assert!(
        open(&h, &token).await.is_err(),
        "a flag closes a share that was not cleared"
    );
    assert!(
        backend::services::access::authenticate(&h.core, &session.access_token, &meta())
            .await
            .is_err(),
        "and its open session"
    );

    // A record shared to a law firm, then made to carry the flagged document: refused.
    let case = record(&h, &admin, "Depot case", Vec::new()).await;
    let to_firm = share(
        &h,
        &admin,
        SharedItem::Record(case.clone()),
        Method::Link,
        "jane@lawfirm.example",
        None,
    )
    .await
    .unwrap();
    let firm_token = token_of(&to_firm[0]);
    open(&h, &firm_token).await.unwrap();
    records::attach_document(
        &h.core,
        &admin,
        &case,
        DocumentInput {
            document_id: doc.clone(),
            private: false,
        },
        &meta(),
    )
    .await
    .unwrap();
    assert!(open(&h, &firm_token).await.is_err());

    // Cleared to the police, it opens until the partner is no longer law enforcement.
    let cleared = share(
        &h,
        &admin,
        SharedItem::Document(doc.clone()),
        Method::Invitation,
        "ada@police.example",
        Some(WHY),
    )
    .await
    .unwrap();
    let standing = |id: String| {
        let h = &h;
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM disseminations WHERE share_id = $1")
                .bind(id)
                .fetch_one(h.core.db.pool())
                .await
                .unwrap()
        }
    };
    assert_eq!(standing(cleared[0].share.id.clone()).await, 1);
    let cleared_token = token_of(&cleared[0]);
    // An invitation asks for the mailed code first: the refusal says so, not "forbidden".
    let first = open(&h, &cleared_token).await;
    assert!(
        !matches!(
            first,
            Err(ServiceError::Denied(backend::domain::Denial::PolicyForbids))
        ),
        "{first:?}"
    );
    partners::update_partner(
        &h.core,
        &admin,
        &police,
        PartnerInput {
            name: "Ghent Police".into(),
            domains: vec!["police.example".into()],
            enabled: true,
            law_enforcement: Some(false),
        },
        &meta(),
    )
    .await
    .unwrap();
    assert!(matches!(
        open(&h, &cleared_token).await,
        Err(ServiceError::Denied(backend::domain::Denial::PolicyForbids))
    ));
    // A partner changed without naming the registration keeps it.
    let kept = partners::update_partner(
        &h.core,
        &admin,
        &police,
        serde_json::from_value(json!({ "name": "Ghent Police", "domains": ["police.example"] }))
            .unwrap(),
        &meta(),
    )
    .await
    .unwrap();
    assert!(!kept.law_enforcement);

    // A controller may not move a flagged item's review by changing its submission date.
    let controller =
        crate::staff_accounts::member(&h, &admin, "cora@acme.example", Role::Controller).await;
    let moved = flag("Ghent PD", Some("2026-01-01T00:00:00Z".into()));
    assert!(matches!(
        intelligence::set_flag(
            &h.core,
            &controller,
            IntelItemKind::Document,
            &doc,
            moved,
            &meta()
        )
        .await,
        Err(ServiceError::Invalid {
            field: "submitted_at",
            ..
        })
    ));
}

async fn the_queue_says_when_more_follow_and_the_record_is_read_whole_or_refused(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let rows = |sql: &str| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3) {sql}"
        )
    };
    // 1,001 flags, their reviews a millisecond apart.
    sqlx::query(&rows(
        "INSERT INTO intel_flags (org_id, item_kind, item_id, title, submitting_agency, \
         reliability, validity, submitted_at, review_due, flagged_by, updated_at) \
         SELECT $1, 'record', 'r' || i, 'Report ' || i, 'PD', 'B', '2', 0, i, $2, 0 FROM n",
    ))
    .bind(&admin.org_id)
    .bind(&admin.user_id)
    .bind(1001_i64)
    .execute(h.core.db.pool())
    .await
    .unwrap();
    let q = intelligence::queue(&h.core, &admin, None).await.unwrap();
    assert_eq!((q.items.len(), q.more), (intelligence::QUEUE_PAGE, true));
    assert_eq!(q.items[0].item_id, "r1", "the soonest review first");

    // 10,001 lines a millisecond apart from the epoch: the whole span is refused, not cut.
    sqlx::query(&rows(
        "INSERT INTO disseminations (id, org_id, share_id, item_kind, item_id, item_title, \
         submitting_agency, reliability, validity, recipient_name, recipient_email, \
         partner_id, partner_name, justification, shared_by, shared_by_name, shared_at) \
         SELECT 'd' || i, $1, 's', 'record', 'r1', 'Report', 'PD', 'B', '2', 'Ada', \
         'ada@police.example', 'p', 'Police', 'Task force', $2, 'Sam', i FROM n",
    ))
    .bind(&admin.org_id)
    .bind(&admin.user_id)
    .bind(10_001_i64)
    .execute(h.core.db.pool())
    .await
    .unwrap();
    let whole = DisseminationFilter::default();
    match intelligence::disseminations(&h.core, &admin, &whole).await {
        Err(ServiceError::Invalid { field, message }) => {
            assert_eq!(field, "from");
            assert!(message.contains("narrow"), "{message}");
        }
        other => panic!("the record was not refused: {:?}", other.map(|l| l.len())),
    }
    assert!(intelligence::export_disseminations(
        &h.core,
        &admin,
        &whole,
        DisseminationFormat::Json,
        &meta()
    )
    .await
    .is_err());
    assert!(
        events(&h, &admin, "audit.exported").await.is_empty(),
        "a refused export is not recorded as one"
    );
    // The first five seconds: 4,999 lines, whole.
    let narrow = DisseminationFilter {
        to: Some("1970-01-01T00:00:05Z".into()),
        ..Default::default()
    };
    let json = intelligence::export_disseminations(
        &h.core,
        &admin,
        &narrow,
        DisseminationFormat::Json,
        &meta(),
    )
    .await
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 4999);
    assert_eq!(events(&h, &admin, "audit.exported").await.len(), 1);
}
