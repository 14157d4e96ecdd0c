//! Renewal requests on SQLite and PostgreSQL: a guest whose share no longer opens asks for
//! more time; staff approve (the same link opens again) or decline; every step audited,
//! mailed and bounded.

use crate::common::{local_mail, org_admin as org, Harness};
use backend::actor::{RequestMeta, Staff};
use backend::domain::controls::parse_network;
use backend::domain::{Denial, RenewalStatus, Role, ShareSettings};
use backend::services::renewals::{self, Grant, MAX_PER_SHARE};
use backend::services::shares::{self, Expiry, NewShare, Recipient, SharedItem};
use backend::services::{access, audit_log, dashboard, documents, outbox, staff, ServiceError};
use secrecy::ExposeSecret;

both_engines!(
    a_used_up_share_is_renewed_on_request,
    a_declined_request_may_be_asked_again_within_bounds,
    only_one_request_is_open_under_concurrency,
    a_disabled_owners_requests_reach_the_administrators,
    a_guest_asks_only_from_where_the_link_opens,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("198.51.100.20".parse().unwrap()), Some("renewal-test"))
}

/// A share of a fresh document for Jane; returns its id and link token.
async fn share(h: &Harness, who: &Staff, expiry: Expiry, max: Option<i64>) -> (String, String) {
    share_with(h, who, expiry, max, ShareSettings::default()).await
}

async fn share_with(
    h: &Harness,
    who: &Staff,
    expiry: Expiry,
    max: Option<i64>,
    settings: ShareSettings,
) -> (String, String) {
    let doc = documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: "Witness statement".into(),
            file_name: "statement.txt".into(),
            bytes: "statement".into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id;
    let c = shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(doc),
            recipients: vec![Recipient {
                name: "Jane Counsel".into(),
                email: "jane@lawfirm.example".into(),
            }],
            expiry,
            max_access_count: max,
            settings,
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

async fn events(h: &Harness, who: &Staff, share_id: &str, event_type: &str) -> usize {
    audit_log::list(
        &h.core,
        who,
        audit_log::AuditFilter {
            share_id: Some(share_id.into()),
            event_type: Some(event_type.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .len()
}

fn field<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> &'static str {
    match r {
        Err(ServiceError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn as_role(who: &Staff, role: Role, user_id: &str) -> Staff {
    let mut s = who.clone();
    s.role = role;
    s.user_id = user_id.into();
    s
}

async fn a_used_up_share_is_renewed_on_request(h: Harness) {
    let admin = org(&h, "Acme").await;
    let (id, token) = share(&h, &admin, Expiry::Days(7), Some(1)).await;
    // Asking about a share that still opens is refused; so is a blank or overlong reason.
    assert!(matches!(
        renewals::request(&h.core, &token, "please", &meta()).await,
        Err(ServiceError::Conflict(_))
    ));
    open(&h, &token).await.unwrap();
    assert!(matches!(
        open(&h, &token).await,
        Err(ServiceError::Denied(Denial::AccessCountExceeded))
    ));
    assert_eq!(
        field(renewals::request(&h.core, &token, "  ", &meta()).await),
        "reason"
    );
    let long = "x".repeat(renewals::MAX_REASON_CHARS + 1);
    assert_eq!(
        field(renewals::request(&h.core, &token, &long, &meta()).await),
        "reason"
    );
    // Knowing the selector is not enough: the whole link is proven.
    let (selector, verifier) = token.split_at(token.len() - 4);
    let forged = format!("{selector}{}", verifier.chars().rev().collect::<String>());
    if forged != token {
        assert!(matches!(
            renewals::request(&h.core, &forged, "let me in", &meta()).await,
            Err(ServiceError::Denied(Denial::UnknownToken))
        ));
    }
    renewals::request(&h.core, &token, "The hearing moved to next week.", &meta())
        .await
        .unwrap();
    // One open request per share.
    assert!(matches!(
        renewals::request(&h.core, &token, "again", &meta()).await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(events(&h, &admin, &id, "share.renewal_requested").await, 1);
    let owner_mail = local_mail(&h, &admin, "admin@acme.example.org", "asks for more time").await;
    assert!(
        owner_mail.contains("The hearing moved to next week."),
        "{owner_mail}"
    );
    assert!(
        owner_mail.contains(&format!("/console/share/{id}")),
        "{owner_mail}"
    );

    // The dashboard counts what the viewer may decide.
    let own_controller = as_role(&admin, Role::Controller, &admin.user_id);
    let other_controller = as_role(&admin, Role::Controller, "someone-else");
    let auditor = as_role(&admin, Role::Auditor, "auditor");
    let count = |who: Staff| {
        let core = h.core.clone();
        async move {
            dashboard::dashboard(&core, &who)
                .await
                .unwrap()
                .open_renewals
        }
    };
    assert_eq!(count(admin.clone()).await, Some(1));
    assert_eq!(count(own_controller.clone()).await, Some(1));
    assert_eq!(count(other_controller.clone()).await, Some(0));
    assert_eq!(count(auditor.clone()).await, None);

    let listed = renewals::list(&h.core, &admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    let request = listed[0].clone();
    assert_eq!(
        (
            request.status,
            request.may_decide,
            request.share_id.as_str()
        ),
        (RenewalStatus::Open, true, id.as_str())
    );
    assert!(!renewals::list(&h.core, &other_controller).await.unwrap()[0].may_decide);
    // Another organisation sees none of it.
    let globex = org(&h, "Globex").await;
    assert!(renewals::list(&h.core, &globex).await.unwrap().is_empty());
    assert!(matches!(
        renewals::decline(&h.core, &globex, &request.id, "", &meta()).await,
        Err(ServiceError::NotFound(_))
    ));

    // Only whoever may manage the share decides; nothing is written on a refusal.
    let more = || Grant {
        max_access_count: Some(3),
        ..Grant::default()
    };
    for who in [&other_controller, &auditor] {
        assert!(matches!(
            renewals::approve(&h.core, who, &request.id, more(), &meta()).await,
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            renewals::decline(&h.core, who, &request.id, "", &meta()).await,
            Err(ServiceError::Forbidden(_))
        ));
    }
    // A grant that leaves the share closed is refused on its field.
    assert_eq!(
        field(renewals::approve(&h.core, &admin, &request.id, Grant::default(), &meta()).await),
        "expiry"
    );
    assert_eq!(
        renewals::list(&h.core, &admin).await.unwrap()[0].status,
        RenewalStatus::Open
    );

    let approved = renewals::approve(
        &h.core,
        &own_controller,
        &request.id,
        Grant {
            note: "Two more opens.".into(),
            ..more()
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(approved.status, RenewalStatus::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some(admin.name.as_str()));
    // The same link opens again, and the guest was mailed it.
    open(&h, &token).await.unwrap();
    let guest_mail = local_mail(&h, &admin, "jane@lawfirm.example", "More time").await;
    assert!(guest_mail.contains("works again"), "{guest_mail}");
    // A bare link share's link is not put in a mail it never went by.
    assert!(!guest_mail.contains(&token), "{guest_mail}");
    assert!(guest_mail.contains("Two more opens."), "{guest_mail}");
    assert_eq!(events(&h, &admin, &id, "share.renewal_approved").await, 1);
    assert!(events(&h, &admin, &id, "share.changed").await >= 1);
    // Decided once.
    assert!(matches!(
        renewals::decline(&h.core, &admin, &request.id, "", &meta()).await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(count(admin.clone()).await, Some(0));
}

async fn a_declined_request_may_be_asked_again_within_bounds(h: Harness) {
    let admin = org(&h, "Acme").await;
    let (id, token) = share(&h, &admin, Expiry::Hours(1), None).await;
    h.clock.advance(time::Duration::hours(2));
    assert!(matches!(
        open(&h, &token).await,
        Err(ServiceError::Denied(Denial::Expired))
    ));
    for n in 0..MAX_PER_SHARE {
        renewals::request(&h.core, &token, &format!("attempt {n}"), &meta())
            .await
            .unwrap();
        let open_id = renewals::for_share(&h.core, &admin, &id).await.unwrap()[0]
            .id
            .clone();
        let declined = renewals::decline(&h.core, &admin, &open_id, "Not this time.", &meta())
            .await
            .unwrap();
        assert_eq!(declined.status, RenewalStatus::Declined);
        assert_eq!(declined.decision_note, "Not this time.");
    }
    let mail = local_mail(&h, &admin, "jane@lawfirm.example", "Your request").await;
    assert!(
        mail.contains("declined") && mail.contains("Not this time."),
        "{mail}"
    );
    assert!(
        !mail.contains(&token),
        "a declined guest is not sent the link: {mail}"
    );
    assert_eq!(
        events(&h, &admin, &id, "share.renewal_declined").await,
        MAX_PER_SHARE as usize
    );
    assert!(matches!(
        renewals::request(&h.core, &token, "one more", &meta()).await,
        Err(ServiceError::TooMany { .. })
    ));
    // Still expired: declining changed nothing.
    assert!(open(&h, &token).await.is_err());

    // A revoked share cannot be asked about, and revoking closes an open request.
    let (other, other_token) = share(&h, &admin, Expiry::Hours(1), None).await;
    h.clock.advance(time::Duration::hours(2));
    renewals::request(&h.core, &other_token, "please", &meta())
        .await
        .unwrap();
    shares::revoke(&h.core, &admin, &other, &meta())
        .await
        .unwrap();
    let closed = &renewals::for_share(&h.core, &admin, &other).await.unwrap()[0];
    assert_eq!(
        (closed.status, closed.may_decide),
        (RenewalStatus::Closed, false)
    );
    assert!(matches!(
        renewals::request(&h.core, &other_token, "please", &meta()).await,
        Err(ServiceError::Denied(Denial::Revoked | Denial::UnknownToken))
    ));

    // Extending a share by hand settles its open request too.
    let (third, third_token) = share(&h, &admin, Expiry::Hours(1), None).await;
    h.clock.advance(time::Duration::hours(2));
    renewals::request(&h.core, &third_token, "please", &meta())
        .await
        .unwrap();
    shares::change(
        &h.core,
        &admin,
        &third,
        shares::ShareChange {
            expiry: Some(Expiry::Days(7)),
            ..Default::default()
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        renewals::for_share(&h.core, &admin, &third).await.unwrap()[0].status,
        RenewalStatus::Closed
    );
    open(&h, &third_token).await.unwrap();
}

async fn only_one_request_is_open_under_concurrency(h: Harness) {
    let admin = org(&h, "Acme").await;
    let (id, token) = share(&h, &admin, Expiry::Hours(1), None).await;
    h.clock.advance(time::Duration::hours(2));
    let ask = |n: usize| {
        let (core, token) = (h.core.clone(), token.clone());
        tokio::spawn(async move {
            renewals::request(&core, &token, &format!("request {n}"), &meta()).await
        })
    };
    let results: Vec<_> = futures::future::join_all((0..4).map(ask)).await;
    let ok = results
        .into_iter()
        .map(|r| r.unwrap())
        .filter(|r| r.is_ok())
        .count();
    assert_eq!(ok, 1);
    assert_eq!(
        renewals::for_share(&h.core, &admin, &id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(events(&h, &admin, &id, "share.renewal_requested").await, 1);
}

async fn a_disabled_owners_requests_reach_the_administrators(h: Harness) {
    let admin = org(&h, "Acme").await;
    let dana =
        crate::staff_accounts::member(&h, &admin, "dana@acme.example", Role::Controller).await;
    let (id, token) = share(&h, &dana, Expiry::Default, None).await;
    open(&h, &token).await.unwrap();
    // Dana leaves; her share outlives her account and then expires.
    staff::set_disabled(&h.core, &admin, &dana.user_id, true, &meta())
        .await
        .unwrap();
    h.clock.advance(time::Duration::days(400));
    assert!(matches!(
        open(&h, &token).await,
        Err(ServiceError::Denied(Denial::Expired))
    ));
    renewals::request(&h.core, &token, "Dana left; who decides now?", &meta())
        .await
        .unwrap();
    // The administrator hears of it, with the link to decide; Dana's address gets nothing.
    let mail = local_mail(&h, &admin, "admin@acme.example.org", "asks for more time").await;
    assert!(mail.contains("Dana left; who decides now?"), "{mail}");
    assert!(mail.contains(&format!("/console/share/{id}")), "{mail}");
    let to_dana = outbox::list(&h.core, &admin, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to.contains("dana@acme.example") && m.subject.contains("asks for more time"))
        .count();
    assert_eq!(to_dana, 0);
}

async fn a_guest_asks_only_from_where_the_link_opens(h: Harness) {
    let admin = org(&h, "Acme").await;
    let settings = ShareSettings {
        allowed_networks: vec![parse_network("198.51.100.0/24").unwrap()],
        ..Default::default()
    };
    let (id, token) = share_with(&h, &admin, Expiry::Days(7), Some(1), settings).await;
    open(&h, &token).await.unwrap();
    // From outside the share's networks the request is refused as an open would be, and
    // nobody is mailed.
    let elsewhere = RequestMeta::new(Some("203.0.113.7".parse().unwrap()), Some("renewal-test"));
    assert!(matches!(
        renewals::request(&h.core, &token, "from a café", &elsewhere).await,
        Err(ServiceError::Denied(Denial::NotAllowedFromHere))
    ));
    assert_eq!(events(&h, &admin, &id, "share.renewal_requested").await, 0);
    renewals::request(&h.core, &token, "from the office", &meta())
        .await
        .unwrap();
    assert_eq!(events(&h, &admin, &id, "share.renewal_requested").await, 1);
}
