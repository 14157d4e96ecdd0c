//! The guest's home (issue 11, point 5): "Shared with you" lists the live shares of the
//! recipient the session proves — same portal, same proof — and drops revoked and expired
//! ones at once; a plain link lists itself only; signing out ends this session, and
//! "everywhere" every session of the recipient, on the very next request. Both engines.

use crate::common::{local_mail, org_admin, Harness};
use backend::actor::{RequestMeta, Staff};
use backend::domain::Method;
use backend::services::shares::{self, NewShare, Recipient, SharedItem};
use backend::services::{access, documents, portals, ServiceError};
use secrecy::{ExposeSecret, SecretString};

both_engines!(
    the_home_lists_the_recipients_live_shares_of_the_portal,
    signing_out_ends_this_session_or_every_session,
);

pub(crate) fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.9".parse().unwrap()), Some("home-test"))
}

pub(crate) async fn document(h: &Harness, who: &Staff, title: &str) -> String {
    documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: title.into(),
            file_name: "f.txt".into(),
            bytes: "text".into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id
}

/// A share of `doc` to jane@lawfirm.example by `method`, in `portal` (the default when
/// `None`): (share id, link token).
pub(crate) async fn share_to_jane(
    h: &Harness,
    who: &Staff,
    doc: &str,
    method: Method,
    portal: Option<&str>,
) -> (String, String) {
    let c = shares::create(
        &h.core,
        who,
        NewShare {
            item: SharedItem::Document(doc.to_owned()),
            recipients: vec![Recipient {
                name: "Jane Counsel".into(),
                email: "Jane@LawFirm.example".into(),
            }],
            method: Some(method),
            portal_id: portal.map(str::to_owned),
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

/// Opens `token` as Jane in a new browser, with the code mailed to her where the share
/// asks for one.
pub(crate) async fn open_as_jane(h: &Harness, admin: &Staff, token: &str) -> String {
    open_in(h, admin, token, &access::new_device_id()).await
}

/// Opens `token` as Jane in the browser `device`.
pub(crate) async fn open_in(
    h: &Harness,
    admin: &Staff,
    token: &str,
    device: &SecretString,
) -> String {
    let request = |code: Option<String>| access::OpenRequest {
        token: token.to_owned(),
        device: device.clone(),
        code: code.map(SecretString::from),
        ..Default::default()
    };
    let session = match access::open(&h.core, request(None), &meta()).await {
        Ok(s) => s,
        Err(ServiceError::Denied(_)) => {
            let mail = local_mail(h, admin, "jane@lawfirm.example", "verification code").await;
            let code = crate::common::mailed_code(&mail);
            access::open(&h.core, request(Some(code)), &meta())
                .await
                .unwrap()
        }
        Err(e) => panic!("{e:?}"),
    };
    session.access_token
}

/// The home's shares in its order, whatever their sections.
pub(crate) fn listed(home: &access::Home) -> Vec<&access::HomeShare> {
    home.groups.iter().flat_map(|g| &g.shares).collect()
}

pub(crate) fn titles(home: &access::Home) -> Vec<&str> {
    listed(home).into_iter().map(|s| s.title.as_str()).collect()
}

async fn the_home_lists_the_recipients_live_shares_of_the_portal(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let other_portal = portals::create(&h.core, &admin, "Board", &meta())
        .await
        .unwrap();
    let (a, b, c, d, e) = (
        document(&h, &admin, "Contract A").await,
        document(&h, &admin, "Contract B").await,
        document(&h, &admin, "Board minutes").await,
        document(&h, &admin, "Open memo").await,
        document(&h, &admin, "Withdrawn").await,
    );
    let (_, token_a) = share_to_jane(&h, &admin, &a, Method::Invitation, None).await;
    let (_, _) = share_to_jane(&h, &admin, &b, Method::Invitation, None).await;
    // Another portal's share, and a plain link: not hers by this proof.
    share_to_jane(&h, &admin, &c, Method::Invitation, Some(&other_portal.id)).await;
    let (_, token_d) = share_to_jane(&h, &admin, &d, Method::Link, None).await;
    let (withdrawn, _) = share_to_jane(&h, &admin, &e, Method::Invitation, None).await;
    // Another organisation's share to the same address.
    let globex = org_admin(&h, "Globex").await;
    let g = document(&h, &globex, "Globex file").await;
    share_to_jane(&h, &globex, &g, Method::Invitation, None).await;

    let jwt = open_as_jane(&h, &admin, &token_a).await;
    let guest = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert!(home.proven);
    assert_eq!(titles(&home), ["Contract A", "Contract B", "Withdrawn"]);
    assert!(listed(&home)[0].current && !listed(&home)[1].current);

    // Revoked: gone at once. Expired: gone at once.
    shares::revoke(&h.core, &admin, &withdrawn, &meta())
        .await
        .unwrap();
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert_eq!(titles(&home), ["Contract A", "Contract B"]);
    let b_id = listed(&home)[1].share_id.clone();
    sqlx::query("UPDATE shares SET expires_at = $1 WHERE id = $2")
        .bind(h.core.now_ms() - 1)
        .bind(&b_id)
        .execute(h.core.db.pool())
        .await
        .unwrap();
    h.core.revocations.shares().forget(&b_id);
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert_eq!(titles(&home), ["Contract A"]);

    // A link from the home is the share's own, and only for a share the home lists.
    let (fresh, _) = share_to_jane(&h, &admin, &b, Method::Invitation, None).await;
    let link = access::link_from_home(&h.core, &guest, &fresh, &meta())
        .await
        .unwrap();
    assert!(link.expose_secret().contains("/s/"));
    for not_hers in [withdrawn.as_str(), b_id.as_str(), "no-such-share"] {
        assert!(matches!(
            access::link_from_home(&h.core, &guest, not_hers, &meta()).await,
            Err(ServiceError::NotFound("share"))
        ));
    }

    // A plain link proves no one: its home is itself.
    let jwt = open_as_jane(&h, &admin, &token_d).await;
    let anyone = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    let home = access::home(&h.core, &anyone, &meta()).await.unwrap();
    assert!(!home.proven);
    assert_eq!(titles(&home), ["Open memo"]);
    assert!(matches!(
        access::sign_out(&h.core, &anyone, true, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
}

async fn signing_out_ends_this_session_or_every_session(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let doc = document(&h, &admin, "Contract").await;
    let (_, token) = share_to_jane(&h, &admin, &doc, Method::Invitation, None).await;
    let laptop_browser = access::new_device_id();
    let laptop = open_in(&h, &admin, &token, &laptop_browser).await;
    // A browser that proved the code is recognised: it reopens without it.
    let no_code = || access::OpenRequest {
        token: token.clone(),
        device: laptop_browser.clone(),
        ..Default::default()
    };
    access::open(&h.core, no_code(), &meta()).await.unwrap();
    // (A minute apart: the outbox lists the newest code first.)
    h.clock.advance(time::Duration::minutes(1));
    let phone = open_as_jane(&h, &admin, &token).await;
    let ok = |jwt: String| {
        let core = h.core.clone();
        async move { access::authenticate(&core, &jwt, &meta()).await }
    };
    let guest = ok(laptop.clone()).await.unwrap();

    // Signing out on the laptop ends the laptop's session only.
    access::sign_out(&h.core, &guest, false, &meta())
        .await
        .unwrap();
    assert!(matches!(
        ok(laptop.clone()).await,
        Err(ServiceError::InvalidPortalToken(_))
    ));
    let on_phone = ok(phone.clone()).await.unwrap();
    // Signed out, the same browser is no longer recognised: it proves the code again.
    assert!(matches!(
        access::open(&h.core, no_code(), &meta()).await,
        Err(ServiceError::Denied(backend::domain::Denial::CodeRequired))
    ));

    // Everywhere: the phone's session too, renewed or not.
    let renewed = access::renew(&h.core, &on_phone, &meta()).await.unwrap();
    h.clock.advance(time::Duration::seconds(2));
    access::sign_out(&h.core, &on_phone, true, &meta())
        .await
        .unwrap();
    for jwt in [phone, renewed.access_token] {
        assert!(matches!(
            ok(jwt).await,
            Err(ServiceError::InvalidPortalToken(_))
        ));
    }
    // Opening the link again afterwards starts a good session.
    h.clock.advance(time::Duration::minutes(1));
    let again = open_as_jane(&h, &admin, &token).await;
    ok(again).await.unwrap();
    let events = backend::services::audit_log::list(
        &h.core,
        &admin,
        backend::services::audit_log::AuditFilter {
            event_type: Some("portal.signed_out".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items;
    let mut everywhere: Vec<bool> = events
        .iter()
        .map(|e| e.details["everywhere"].as_bool().unwrap())
        .collect();
    everywhere.sort();
    assert_eq!(everywhere, [false, true]);
}
