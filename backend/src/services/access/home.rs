//! The guest's home — "Shared with you" — and signing out.
//!
//! Who the guest is: the recipient of the share their session opened, as that share proves
//! it — the emailed code (invitation and portal shares) or the partner's IdP (federated
//! shares naming their recipient). Such a guest's home lists every share addressed to that
//! recipient that proves them the same way: on invitation and portal shares, those of the
//! same portal; for partner staff, their federated shares of the same partner across the
//! organisation's portals. A plain link proves no one (and a federated share open to any
//! of the partner's users proves only that one): its home is that share alone, and a plain
//! link is never listed (it is anyone's who holds it). Only shares this site serves are
//! listed (a portal's domain shows its own portal's), and only those the guest could open
//! now: a revoked, expired or used-up share, one the policy now forbids, one of a portal
//! they are no longer a member of, drops out at once. The list is grouped by the portal's
//! sections (`portals::sections`). A guest whose code proves the address of a manager of
//! the portal also sees whom they added and may add members (`portals::members`).
//!
//! Signing out ends this session (by its `sid`, which renewals keep); "everywhere" ends
//! every session of the recipient in the organisation that passed its checks until now.
//! `authenticate` refuses both on the very next request.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;

use super::{current_share, session::MAX_SESSION_AGE};
use crate::actor::{Guest, RequestMeta};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::{MemberRole, Method, Share};
use crate::services::portals::members::{self, MemberView};
use crate::services::portals::sections::Placement;
use crate::services::share_core::{self, check_standing};
use crate::services::{rfc3339, sites, Result, ServiceError};
use crate::store::{self, portals::MemberRow};
use crate::Liaison;

/// How long after a session passed its checks a sign-out of it can still matter: the last
/// renewal (at [`MAX_SESSION_AGE`]) issues a token good for the longest session time, and
/// an hour more covers clocks that disagree.
pub const SIGN_OUT_MATTERS_MS: i64 = (MAX_SESSION_AGE.whole_seconds()
    + crate::Settings::MAX_PORTAL_SESSION_TTL.whole_seconds()
    + 3600)
    * 1000;

/// The most shares a home lists (the soonest to expire first).
pub const HOME_LIMIT: usize = 200;

/// One share in the guest's home.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HomeShare {
    pub share_id: String,
    /// The document's title, or the package's or project's name.
    pub title: String,
    pub tlp: String,
    pub expires_at: Option<String>,
    /// The share this session opened.
    pub current: bool,
    /// Opening it asks the guest to acknowledge it.
    pub acknowledge: bool,
    /// The share asks for a response, and none has been sent yet.
    pub respond: bool,
}

/// Shares of one section (or, with `section` empty, of items in no section).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HomeGroup {
    pub section: Option<String>,
    pub shares: Vec<HomeShare>,
}

/// What a portal's manager sees in their home: who they may add and whom they added.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ManagerPanel {
    /// The email domains they may add members from (empty: they may add no one).
    pub domains: Vec<String>,
    pub added: Vec<MemberView>,
}

/// The guest's home.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Home {
    pub recipient_name: String,
    pub recipient_email: String,
    /// The session proves who the guest is: the list holds all their shares, and they may
    /// sign out everywhere.
    pub proven: bool,
    /// The shares by section, in the portal's order; at most [`HOME_LIMIT`] in all.
    pub groups: Vec<HomeGroup>,
    /// Set when the guest is a manager of the portal.
    pub manager: Option<ManagerPanel>,
}

/// Does `share`'s session prove its recipient, and by which means (the shares listed
/// beside it must prove them the same way)?
fn proof(share: &Share) -> Option<Proof> {
    match share.method {
        Method::Invitation | Method::Portal => Some(Proof::Code),
        Method::Federated => share
            .settings
            .federation
            .as_ref()
            .filter(|f| !f.any_partner_user)
            .map(|f| Proof::Partner(f.partner_id.clone())),
        Method::Link => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Proof {
    Code,
    Partner(String),
}

/// The guest's home: the shares of the recipient their session proves (see the module doc).
#[tracing::instrument(skip_all)]
pub async fn home(core: &Liaison, guest: &Guest, meta: &RequestMeta) -> Result<Home> {
    let listed = listed(core, guest, meta).await?;
    let mut groups: Vec<HomeGroup> = Vec::new();
    let mut last: Option<&Option<Section>> = None;
    for (s, section) in &listed.shares {
        let share = home_share(core, s, s.id == listed.current.id).await?;
        match groups.last_mut() {
            Some(g) if last == Some(section) => g.shares.push(share),
            _ => groups.push(HomeGroup {
                section: section.as_ref().map(|x| x.name.clone()),
                shares: vec![share],
            }),
        }
        last = Some(section);
    }
    let manager = match managing(core, &listed.current, listed.proven).await? {
        Some((member, domains)) => Some(ManagerPanel {
            domains,
            added: members::added_by_manager(core, &member).await?,
        }),
        None => None,
    };
    Ok(Home {
        recipient_name: listed.current.recipient_name.clone(),
        recipient_email: listed.current.recipient_email.clone(),
        proven: listed.proven,
        groups,
        manager,
    })
}

/// The guest's manager membership of the current share's portal and that portal's member
/// domains — only where the session proves the guest's address by a code (invitation or
/// portal shares), since the membership is that address's.
async fn managing(
    core: &Liaison,
    current: &Share,
    proven: bool,
) -> Result<Option<(MemberRow, Vec<String>)>> {
    if !proven || proof(current) != Some(Proof::Code) {
        return Ok(None);
    }
    let pool = core.db.pool();
    let member = store::portals::active_member(
        pool,
        &current.org_id,
        &current.portal_id,
        &current.recipient_email.to_lowercase(),
        core.now_ms(),
    )
    .await?
    .filter(|m| m.role == MemberRole::Manager);
    let Some(member) = member else {
        return Ok(None);
    };
    let portal = store::portals::get(pool, &current.org_id, &current.portal_id)
        .await?
        .ok_or(ServiceError::NotFound("portal"))?;
    Ok(Some((member, members::member_domains(&portal))))
}

/// A portal's manager adds a member from its member domains (see
/// [`members::add_by_manager`]). Only the manager's own home offers it.
#[tracing::instrument(skip_all)]
pub async fn add_member(
    core: &Liaison,
    guest: &Guest,
    name: &str,
    email: &str,
    meta: &RequestMeta,
) -> Result<MemberView> {
    let current = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    if !sites::serves_share(&meta.site, &current) {
        return Err(ServiceError::NotFound("share"));
    }
    let proven = proof(&current).is_some();
    let Some((member, _)) = managing(core, &current, proven).await? else {
        return Err(ServiceError::Forbidden(
            "Only a manager of this portal may add members.",
        ));
    };
    members::add_by_manager(core, guest, &member, name, email, meta).await
}

/// The shares a home lists, in its order, each with its section's name, before their
/// titles and responses are read.
struct Listed {
    current: Arc<Share>,
    proven: bool,
    shares: Vec<(Share, Option<Section>)>,
}

/// The section a listed share is under (sections of different portals may share a name).
#[derive(Clone, PartialEq, Eq)]
struct Section {
    id: String,
    name: String,
}

async fn listed(core: &Liaison, guest: &Guest, meta: &RequestMeta) -> Result<Listed> {
    let current = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    let proven = proof(&current);
    let mut shares: Vec<Share> = match &proven {
        None => vec![(*current).clone()],
        Some(p) => candidates(core, &current, p).await?,
    };
    let now = core.now();
    shares.retain(|s| {
        sites::serves_share(&meta.site, s)
            && s.check_session(now).is_ok()
            && (s.id == current.id || proof(s).as_ref() == proven.as_ref())
    });
    // The others only if they could be opened now, from here: not used up, allowed by the
    // policy as it is now, the guest still a member of the portal, this network and
    // country allowed. (The open share stays listed while its session stands.)
    let mut openable = Vec::with_capacity(shares.len());
    for s in shares {
        if s.id == current.id || check_standing(core, &s, meta).await.is_ok() {
            openable.push(s);
        }
    }
    // By section (the current portal's first, then each portal's order; items in no
    // section last), then the item's place in its section, then the soonest to expire.
    let mut portals: Vec<String> = vec![current.portal_id.clone()];
    for s in &openable {
        if !portals.contains(&s.portal_id) {
            portals.push(s.portal_id.clone());
        }
    }
    let ids: Vec<&str> = portals.iter().map(String::as_str).collect();
    let placement = Placement::of(core, &current.org_id, &ids).await?;
    let mut keyed: Vec<_> = openable
        .into_iter()
        .map(|s| {
            let slot = s
                .item()
                .and_then(|item| placement.find(&s.portal_id, &item));
            let key = (
                slot.is_none(),
                slot.map(|x| portals.iter().position(|p| *p == x.portal_id)),
                slot.map(|x| (x.section_position, x.section_id.to_owned(), x.item_position)),
                s.expires_at.is_none(),
                s.expires_at,
                s.id.clone(),
            );
            let section = slot.map(|x| Section {
                id: x.section_id.to_owned(),
                name: x.name.to_owned(),
            });
            (key, section, s)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    // At most HOME_LIMIT, the open share always among them.
    let mut room = HOME_LIMIT.saturating_sub(1);
    keyed.retain(|(_, _, s)| {
        s.id == current.id || {
            let keep = room > 0;
            room = room.saturating_sub(1);
            keep
        }
    });
    let shares = keyed
        .into_iter()
        .map(|(_, section, s)| (s, section))
        .collect();
    Ok(Listed {
        current,
        proven: proven.is_some(),
        shares,
    })
}

/// Shares addressed to the current share's recipient that may prove them as `proof` does.
async fn candidates(core: &Liaison, current: &Share, proof: &Proof) -> Result<Vec<Share>> {
    let pool = core.db.pool();
    let email = current.recipient_email.to_lowercase();
    let methods: &[Method] = match proof {
        Proof::Code => &[Method::Invitation, Method::Portal],
        Proof::Partner(_) => &[Method::Federated],
    };
    let mut out = Vec::new();
    for m in methods {
        out.extend(
            store::shares::unrevoked_for_recipient(pool, &current.org_id, m.as_str(), &email)
                .await?,
        );
    }
    if *proof == Proof::Code {
        // "In that portal": a guest's code proves them to this portal's shares.
        out.retain(|s| s.portal_id == current.portal_id);
    }
    Ok(out)
}

async fn home_share(core: &Liaison, s: &Share, current: bool) -> Result<HomeShare> {
    let title = crate::services::notify::item_title(core, s).await?;
    let respond = s.settings.permission.may_respond()
        && store::responses::for_share(core.db.pool(), &s.org_id, &s.id)
            .await?
            .is_empty();
    Ok(HomeShare {
        share_id: s.id.clone(),
        title,
        tlp: s.tlp.label(),
        expires_at: s.expires_at.map(rfc3339),
        current,
        acknowledge: s.require_acknowledgement,
        respond,
    })
}

/// The link of a share in the guest's home, to open it (its landing then asks for whatever
/// that share asks: the code, the password, the acknowledgement). Only a share the home
/// lists: anything else is "not found".
#[tracing::instrument(skip_all)]
pub async fn link_from_home(
    core: &Liaison,
    guest: &Guest,
    share_id: &str,
    meta: &RequestMeta,
) -> Result<SecretString> {
    let listed = listed(core, guest, meta).await?;
    if !listed.shares.iter().any(|(s, _)| s.id == share_id) {
        return Err(ServiceError::NotFound("share"));
    }
    share_core::share_link(core, &guest.org_id, share_id).await
}

/// Signs the guest out: this session, or with `everywhere` (only where the session proves
/// who the guest is) every session of theirs in the organisation. Audited.
#[tracing::instrument(skip_all)]
pub async fn sign_out(
    core: &Liaison,
    guest: &Guest,
    everywhere: bool,
    meta: &RequestMeta,
) -> Result<()> {
    let current = current_share(core, &guest.org_id, &guest.share_id)
        .await?
        .ok_or(ServiceError::NotFound("share"))?;
    if everywhere && proof(&current).is_none() {
        return Err(ServiceError::Forbidden(
            "This link does not say who you are, so it can sign out only here.",
        ));
    }
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    store::guest_sessions::end(
        &mut *tx,
        &store::guest_sessions::SessionEnd {
            org_id: &guest.org_id,
            sid: &guest.session_id,
            device_hash: guest.device_hash.as_deref(),
            now_ms: now,
            forget_after_ms: guest.auth_time * 1000 + SIGN_OUT_MATTERS_MS,
        },
    )
    .await?;
    if everywhere {
        let email = current.recipient_email.to_lowercase();
        store::guest_sessions::end_everywhere(&mut *tx, &guest.org_id, &email, now / 1000).await?;
    }
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &guest.org_id,
            event_type: EventType::GuestSignedOut,
            actor: AuditActor::Guest(guest),
            share_id: Some(&guest.share_id),
            item_id: None,
            details: json!({ "everywhere": everywhere }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    // The share's other open pages (other tabs, other browsers signed out everywhere)
    // re-check at once; the recipient's other shares at their next ping.
    let changed = crate::revocation::Revoked {
        org_id: guest.org_id.clone(),
        share_id: guest.share_id.clone(),
    };
    crate::revocation::notify_changed_in(&mut tx, core.db.engine(), &changed).await?;
    tx.commit().await?;
    core.revocations.publish_changed(changed);
    Ok(())
}
