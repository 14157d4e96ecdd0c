//! Staff accounts (issue 12, parts 1 and 2) on both engines: invitations and one-time
//! password links, role changes, disable and reset (sessions end), the last
//! administrator kept under concurrency, the role matrix as the services apply it, and
//! scoped API keys.

use crate::common::{local_mail, org_admin, Harness};
use backend::actor::{RequestMeta, Staff, StaffCredential};
use backend::domain::{KeyScope, Role, SignIn};
use backend::services::api_keys::{self, NewKey};
use backend::services::documents::{self, Upload};
use backend::services::shares::{self, Expiry, NewShare, Recipient, ShareChange, SharedItem};
use backend::services::staff::{self, links, NewStaff, StaffStatus};
use backend::services::{audit_log, auth, ServiceError};
use secrecy::{ExposeSecret, SecretString};

both_engines!(
    an_invited_person_sets_a_password_once_and_is_managed,
    the_last_administrator_stays_under_concurrency,
    roles_decide_what_staff_may_do,
    key_scopes_narrow_their_owner,
    account_changes_are_whole_and_keep_the_organisation_reachable,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.9".parse().unwrap()), Some("test-agent"))
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn epoch(s: &Staff) -> i64 {
    match s.credential {
        StaffCredential::Session { epoch } => epoch,
        ref other => panic!("not a session: {other:?}"),
    }
}

/// Invites `email` with `role` (password sign-in) and returns the token of the link the
/// invitation mail carries.
async fn invite(h: &Harness, admin: &Staff, email: &str, name: &str, role: Role) -> String {
    staff::invite(
        &h.core,
        admin,
        NewStaff {
            email: email.into(),
            name: name.into(),
            role,
            sign_in: SignIn::Password,
        },
        &meta(),
    )
    .await
    .unwrap();
    link_in_mail(h, admin, &email.to_lowercase(), "invited").await
}

async fn link_in_mail(h: &Harness, admin: &Staff, email: &str, subject: &str) -> String {
    let mail = local_mail(h, admin, email, subject).await;
    let url = mail
        .split_whitespace()
        .find(|w| w.contains("/password/"))
        .unwrap_or_else(|| panic!("no link in {mail}"));
    url.rsplit('/').next().unwrap().to_owned()
}

/// A staff member of `admin`'s organisation with `role`, signed in through a password
/// they set from their invitation.
pub(crate) async fn member(h: &Harness, admin: &Staff, email: &str, role: Role) -> Staff {
    let token = invite(h, admin, email, email, role).await;
    let pw = secret("correct horse battery staple");
    links::set_password(&h.core, &token, &pw, &pw, &meta())
        .await
        .unwrap()
}

async fn an_invited_person_sets_a_password_once_and_is_managed(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let token = invite(
        &h,
        &admin,
        "Dana@Acme.example",
        "Dana Controller",
        Role::Controller,
    )
    .await;
    let listed = staff::list(&h.core, &admin).await.unwrap();
    let dana = listed
        .iter()
        .find(|s| s.email == "dana@acme.example")
        .unwrap()
        .clone();
    assert_eq!(dana.status, StaffStatus::Invited);
    assert!(dana.link_expires_at.is_some());
    assert_eq!(dana.role, Role::Controller);
    // The link is stored as a selector and a PBKDF2 hash, never as itself.
    let stored: String = sqlx::query_scalar("SELECT verifier_hash FROM staff_links")
        .fetch_one(h.core.db.pool())
        .await
        .unwrap();
    assert!(stored.starts_with("pbkdf2-sha256$600000$") || stored.starts_with("pbkdf2-sha256$"));
    assert!(!stored.contains(&token));

    let view = links::check(&h.core, &token).await.unwrap();
    assert_eq!(view.email, "dana@acme.example");
    assert_eq!(view.purpose, links::Purpose::Invitation);
    // A forged verifier opens nothing.
    let forged = format!("{}{}", &token[..22], "A".repeat(token.len() - 22));
    assert!(matches!(
        links::check(&h.core, &forged).await,
        Err(ServiceError::Unauthenticated(_))
    ));
    // Bad passwords are refused on their field and use nothing up.
    for (pw, confirm, field) in [
        ("short", "short", "password"),
        ("dana@acme.example", "dana@acme.example", "password"),
        ("aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "password"),
        ("a long enough password", "another long password", "confirm"),
    ] {
        match links::set_password(&h.core, &token, &secret(pw), &secret(confirm), &meta()).await {
            Err(ServiceError::Invalid { field: f, .. }) => assert_eq!(f, field, "{pw}"),
            other => panic!("{other:?}"),
        }
    }
    let pw = secret("correct horse battery staple");
    let signed_in = links::set_password(&h.core, &token, &pw, &pw, &meta())
        .await
        .unwrap();
    assert_eq!(signed_in.role, Role::Controller);
    // Once only.
    assert!(matches!(
        links::set_password(&h.core, &token, &pw, &pw, &meta()).await,
        Err(ServiceError::Unauthenticated(_))
    ));
    let by_password = auth::sign_in(&h.core, "dana@acme.example", &pw, &meta())
        .await
        .unwrap();
    let session = epoch(&by_password);
    assert_eq!(session, epoch(&signed_in));

    // A role change holds from the next request, without ending the session.
    staff::change_role(&h.core, &admin, &dana.id, Role::Auditor, &meta())
        .await
        .unwrap();
    let now = auth::staff_for_session(&h.core, &dana.id, session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.role, Role::Auditor);

    // A reset ends the password, every session and every API key at once, and mails a
    // new link.
    let (_, dana_key) = api_keys::create(
        &h.core,
        &now,
        NewKey {
            name: "dana's".into(),
            scope: KeyScope::Read,
            expires_in_days: Some(30),
        },
        &meta(),
    )
    .await
    .unwrap();
    auth::staff_for_api_key(&h.core, dana_key.expose_secret(), &meta())
        .await
        .unwrap();
    let reset = staff::reset_password(&h.core, &admin, &dana.id, &meta())
        .await
        .unwrap();
    assert_eq!(reset.status, StaffStatus::Invited);
    assert!(auth::staff_for_session(&h.core, &dana.id, session)
        .await
        .unwrap()
        .is_none());
    assert!(auth::sign_in(&h.core, "dana@acme.example", &pw, &meta())
        .await
        .is_err());
    assert!(
        auth::staff_for_api_key(&h.core, dana_key.expose_secret(), &meta())
            .await
            .is_err()
    );
    let new_token = link_in_mail(&h, &admin, "dana@acme.example", "new Liaison password").await;
    assert_ne!(new_token, token);
    let pw2 = secret("a different long passphrase");
    let again = links::set_password(&h.core, &new_token, &pw2, &pw2, &meta())
        .await
        .unwrap();

    // Disabled: no session, no sign-in, no open link; enabled: signs in afresh.
    staff::set_disabled(&h.core, &admin, &dana.id, true, &meta())
        .await
        .unwrap();
    assert!(auth::staff_for_session(&h.core, &dana.id, epoch(&again))
        .await
        .unwrap()
        .is_none());
    assert!(auth::sign_in(&h.core, "dana@acme.example", &pw2, &meta())
        .await
        .is_err());
    staff::set_disabled(&h.core, &admin, &dana.id, false, &meta())
        .await
        .unwrap();
    assert!(auth::staff_for_session(&h.core, &dana.id, epoch(&again))
        .await
        .unwrap()
        .is_none());
    auth::sign_in(&h.core, "dana@acme.example", &pw2, &meta())
        .await
        .unwrap();

    // Refusals name their field and write nothing.
    let before = staff::list(&h.core, &admin).await.unwrap();
    let refusals = [
        (
            "email",
            staff::invite(
                &h.core,
                &admin,
                NewStaff {
                    email: "DANA@acme.example".into(),
                    name: "Dup".into(),
                    role: Role::Auditor,
                    sign_in: SignIn::Password,
                },
                &meta(),
            )
            .await,
        ),
        (
            "sign_in",
            staff::invite(
                &h.core,
                &admin,
                NewStaff {
                    email: "sso@acme.example".into(),
                    name: "Sso".into(),
                    role: Role::Auditor,
                    sign_in: SignIn::Idp,
                },
                &meta(),
            )
            .await,
        ),
        (
            "role",
            staff::change_role(&h.core, &admin, &admin.user_id, Role::Controller, &meta()).await,
        ),
        (
            "user",
            staff::set_disabled(&h.core, &admin, &admin.user_id, true, &meta()).await,
        ),
    ];
    for (field, result) in refusals {
        match result {
            Err(ServiceError::Invalid { field: f, .. }) => assert_eq!(f, field),
            Err(ServiceError::Conflict(m)) => {
                assert_eq!(field, "email");
                assert!(m.contains("already a staff member here"), "{m}");
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(staff::list(&h.core, &admin).await.unwrap(), before);
    // Only administrators manage staff.
    assert!(matches!(
        staff::list(&h.core, &now).await,
        Err(ServiceError::Forbidden(_))
    ));
    // Every change is in the audit log.
    let log = audit_log::list(
        &h.core,
        &admin,
        audit_log::AuditFilter {
            event_type: Some("staff.changed".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    let actions: Vec<String> = log
        .iter()
        .rev()
        .map(|e| e.details["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "invited",
            "role_changed",
            "password_reset",
            "disabled",
            "enabled"
        ]
    );
    // Another organisation's admin sees none of it.
    let other = org_admin(&h, "Globex").await;
    assert!(matches!(
        staff::set_disabled(&h.core, &other, &dana.id, true, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
}

async fn the_last_administrator_stays_under_concurrency(h: Harness) {
    let first = org_admin(&h, "Acme").await;
    // An administrator still to take up their invitation cannot sign in: they do not count.
    invite(&h, &first, "pending@acme.example", "Pending", Role::Admin).await;
    match staff::change_role(&h.core, &first, &first.user_id, Role::Auditor, &meta()).await {
        Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "role"),
        other => panic!("{other:?}"),
    }
    let second = member(&h, &first, "second@acme.example", Role::Admin).await;
    // Each demotes the other at once: exactly one may win.
    let m = meta();
    let (a, b) = tokio::join!(
        staff::change_role(&h.core, &first, &second.user_id, Role::Auditor, &m),
        staff::change_role(&h.core, &second, &first.user_id, Role::Auditor, &m),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    let admins: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users \
         WHERE role = 'admin' AND disabled_at IS NULL AND password_hash IS NOT NULL",
    )
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(admins, 1);
}

fn share_of(document_id: &str) -> NewShare {
    NewShare {
        item: SharedItem::Document(document_id.to_owned()),
        recipients: vec![Recipient {
            name: "Jane Counsel".into(),
            email: "jane@lawfirm.example".into(),
        }],
        expiry: Expiry::Days(7),
        ..Default::default()
    }
}

async fn roles_decide_what_staff_may_do(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let controller = member(&h, &admin, "ctl@acme.example", Role::Controller).await;
    let colleague = member(&h, &admin, "ctl2@acme.example", Role::Controller).await;
    let auditor = member(&h, &admin, "aud@acme.example", Role::Auditor).await;
    let doc = documents::upload(
        &h.core,
        &controller,
        Upload {
            title: "Exhibit".into(),
            file_name: "exhibit.txt".into(),
            bytes: "exhibit".into(),
        },
        &meta(),
    )
    .await
    .unwrap();
    let theirs = shares::create(&h.core, &colleague, share_of(&doc.id), &meta())
        .await
        .unwrap()
        .remove(0)
        .share;
    // A controller sees every share of the organisation…
    let seen = shares::list(&h.core, &controller, Default::default())
        .await
        .unwrap();
    assert!(seen.items.iter().any(|s| s.id == theirs.id));
    // …may not change, copy or re-send one they did not create…
    let forbidden = |r: Result<(), ServiceError>| {
        assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}")
    };
    forbidden(
        shares::change(
            &h.core,
            &controller,
            &theirs.id,
            ShareChange::default(),
            &meta(),
        )
        .await
        .map(|_| ()),
    );
    forbidden(
        shares::copy_link(&h.core, &controller, &theirs.id, &meta())
            .await
            .map(|_| ()),
    );
    // …and may revoke it.
    let revoked = shares::revoke(&h.core, &controller, &theirs.id, &meta())
        .await
        .unwrap();
    assert_eq!(revoked.status, backend::domain::ShareStatus::Revoked);

    // An auditor reads shares and the audit log, and changes nothing.
    shares::list(&h.core, &auditor, Default::default())
        .await
        .unwrap();
    audit_log::list(&h.core, &auditor, Default::default())
        .await
        .unwrap();
    forbidden(
        shares::create(&h.core, &auditor, share_of(&doc.id), &meta())
            .await
            .map(|_| ()),
    );
    forbidden(
        shares::revoke(&h.core, &auditor, &theirs.id, &meta())
            .await
            .map(|_| ()),
    );
    // A controller does not read the audit log.
    forbidden(
        audit_log::list(&h.core, &controller, Default::default())
            .await
            .map(|_| ()),
    );
}

async fn key_scopes_narrow_their_owner(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let auditor = member(&h, &admin, "aud@acme.example", Role::Auditor).await;
    let controller = member(&h, &admin, "ctl@acme.example", Role::Controller).await;
    let new = |name: &str, scope| NewKey {
        name: name.into(),
        scope,
        expires_in_days: Some(30),
    };
    // Keys of staff who are not administrators always expire, within a year.
    for days in [None, Some(366)] {
        let long = NewKey {
            name: "long".into(),
            scope: KeyScope::Read,
            expires_in_days: days,
        };
        match api_keys::create(&h.core, &controller, long, &meta()).await {
            Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "expires_in_days"),
            other => panic!("{other:?}"),
        }
    }
    // An administrator's read key cannot open the outbox (without SMTP it holds the mails,
    // links and codes included).
    let (_, admin_read) = api_keys::create(&h.core, &admin, new("siem", KeyScope::Read), &meta())
        .await
        .unwrap();
    let siem = auth::staff_for_api_key(&h.core, admin_read.expose_secret(), &meta())
        .await
        .unwrap();
    assert!(matches!(
        backend::services::outbox::list(&h.core, &siem, 10).await,
        Err(ServiceError::Forbidden(_))
    ));
    // An auditor's keys only read.
    match api_keys::create(&h.core, &auditor, new("audit", KeyScope::Admin), &meta()).await {
        Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "scope"),
        other => panic!("{other:?}"),
    }
    let (_, audit_secret) =
        api_keys::create(&h.core, &auditor, new("audit", KeyScope::Read), &meta())
            .await
            .unwrap();
    let as_auditor = auth::staff_for_api_key(&h.core, audit_secret.expose_secret(), &meta())
        .await
        .unwrap();
    audit_log::list(&h.core, &as_auditor, Default::default())
        .await
        .unwrap();
    // A controller's read key lists shares but cannot upload or share.
    let (read_view, read_secret) = api_keys::create(
        &h.core,
        &controller,
        new("reporting", KeyScope::Read),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(read_view.scope, KeyScope::Read);
    let reader = auth::staff_for_api_key(&h.core, read_secret.expose_secret(), &meta())
        .await
        .unwrap();
    shares::list(&h.core, &reader, Default::default())
        .await
        .unwrap();
    let refused = documents::upload(
        &h.core,
        &reader,
        Upload {
            title: "x".into(),
            file_name: "x.txt".into(),
            bytes: "x".into(),
        },
        &meta(),
    )
    .await;
    match refused {
        Err(ServiceError::Forbidden(m)) => assert!(m.contains("read-only"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A read key cannot mint a key either.
    assert!(matches!(
        api_keys::create(&h.core, &reader, new("escalate", KeyScope::Admin), &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    // Everyone sees their own keys; administrators see and revoke everyone's.
    let mine = api_keys::list(&h.core, &controller).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert!(matches!(
        api_keys::revoke(&h.core, &controller, &mine[0].id.replace('0', "1"), &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    let all = api_keys::list(&h.core, &admin).await.unwrap();
    assert!(all.len() >= 3, "{all:?}");
    let audit_key = all.iter().find(|k| k.name == "audit").unwrap();
    assert!(matches!(
        api_keys::revoke(&h.core, &controller, &audit_key.id, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    api_keys::revoke(&h.core, &admin, &audit_key.id, &meta())
        .await
        .unwrap();
    assert!(
        auth::staff_for_api_key(&h.core, audit_secret.expose_secret(), &meta())
            .await
            .is_err()
    );
}

async fn account_changes_are_whole_and_keep_the_organisation_reachable(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let bea = member(&h, &admin, "bea@acme.example", Role::Admin).await;
    let role_of = |id: String| {
        let core = h.core.clone();
        let admin = admin.clone();
        async move {
            staff::list(&core, &admin)
                .await
                .unwrap()
                .into_iter()
                .find(|s| s.id == id)
                .unwrap()
                .role
        }
    };

    // Demote and disable oneself in one request: the disable is refused, so the demotion
    // does not happen either.
    let both = staff::AccountChange {
        role: Some(Role::Auditor),
        disabled: Some(true),
    };
    let refused = staff::change_account(&h.core, &admin, &admin.user_id, both, &meta()).await;
    assert!(
        matches!(refused, Err(ServiceError::Invalid { field: "user", .. })),
        "{refused:?}"
    );
    assert_eq!(role_of(admin.user_id.clone()).await, Role::Admin);
    // A demotion and a disable of someone else commit together.
    let view = staff::change_account(&h.core, &admin, &bea.user_id, both, &meta())
        .await
        .unwrap();
    assert_eq!(
        (view.role, view.status),
        (Role::Auditor, StaffStatus::Disabled)
    );

    // The last administrator's password cannot be reset: nobody could sign in until the
    // mailed link is used, and only an administrator reads the outbox.
    let reset = staff::reset_password(&h.core, &admin, &admin.user_id, &meta()).await;
    assert!(
        matches!(reset, Err(ServiceError::Invalid { field: "user", .. })),
        "{reset:?}"
    );
    let me = staff::list(&h.core, &admin)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.you)
        .unwrap();
    assert_eq!(me.status, StaffStatus::Active, "the password still stands");

    // A demoted administrator's lasting admin key is brought within the new role: read
    // only for an auditor, and expiring within a year.
    let carl = member(&h, &admin, "carl@acme.example", Role::Admin).await;
    let (key, _) = api_keys::create(
        &h.core,
        &carl,
        NewKey {
            name: "carl's pipeline".into(),
            scope: KeyScope::Admin,
            expires_in_days: None,
        },
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(key.expires_at, None);
    staff::change_role(&h.core, &admin, &carl.user_id, Role::Auditor, &meta())
        .await
        .unwrap();
    let fitted = api_keys::list(&h.core, &admin)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == key.id)
        .unwrap();
    assert_eq!(fitted.scope, KeyScope::Read);
    let expires = time::OffsetDateTime::parse(
        fitted.expires_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let year = time::Duration::days(i64::from(api_keys::STAFF_MAX_EXPIRY_DAYS));
    assert!(expires <= h.core.now() + year, "{expires}");
}
