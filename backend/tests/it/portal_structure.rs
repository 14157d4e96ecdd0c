//! A portal's structure (issue 11, point 6): sections arrange the guest's home; members
//! have a role (a manager adds colleagues from the portal's member domains, within bounds);
//! a membership with an expiry ends on its own, audited, revoking the member's shares and
//! so ending their sessions. Bad input is refused by field with nothing written. Both
//! engines, and the migration on rows from before it.

use crate::common::{local_mail, org_admin, Harness};
use crate::guest_home::{document, listed, meta, open_as_jane, share_to_jane};
use crate::share_controls::member_input;
use backend::actor::Staff;
use backend::domain::{ItemKind, ItemRef, MemberRole, Method, Move, ShareStatus};
use backend::services::portals::{self, members, sections};
use backend::services::{access, shares, ServiceError};

both_engines!(
    sections_arrange_the_guests_home,
    a_manager_adds_members_within_bounds,
    a_membership_expires_on_its_own_and_ends_the_members_sessions,
    concurrent_section_changes_keep_the_cap_and_every_position,
);

fn doc(id: &str) -> ItemRef {
    ItemRef {
        kind: ItemKind::Document,
        id: id.to_owned(),
    }
}

async fn count(h: &Harness, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(h.core.db.pool())
        .await
        .unwrap()
}

/// Rows a refused call must not have written: sections, placed items, members, audit.
async fn written(h: &Harness) -> [i64; 4] {
    [
        count(h, "SELECT COUNT(*) FROM portal_sections").await,
        count(h, "SELECT COUNT(*) FROM portal_section_items").await,
        count(h, "SELECT COUNT(*) FROM portal_members").await,
        count(h, "SELECT COUNT(*) FROM audit_events").await,
    ]
}

fn invalid_field(r: Result<impl std::fmt::Debug, ServiceError>) -> (&'static str, String) {
    match r {
        Err(ServiceError::Invalid { field, message }) => (field, message),
        other => panic!("expected a refused field, got {other:?}"),
    }
}

fn groups(home: &access::Home) -> Vec<(Option<&str>, Vec<&str>)> {
    home.groups
        .iter()
        .map(|g| {
            (
                g.section.as_deref(),
                g.shares.iter().map(|s| s.title.as_str()).collect(),
            )
        })
        .collect()
}

async fn sections_arrange_the_guests_home(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let default = portals::list(&h.core, &admin).await.unwrap().remove(0);
    let (a, b, c, d) = (
        document(&h, &admin, "Contract A").await,
        document(&h, &admin, "Contract B").await,
        document(&h, &admin, "Photo log").await,
        document(&h, &admin, "Cover note").await,
    );
    let (_, token) = share_to_jane(&h, &admin, &a, Method::Invitation, None).await;
    for x in [&b, &c, &d] {
        share_to_jane(&h, &admin, x, Method::Invitation, None).await;
    }
    let jwt = open_as_jane(&h, &admin, &token).await;
    let guest = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    // No sections: one list, no headings.
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert_eq!(groups(&home).len(), 1);
    assert_eq!(home.groups[0].section, None);

    let evidence = sections::create(&h.core, &admin, &default.id, "Evidence", &meta())
        .await
        .unwrap();
    let contracts = sections::create(&h.core, &admin, &default.id, "Contracts", &meta())
        .await
        .unwrap();
    for (s, item) in [(&evidence, &c), (&contracts, &b), (&contracts, &a)] {
        sections::place(&h.core, &admin, &s.id, &doc(item), &meta())
            .await
            .unwrap();
    }
    sections::move_section(&h.core, &admin, &contracts.id, Move::Up, &meta())
        .await
        .unwrap();
    sections::move_item(&h.core, &admin, &contracts.id, &doc(&a), Move::Up, &meta())
        .await
        .unwrap();
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert_eq!(
        groups(&home),
        [
            (Some("Contracts"), vec!["Contract A", "Contract B"]),
            (Some("Evidence"), vec!["Photo log"]),
            (None, vec!["Cover note"]),
        ]
    );
    assert!(listed(&home)[0].current);
    // Moving past either end changes nothing; placing an item elsewhere moves it.
    sections::move_section(&h.core, &admin, &contracts.id, Move::Up, &meta())
        .await
        .unwrap();
    sections::place(&h.core, &admin, &evidence.id, &doc(&b), &meta())
        .await
        .unwrap();
    let view = sections::list(&h.core, &admin, &default.id).await.unwrap();
    let names: Vec<_> = view
        .sections
        .iter()
        .map(|s| (s.name.as_str(), s.items.len()))
        .collect();
    assert_eq!(names, [("Contracts", 1), ("Evidence", 2)]);
    assert!(view.unplaced.iter().any(|i| i.id == d));
    assert!(!view.unplaced.iter().any(|i| i.id == a));

    // Refused, by field or kind, with nothing written.
    let globex = org_admin(&h, "Globex").await;
    let foreign = document(&h, &globex, "Globex file").await;
    let before = written(&h).await;
    let (field, message) =
        invalid_field(sections::create(&h.core, &admin, &default.id, "  ", &meta()).await);
    assert_eq!((field, message.as_str()), ("name", "name is required"));
    let (field, message) =
        invalid_field(sections::create(&h.core, &admin, &default.id, "Evidence", &meta()).await);
    assert_eq!(field, "name");
    assert!(message.contains("\"Evidence\""), "{message}");
    let (field, _) =
        invalid_field(sections::rename(&h.core, &admin, &contracts.id, "Evidence", &meta()).await);
    assert_eq!(field, "name");
    assert!(matches!(
        sections::place(&h.core, &admin, &contracts.id, &doc("no-such-doc"), &meta()).await,
        Err(ServiceError::NotFound("item"))
    ));
    assert!(matches!(
        sections::place(&h.core, &admin, &contracts.id, &doc(&foreign), &meta()).await,
        Err(ServiceError::NotFound("item"))
    ));
    // Another organisation sees neither the portal nor its sections.
    assert!(matches!(
        sections::list(&h.core, &globex, &default.id).await,
        Err(ServiceError::NotFound("portal"))
    ));
    assert!(matches!(
        sections::delete(&h.core, &globex, &contracts.id, &meta()).await,
        Err(ServiceError::NotFound("section"))
    ));
    assert!(matches!(
        sections::move_item(&h.core, &admin, &evidence.id, &doc(&a), Move::Down, &meta()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(before, written(&h).await);

    // Deleting a section leaves its items in none.
    sections::delete(&h.core, &admin, &evidence.id, &meta())
        .await
        .unwrap();
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert_eq!(
        groups(&home),
        [
            (Some("Contracts"), vec!["Contract A"]),
            (None, vec!["Contract B", "Photo log", "Cover note"]),
        ]
    );
    // Every change was audited.
    let audited = count(
        &h,
        "SELECT COUNT(*) FROM audit_events WHERE event_type = 'portal.changed' \
         AND details LIKE '%section%'",
    )
    .await;
    assert_eq!(
        audited, 9,
        "2 created, 3 placed, 2 moved, 1 placed again, 1 deleted"
    );
}

/// Adds Jane to `portal` as a manager until `until`, and opens a portal share to her.
/// Changes to one portal's sections run one after another: racing creates never pass the
/// cap, and racing placements each get a position of their own (on PostgreSQL, reading
/// before writing let both pass, or failed one with a duplicate position).
async fn concurrent_section_changes_keep_the_cap_and_every_position(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let portal = portals::list(&h.core, &admin).await.unwrap().remove(0).id;
    for i in 0..sections::MAX_SECTIONS - 2 {
        sections::create(&h.core, &admin, &portal, &format!("S{i}"), &meta())
            .await
            .unwrap();
    }
    // Two places left, six racing for them.
    let racers = (0..6).map(|i| {
        let (core, admin, portal) = (h.core.clone(), admin.clone(), portal.clone());
        tokio::spawn(async move {
            sections::create(&core, &admin, &portal, &format!("Racer {i}"), &meta()).await
        })
    });
    let results: Vec<_> = futures::future::join_all(racers).await;
    let won = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    assert_eq!(won, 2, "{results:?}");
    for r in results {
        if let Err(e) = r.unwrap() {
            assert!(
                matches!(e, ServiceError::Invalid { field: "name", .. }),
                "{e:?}"
            );
        }
    }
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM portal_sections").await,
        sections::MAX_SECTIONS as i64
    );

    // Eight documents placed at once in one section: each gets its own place, in order.
    let section = sections::list(&h.core, &admin, &portal)
        .await
        .unwrap()
        .sections[0]
        .id
        .clone();
    let mut docs = Vec::new();
    for i in 0..8 {
        docs.push(document(&h, &admin, &format!("Exhibit {i}")).await);
    }
    let placing = docs.iter().map(|d| {
        let (core, admin, section, item) = (h.core.clone(), admin.clone(), section.clone(), doc(d));
        tokio::spawn(async move { sections::place(&core, &admin, &section, &item, &meta()).await })
    });
    for r in futures::future::join_all(placing).await {
        r.unwrap().unwrap();
    }
    let listed = sections::list(&h.core, &admin, &portal).await.unwrap();
    assert_eq!(listed.sections[0].items.len(), 8);
    let positions: std::collections::BTreeSet<i64> =
        sqlx::query_scalar("SELECT position FROM portal_section_items WHERE section_id = $1")
            .bind(&section)
            .fetch_all(h.core.db.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(positions, (1..=8).collect());

    // Choices are found by title in any case, `%` and `_` being plain characters; placed
    // items are not offered, and keep their titles however many documents came after.
    document(&h, &admin, "Ledger 100% final").await;
    document(&h, &admin, "Ledger draft").await;
    let offered = |v: sections::SectionsView| -> Vec<String> {
        v.unplaced.into_iter().map(|i| i.title).collect()
    };
    let found = sections::list_finding(&h.core, &admin, &portal, " LEDGER 100% ")
        .await
        .unwrap();
    assert_eq!(offered(found), ["Ledger 100% final"]);
    for none in ["_", "exhibit", "%%"] {
        let found = sections::list_finding(&h.core, &admin, &portal, none)
            .await
            .unwrap();
        assert!(offered(found.clone()).is_empty(), "{none}");
        assert_eq!(found.sections[0].items.len(), 8);
        assert!(found.sections[0]
            .items
            .iter()
            .all(|i| i.title.starts_with("Exhibit ")));
    }
    let (field, _) =
        invalid_field(sections::list_finding(&h.core, &admin, &portal, &"x".repeat(201)).await);
    assert_eq!(field, "find");
}

async fn jane_manages(h: &Harness, admin: &Staff, portal: &str) -> backend::actor::Guest {
    members::add_member(
        &h.core,
        admin,
        portal,
        &members::MemberInput {
            role: MemberRole::Manager,
            expires_at: Some(h.core.now() + time::Duration::days(30)),
            ..member_input("Jane Counsel", "jane@lawfirm.example")
        },
        &meta(),
    )
    .await
    .unwrap();
    let d = document(h, admin, "Brief").await;
    let (_, token) = share_to_jane(h, admin, &d, Method::Portal, Some(portal)).await;
    let jwt = open_as_jane(h, admin, &token).await;
    access::authenticate(&h.core, &jwt, &meta()).await.unwrap()
}

async fn a_manager_adds_members_within_bounds(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let panel = portals::create(&h.core, &admin, "Counsel panel", &meta())
        .await
        .unwrap();
    let guest = jane_manages(&h, &admin, &panel.id).await;
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert_eq!(home.manager.as_ref().map(|m| m.domains.len()), Some(0));
    // No member domains yet: managers add no one.
    assert!(matches!(
        access::add_member(&h.core, &guest, "Bob", "bob@lawfirm.example", &meta()).await,
        Err(ServiceError::Forbidden(m)) if m.contains("administrators")
    ));
    // Bad domains are refused by field, nothing written.
    let before = written(&h).await;
    for bad in ["not a domain", "lawfirm", "1.2.3.4", "@"] {
        let (field, message) = invalid_field(
            members::set_member_domains(&h.core, &admin, &panel.id, &[bad.into()], &meta()).await,
        );
        assert_eq!(field, "member_domains", "{bad}: {message}");
    }
    assert_eq!(before, written(&h).await);
    let set = members::set_member_domains(
        &h.core,
        &admin,
        &panel.id,
        &["LawFirm.example".into(), "@lawfirm.example".into()],
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(set, ["lawfirm.example"]);

    let bob = access::add_member(&h.core, &guest, "Bob Clerk", "Bob@LawFirm.example", &meta())
        .await
        .unwrap();
    assert_eq!(bob.role, MemberRole::Member);
    assert_eq!(bob.added_by_manager.as_deref(), Some("Jane Counsel"));
    let jane = backend::store::portals::active_member(
        h.core.db.pool(),
        &admin.org_id,
        &panel.id,
        "jane@lawfirm.example",
        h.core.now_ms(),
    )
    .await
    .unwrap()
    .unwrap();
    let bob_row = backend::store::portals::active_member(
        h.core.db.pool(),
        &admin.org_id,
        &panel.id,
        "bob@lawfirm.example",
        h.core.now_ms(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        bob_row.expires_at, jane.expires_at,
        "never past the manager's own"
    );
    assert_eq!(bob_row.invited_by.as_deref(), Some(jane.id.as_str()));
    assert!(bob_row.added_by.is_none());
    let mail = local_mail(&h, &admin, "bob@lawfirm.example", "You were added").await;
    assert!(mail.contains("Jane Counsel added you"), "{mail}");
    let audit: String = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE event_type = 'portal.changed' \
         AND actor_type = 'guest' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert!(
        audit.contains("by_manager") && audit.contains("bob@lawfirm.example"),
        "{audit}"
    );
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert_eq!(home.manager.unwrap().added.len(), 1);

    // Outside the domains, or an address that is or was a member: refused by field,
    // audited (administrators see a manager testing addresses) and counted toward the
    // day's cap. Bad input is refused before any of that.
    let before = written(&h).await;
    let (field, message) = invalid_field(
        access::add_member(&h.core, &guest, "Eve", "eve@evil.example", &meta()).await,
    );
    assert_eq!(field, "email");
    assert!(message.contains("lawfirm.example"), "{message}");
    let (field, current_member) = invalid_field(
        access::add_member(&h.core, &guest, "Bob", "bob@lawfirm.example", &meta()).await,
    );
    assert_eq!(field, "email");
    let (field, _) =
        invalid_field(access::add_member(&h.core, &guest, "", "x@lawfirm.example", &meta()).await);
    assert_eq!(field, "name");
    let (field, _) =
        invalid_field(access::add_member(&h.core, &guest, "X", "not-an-address", &meta()).await);
    assert_eq!(field, "email");
    let after = written(&h).await;
    assert_eq!(before[..3], after[..3], "no member or section written");
    assert_eq!(after[3], before[3] + 2, "the two refusals are audited");
    let refusals: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE event_type = 'portal.changed' \
         AND actor_type = 'guest' ORDER BY seq DESC LIMIT 2",
    )
    .fetch_all(h.core.db.pool())
    .await
    .unwrap();
    assert!(refusals[0].contains("member_add_refused") && refusals[0].contains("member_before"));
    assert!(refusals[1].contains("\"domain\"") && refusals[1].contains("eve@evil.example"));
    members::remove_member(&h.core, &admin, &panel.id, &bob.id, &meta())
        .await
        .unwrap();
    // Ended members leave the manager's panel.
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert!(home.manager.unwrap().added.is_empty());
    let before = written(&h).await;
    let (field, former_member) = invalid_field(
        access::add_member(&h.core, &guest, "Bob", "bob@lawfirm.example", &meta()).await,
    );
    assert_eq!(field, "email");
    assert!(former_member.contains("administrators"), "{former_member}");
    assert_eq!(
        current_member, former_member,
        "the answer does not tell a removed member from a current one"
    );
    assert_eq!(written(&h).await[..3], before[..3]);

    // At most INVITES_PER_DAY attempts a day: one add and three refusals so far.
    for i in 4..members::INVITES_PER_DAY {
        access::add_member(
            &h.core,
            &guest,
            "Clerk",
            &format!("clerk{i}@lawfirm.example"),
            &meta(),
        )
        .await
        .unwrap();
    }
    // Refused with the real wait: the day's window ends a day after the last attempt.
    assert!(matches!(
        access::add_member(&h.core, &guest, "One more", "more@lawfirm.example", &meta()).await,
        Err(ServiceError::TooMany { retry_after_secs: Some(s), .. }) if s > 23 * 3600
    ));
    h.clock.advance(time::Duration::hours(25));
    // (The session is older than a day now; a manager signs in again.)
    let d = document(&h, &admin, "Brief 2").await;
    let (_, token) = share_to_jane(&h, &admin, &d, Method::Portal, Some(&panel.id)).await;
    let jwt = open_as_jane(&h, &admin, &token).await;
    let guest = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    access::add_member(&h.core, &guest, "One more", "more@lawfirm.example", &meta())
        .await
        .unwrap();

    // An end date set on the manager is carried to the members they added.
    let until = h.core.now() + time::Duration::days(2);
    members::change_member(
        &h.core,
        &admin,
        &panel.id,
        &jane.id,
        MemberRole::Manager,
        Some(until),
        &meta(),
    )
    .await
    .unwrap();
    let ends: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT expires_at FROM portal_members WHERE invited_by = $1 AND removed_at IS NULL",
    )
    .bind(&jane.id)
    .fetch_all(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(ends.len(), members::INVITES_PER_DAY - 4 + 1);
    let until_ms = (until.unix_timestamp_nanos() / 1_000_000) as i64;
    assert!(
        ends.iter().all(|e| e.is_some_and(|e| e <= until_ms)),
        "{ends:?}"
    );

    // A member, not a manager: no panel, no adding.
    members::change_member(
        &h.core,
        &admin,
        &panel.id,
        &jane.id,
        MemberRole::Member,
        None,
        &meta(),
    )
    .await
    .unwrap();
    let home = access::home(&h.core, &guest, &meta()).await.unwrap();
    assert!(home.manager.is_none());
    assert!(matches!(
        access::add_member(&h.core, &guest, "Zed", "zed@lawfirm.example", &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));
    // An end date in the past is refused by field.
    let (field, _) = invalid_field(
        members::change_member(
            &h.core,
            &admin,
            &panel.id,
            &jane.id,
            MemberRole::Manager,
            Some(h.core.now() - time::Duration::minutes(1)),
            &meta(),
        )
        .await,
    );
    assert_eq!(field, "expires_at");
}

async fn a_membership_expires_on_its_own_and_ends_the_members_sessions(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let panel = portals::create(&h.core, &admin, "Counsel panel", &meta())
        .await
        .unwrap();
    // An expiry in the past is refused by field, nothing written.
    let before = written(&h).await;
    let (field, _) = invalid_field(
        members::add_member(
            &h.core,
            &admin,
            &panel.id,
            &members::MemberInput {
                expires_at: Some(h.core.now() - time::Duration::seconds(1)),
                ..member_input("Jane Counsel", "jane@lawfirm.example")
            },
            &meta(),
        )
        .await,
    );
    assert_eq!(field, "expires_at");
    assert_eq!(before, written(&h).await);

    let until = h.core.now() + time::Duration::hours(2);
    for (name, email) in [
        ("Jane Counsel", "jane@lawfirm.example"),
        ("Sam Other", "sam@lawfirm.example"),
    ] {
        members::add_member(
            &h.core,
            &admin,
            &panel.id,
            &members::MemberInput {
                expires_at: Some(until),
                ..member_input(name, email)
            },
            &meta(),
        )
        .await
        .unwrap();
    }
    let d = document(&h, &admin, "Brief").await;
    let (share, token) = share_to_jane(&h, &admin, &d, Method::Portal, Some(&panel.id)).await;
    let jwt = open_as_jane(&h, &admin, &token).await;
    let guest = access::authenticate(&h.core, &jwt, &meta()).await.unwrap();
    assert_eq!(members::expire_due(&h.core).await.unwrap(), 0);

    h.clock.advance(time::Duration::hours(2));
    // From the expiry on, the membership admits no one — before any sweep has run.
    assert!(
        !members::is_member(&h.core, &admin.org_id, &panel.id, "jane@lawfirm.example")
            .await
            .unwrap()
    );
    assert!(access::renew(&h.core, &guest, &meta()).await.is_err());
    assert!(
        access::authenticate(&h.core, &jwt, &meta()).await.is_err(),
        "the very next request is refused"
    );
    // The sweep read Sam's row as due, then an administrator extended Sam: the sweep's
    // claim fails, and the extension stands.
    let due = backend::store::portals::expired(h.core.db.pool(), h.core.now_ms(), 10)
        .await
        .unwrap();
    let sam = due
        .iter()
        .find(|m| m.email == "sam@lawfirm.example")
        .unwrap()
        .clone();
    members::change_member(
        &h.core,
        &admin,
        &panel.id,
        &sam.id,
        MemberRole::Member,
        Some(h.core.now() + time::Duration::days(1)),
        &meta(),
    )
    .await
    .unwrap();
    assert!(backend::store::portals::end_expired_member(
        h.core.db.pool(),
        &admin.org_id,
        &sam.id,
        h.core.now_ms()
    )
    .await
    .unwrap()
    .is_none());

    // Two nodes sweep at once: each membership ends once.
    let (x, y) = tokio::join!(members::expire_due(&h.core), members::expire_due(&h.core));
    assert_eq!(x.unwrap() + y.unwrap(), 1, "Jane only: Sam was extended");
    assert_eq!(members::expire_due(&h.core).await.unwrap(), 0);
    let view = shares::get(&h.core, &admin, &share).await.unwrap();
    assert_eq!(view.status, ShareStatus::Revoked);
    assert!(access::authenticate(&h.core, &jwt, &meta()).await.is_err());
    let expired: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor_type, details FROM audit_events \
         WHERE event_type = 'portal.membership_expired' ORDER BY seq",
    )
    .fetch_all(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].0, "system");
    assert!(
        expired[0].1.contains("\"shares_revoked\":1"),
        "{}",
        expired[0].1
    );
    let reason: String = sqlx::query_scalar(
        "SELECT ended_reason FROM portal_members WHERE email = 'jane@lawfirm.example'",
    )
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(reason, "expired");
    let panel_members: Vec<_> = portals::list(&h.core, &admin).await.unwrap()[1]
        .members
        .iter()
        .map(|m| m.email.clone())
        .collect();
    assert_eq!(panel_members, ["sam@lawfirm.example"]);
    // Added again by an administrator, the member is back (with no expiry).
    members::add_member(
        &h.core,
        &admin,
        &panel.id,
        &member_input("Jane Counsel", "jane@lawfirm.example"),
        &meta(),
    )
    .await
    .unwrap();
    assert!(
        members::is_member(&h.core, &admin.org_id, &panel.id, "jane@lawfirm.example")
            .await
            .unwrap()
    );
}

/// The `portal_structure` migration on members from before it: each keeps its row as a
/// `member`, with no expiry; one removed earlier is ended as `removed`.
async fn the_migration_keeps_members(engine: backend::store::Engine) {
    use backend::store::Db;
    let dir = tempfile::tempdir().unwrap();
    let (pool, url, pg) = crate::common::migrated_before(engine, dir.path(), 20261205000017).await;
    for sql in [
        "INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'Acme', 1)",
        "INSERT INTO users (id, org_id, email, display_name, role, created_at) VALUES \
         ('u1', 'o1', 'a@acme.example', 'A', 'admin', 1)",
        "INSERT INTO portals (id, org_id, name, created_by, created_at, is_default, branding) \
         VALUES ('p1', 'o1', 'Panel', 'u1', 1, 1, '{}')",
        "INSERT INTO portal_members (id, org_id, portal_id, email, name, added_by, added_at, \
         removed_at) VALUES ('m1', 'o1', 'p1', 'jane@x.example', 'Jane', 'u1', 1, NULL), \
         ('m2', 'o1', 'p1', 'sam@x.example', 'Sam', 'u1', 1, 5)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let rows = backend::store::portals::members(db.pool(), "o1")
        .await
        .unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|m| {
            (
                m.email.as_str(),
                m.role,
                m.expires_at,
                m.ended_reason.as_deref(),
                m.added_by.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("jane@x.example", MemberRole::Member, None, None, Some("u1")),
            (
                "sam@x.example",
                MemberRole::Member,
                None,
                Some("removed"),
                Some("u1")
            ),
        ]
    );
    let p = backend::store::portals::get(db.pool(), "o1", "p1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.member_domains, "[]");
    db.close().await;
    if let Some(name) = pg {
        crate::common::drop_postgres(&name).await;
    }
}

#[tokio::test]
async fn the_migration_keeps_members_sqlite() {
    the_migration_keeps_members(backend::store::Engine::Sqlite).await;
}

#[tokio::test]
async fn the_migration_keeps_members_postgres() {
    the_migration_keeps_members(backend::store::Engine::Postgres).await;
}
