//! Access reviews on SQLite and PostgreSQL: a campaign puts every active share of its
//! scope in the right reviewer's queue with its flags; reviewers keep, extend or revoke;
//! the due date gives the rest the default action, closes the campaign and starts the
//! next run of a recurring one; the outcome report lists every share.

use crate::common::{local_mail, org_admin as org, Harness};
use crate::staff_accounts::member;
use backend::actor::{RequestMeta, Staff};
use backend::domain::review::{
    CampaignStatus, DefaultAction, Recurrence, ReviewDecision, ReviewScope, ReviewerRule,
};
use backend::domain::{Method, Role, ShareStatus, Tlp};
use backend::services::reviews::{self, Decision, NewCampaign, QueueFilter, ReportFormat};
use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
use backend::services::{access, audit_log, dashboard, documents, policy, ServiceError};
use secrecy::ExposeSecret;

both_engines!(
    a_campaign_queues_each_share_for_its_reviewer,
    the_due_date_applies_the_default_and_starts_the_next_run,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("198.51.100.30".parse().unwrap()), Some("review-test"))
}

async fn document(h: &Harness, who: &Staff, title: &str) -> String {
    documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: title.into(),
            file_name: "f.txt".into(),
            bytes: "file".into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id
}

async fn share(h: &Harness, who: &Staff, doc: &str, email: &str, tlp: Tlp) -> (String, String) {
    let c = shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(doc.into()),
            recipients: vec![Recipient {
                name: email.split('@').next().unwrap().into(),
                email: email.into(),
            }],
            expiry: Expiry::Days(30),
            max_access_count: Some(5),
            tlp: Some(tlp),
            // The stricter markings go only to verified recipients.
            method: matches!(tlp, Tlp::AmberStrict | Tlp::Red).then_some(Method::Invitation),
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

fn campaign(
    rule: ReviewerRule,
    default_action: DefaultAction,
    due_days: i64,
    h: &Harness,
) -> NewCampaign {
    NewCampaign {
        name: "Quarterly external access".into(),
        scope: ReviewScope::default(),
        reviewer_rule: rule,
        reviewer_id: None,
        default_action,
        recurrence: Recurrence::Once,
        due_at: h.core.now() + time::Duration::days(due_days),
        no_response_days: 14,
    }
}

fn field<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> &'static str {
    match r {
        Err(ServiceError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
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

async fn a_campaign_queues_each_share_for_its_reviewer(h: Harness) {
    let admin = org(&h, "Acme").await;
    let dana = member(&h, &admin, "dana@acme.example", Role::Controller).await;
    let carl = member(&h, &admin, "carl@acme.example", Role::Controller).await;
    let audrey = member(&h, &admin, "audrey@acme.example", Role::Auditor).await;
    // A project whose controller is Carl; Dana's document is filed under it.
    let project = policy::create_project(&h.core, &admin, "Harbour", &meta())
        .await
        .unwrap();
    reviews::set_project_controllers(
        &h.core,
        &admin,
        &project.id,
        std::slice::from_ref(&carl.user_id),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        field(
            reviews::set_project_controllers(
                &h.core,
                &admin,
                &project.id,
                std::slice::from_ref(&audrey.user_id),
                &meta()
            )
            .await
        ),
        "controllers"
    );
    let filed = document(&h, &dana, "Harbour plans").await;
    policy::assign_document(&h.core, &admin, &filed, Some(&project.id), &meta())
        .await
        .unwrap();
    let loose = document(&h, &dana, "Loose memo").await;
    let (in_project, _) = share(&h, &dana, &filed, "eve@partner.example", Tlp::AmberStrict).await;
    let (loose_share, loose_token) =
        share(&h, &dana, &loose, "fay@elsewhere.example", Tlp::Green).await;
    let (admins, _) = share(&h, &admin, &loose, "gus@elsewhere.example", Tlp::Amber).await;
    let (revoked, _) = share(&h, &admin, &loose, "hal@elsewhere.example", Tlp::Amber).await;
    shares::revoke(&h.core, &admin, &revoked, &meta())
        .await
        .unwrap();
    // Fay has opened hers four times of five.
    for _ in 0..4 {
        access::open(
            &h.core,
            access::OpenRequest {
                token: loose_token.clone(),
                device: access::new_device_id(),
                ..Default::default()
            },
            &meta(),
        )
        .await
        .unwrap();
    }

    // Only administrators start campaigns; bad input is refused on its field.
    assert!(matches!(
        reviews::start(
            &h.core,
            &dana,
            campaign(ReviewerRule::Creator, DefaultAction::Keep, 14, &h),
            &meta()
        )
        .await,
        Err(ServiceError::Forbidden(_))
    ));
    assert_eq!(
        field(
            reviews::start(
                &h.core,
                &admin,
                campaign(ReviewerRule::Creator, DefaultAction::Keep, 0, &h),
                &meta()
            )
            .await
        ),
        "due_at"
    );
    assert_eq!(
        field(
            reviews::start(
                &h.core,
                &admin,
                NewCampaign {
                    reviewer_id: Some(audrey.user_id.clone()),
                    ..campaign(ReviewerRule::Named, DefaultAction::Keep, 14, &h)
                },
                &meta()
            )
            .await
        ),
        "reviewer_id"
    );
    assert_eq!(
        field(
            reviews::start(
                &h.core,
                &admin,
                NewCampaign {
                    scope: ReviewScope {
                        project_id: Some("nope".into()),
                        ..Default::default()
                    },
                    ..campaign(ReviewerRule::Creator, DefaultAction::Keep, 14, &h)
                },
                &meta()
            )
            .await
        ),
        "scope.project_id"
    );

    // Reviewed by the project's controllers: Carl gets the filed share; where the rule
    // finds nobody (the loose document is in no project) the campaign's creator reviews.
    let c = reviews::start(
        &h.core,
        &admin,
        campaign(
            ReviewerRule::ProjectControllers,
            DefaultAction::Keep,
            14,
            &h,
        ),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!((c.items, c.pending, c.status), (3, 3, CampaignStatus::Open));
    let mine = |who: Staff| {
        let core = h.core.clone();
        let id = c.id.clone();
        async move {
            reviews::queue(&core, &who, &id, QueueFilter::default())
                .await
                .unwrap()
                .items
        }
    };
    let carls = mine(carl.clone()).await;
    assert_eq!(carls.len(), 1);
    assert_eq!(carls[0].share_id, in_project);
    assert_eq!(carls[0].reviewer, "Controllers of Harbour");
    assert!(carls[0].flags.never_opened && carls[0].flags.sensitive_marking);
    assert!(carls[0].flags.outside_partners && carls[0].may_decide);
    assert!(mine(dana.clone()).await.is_empty());
    let admins_queue = mine(admin.clone()).await;
    assert_eq!(admins_queue.len(), 2);
    let fay = admins_queue
        .iter()
        .find(|i| i.share_id == loose_share)
        .unwrap();
    assert!(fay.flags.nearly_used && !fay.flags.never_opened);
    // The auditor reads every queue but decides nothing.
    let all = reviews::queue(
        &h.core,
        &audrey,
        &c.id,
        QueueFilter {
            everyone: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.items.len(), 3);
    assert!(all.items.iter().all(|i| !i.may_decide));
    // Reviewers are mailed; the console home counts their queue.
    let mail = local_mail(&h, &admin, "carl@acme.example", "to review").await;
    assert!(
        mail.contains("1 share") && mail.contains(&format!("/console/reviews/{}", c.id)),
        "{mail}"
    );
    let due = |who: Staff| {
        let core = h.core.clone();
        async move { dashboard::dashboard(&core, &who).await.unwrap().reviews_due }
    };
    assert_eq!(due(carl.clone()).await, Some(1));
    assert_eq!(due(audrey.clone()).await, None);

    // Deciding: only the share's reviewer (or an administrator); a revoke needs a reason.
    let decide = |who: &Staff, share: &str, d: ReviewDecision, reason: &str| {
        let (core, who, share, id) = (h.core.clone(), who.clone(), share.to_owned(), c.id.clone());
        let reason = reason.to_owned();
        async move {
            reviews::decide(
                &core,
                &who,
                &id,
                &share,
                Decision {
                    decision: d,
                    reason,
                    extend: (d == ReviewDecision::Extend).then_some(Expiry::Days(14)),
                },
                &meta(),
            )
            .await
        }
    };
    assert!(matches!(
        decide(&dana, &in_project, ReviewDecision::Keep, "").await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        decide(&audrey, &in_project, ReviewDecision::Keep, "").await,
        Err(ServiceError::Forbidden(_))
    ));
    assert_eq!(
        field(decide(&carl, &in_project, ReviewDecision::Revoke, " ").await),
        "reason"
    );
    decide(&carl, &in_project, ReviewDecision::Revoke, "Tender closed.")
        .await
        .unwrap();
    assert!(matches!(
        decide(&carl, &in_project, ReviewDecision::Keep, "").await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(
        shares::get(&h.core, &admin, &in_project)
            .await
            .unwrap()
            .status,
        ShareStatus::Revoked
    );
    // "Extend" to 14 days from now would shorten a share that runs 30: refused on its field.
    assert_eq!(
        field(decide(&admin, &admins, ReviewDecision::Extend, "Still needed.").await),
        "extend"
    );
    reviews::decide(
        &h.core,
        &admin,
        &c.id,
        &admins,
        Decision {
            decision: ReviewDecision::Extend,
            reason: "Still needed.".into(),
            extend: Some(Expiry::Days(60)),
        },
        &meta(),
    )
    .await
    .unwrap();
    decide(&admin, &loose_share, ReviewDecision::Keep, "")
        .await
        .unwrap();
    let decided = events(&h, &admin, "review.decided").await;
    assert_eq!(decided.len(), 3);
    assert!(decided.iter().all(|d| d["auto"] == false));
    let c = reviews::get(&h.core, &admin, &c.id).await.unwrap();
    assert_eq!(c.pending, 0);

    // The outcome report lists every share with its decision and flags.
    let (csv, name) = reviews::report(&h.core, &audrey, &c.id, ReportFormat::Csv, &meta())
        .await
        .unwrap();
    assert!(name.ends_with(".csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(
        csv.contains("Tender closed.") && csv.contains("sensitive_marking"),
        "{csv}"
    );
    let (jsonl, _) = reviews::report(&h.core, &admin, &c.id, ReportFormat::JsonLines, &meta())
        .await
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().any(|l| l["decision"] == "extend"));
    assert!(matches!(
        reviews::report(&h.core, &dana, &c.id, ReportFormat::Csv, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    // Another organisation sees none of it.
    let globex = org(&h, "Globex").await;
    assert!(reviews::list(&h.core, &globex).await.unwrap().is_empty());
    assert!(matches!(
        reviews::get(&h.core, &globex, &c.id).await,
        Err(ServiceError::NotFound(_))
    ));
}

async fn the_due_date_applies_the_default_and_starts_the_next_run(h: Harness) {
    let admin = org(&h, "Acme").await;
    let doc = document(&h, &admin, "Register").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            share(&h, &admin, &doc, &format!("p{n}@x.example"), Tlp::Amber)
                .await
                .0,
        );
    }
    let c = reviews::start(
        &h.core,
        &admin,
        NewCampaign {
            recurrence: Recurrence::Monthly,
            ..campaign(ReviewerRule::Creator, DefaultAction::Revoke, 7, &h)
        },
        &meta(),
    )
    .await
    .unwrap();
    reviews::decide(
        &h.core,
        &admin,
        &c.id,
        &ids[0],
        Decision {
            decision: ReviewDecision::Keep,
            reason: "Active matter.".into(),
            extend: None,
        },
        &meta(),
    )
    .await
    .unwrap();
    // Nothing happens before the due date, apart from the reminder two days before.
    assert_eq!(reviews::sweep(&h.core, 500).await.unwrap(), 0);
    h.clock.advance(time::Duration::days(6));
    assert_eq!(reviews::sweep(&h.core, 500).await.unwrap(), 0);
    let reminder = local_mail(&h, &admin, "admin@acme.example.org", "Reminder").await;
    assert!(reminder.contains("2 shares"), "{reminder}");
    // At the due date, the undecided two are revoked by the default action, one per
    // call here (the batch), then the campaign closes and its next run starts.
    h.clock.advance(time::Duration::days(1));
    // Past the due date, only the default action decides.
    assert!(matches!(
        reviews::decide(
            &h.core,
            &admin,
            &c.id,
            &ids[1],
            Decision {
                decision: ReviewDecision::Keep,
                reason: String::new(),
                extend: None,
            },
            &meta(),
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(reviews::sweep(&h.core, 1).await.unwrap(), 1);
    assert_eq!(
        reviews::get(&h.core, &admin, &c.id).await.unwrap().status,
        CampaignStatus::Open
    );
    assert_eq!(reviews::sweep(&h.core, 1).await.unwrap(), 1);
    let closed = reviews::get(&h.core, &admin, &c.id).await.unwrap();
    assert_eq!((closed.status, closed.pending), (CampaignStatus::Closed, 0));
    for (i, id) in ids.iter().enumerate() {
        let status = shares::get(&h.core, &admin, id).await.unwrap().status;
        let expected = if i == 0 {
            ShareStatus::Active
        } else {
            ShareStatus::Revoked
        };
        assert_eq!(status, expected, "share {i}");
    }
    let auto = events(&h, &admin, "review.decided").await;
    assert_eq!(auto.iter().filter(|d| d["auto"] == true).count(), 2);
    let closed_events = events(&h, &admin, "review.closed").await;
    assert_eq!(closed_events.len(), 1);
    assert_eq!(closed_events[0]["outcome"]["revoke_by_default"], 2);
    assert_eq!(closed_events[0]["outcome"]["keep"], 1);
    // The next run: a month on, over the shares active now (only the kept one).
    let next_id = closed_events[0]["next"].as_str().unwrap().to_owned();
    let next = reviews::get(&h.core, &admin, &next_id).await.unwrap();
    assert_eq!(
        (next.status, next.items, next.recurrence),
        (CampaignStatus::Open, 1, Recurrence::Monthly)
    );
    assert!(next.due_at > closed.due_at);
    assert_eq!(reviews::list(&h.core, &admin).await.unwrap()[0].id, next_id);
    // A closed campaign takes no decisions.
    assert!(matches!(
        reviews::decide(
            &h.core,
            &admin,
            &c.id,
            &ids[0],
            Decision {
                decision: ReviewDecision::Revoke,
                reason: "late".into(),
                extend: None,
            },
            &meta(),
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
}
