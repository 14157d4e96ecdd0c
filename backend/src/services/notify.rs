//! The mail services send, each enqueued in the transaction of the change that causes it
//! (see [`crate::mail`]).

use secrecy::{ExposeSecret, SecretString};

use super::{rfc3339, Result, ServiceError};
use crate::domain::{Share, Tlp};
use crate::mail::{self, templates, Draft, Rendered};
use crate::store::{self, Tx};
use crate::Liaison;

struct Context {
    org: String,
    title: String,
}

async fn context(core: &Liaison, share: &Share) -> Result<Context> {
    let org = store::orgs::get(core.db.pool(), &share.org_id)
        .await?
        .ok_or(ServiceError::NotFound("organisation"))?;
    let title = match &share.settings.bundle {
        Some(b) => format!("{} ({} documents)", b.name, b.documents),
        None => item_title(core, share).await?,
    };
    Ok(Context {
        org: org.name,
        title,
    })
}

/// The title of what `share` covers: its bundle's name, its document's or its record's
/// title. Every mail and page that names a share's item uses this.
pub(crate) async fn item_title(core: &Liaison, share: &Share) -> Result<String> {
    if let Some(b) = &share.settings.bundle {
        return Ok(b.name.clone());
    }
    let pool = core.db.pool();
    match (&share.document_id, &share.record_id) {
        (Some(document), _) => Ok(store::documents::get(pool, &share.org_id, document)
            .await?
            .ok_or(ServiceError::NotFound("document"))?
            .title),
        (None, Some(record)) => Ok(store::records::get(pool, &share.org_id, record)
            .await?
            .ok_or(ServiceError::NotFound("record"))?
            .title),
        (None, None) => Err(ServiceError::NotFound("shared item")),
    }
}

/// TLP markings are shown on every mail except TLP:CLEAR, which needs no handling note.
fn marking(tlp: Tlp) -> Option<String> {
    (tlp != Tlp::Clear).then(|| tlp.label())
}

async fn to_recipient(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    kind: &'static str,
    mail: Rendered,
) -> Result<()> {
    let to = (
        share.recipient_email.as_str(),
        share.recipient_name.as_str(),
    );
    about_share(core, tx, share, kind, to, mail).await
}

/// Queues `mail` about `share` to one person, `to` = (address, name).
async fn about_share(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    kind: &'static str,
    (to_address, to_name): (&str, &str),
    mail: Rendered,
) -> Result<()> {
    queue(
        core,
        tx,
        Draft {
            org_id: &share.org_id,
            kind,
            share_id: Some(&share.id),
            to_address,
            to_name,
            mail,
        },
    )
    .await
}

/// Queues a mail inside `tx`, the transaction of the change that causes it.
async fn queue(core: &Liaison, tx: &mut Tx, draft: Draft<'_>) -> Result<()> {
    mail::enqueue(tx, &core.sealer, &host(core), core.now_ms(), draft).await?;
    Ok(())
}

/// The invitation: the link, the instructions, the expiry.
#[tracing::instrument(skip_all)]
pub async fn invitation(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    url: &SecretString,
) -> Result<()> {
    let c = context(core, share).await?;
    let expires = share
        .expires_at
        .map(rfc3339)
        .unwrap_or_else(|| "never".into());
    let tlp = marking(share.tlp);
    let mail = templates::invitation(&templates::Invitation {
        org: &c.org,
        tlp: tlp.as_deref(),
        recipient: &share.recipient_name,
        title: &c.title,
        instructions: &share.settings.instructions,
        url: url.expose_secret(),
        expires: &expires,
        verified: share.method.verifies_identity(),
    });
    to_recipient(core, tx, share, "invitation", mail).await
}

/// What the mail of a secret's link says (never what the secret holds).
pub struct SecretLink<'a> {
    pub org_id: &'a str,
    pub kind: crate::domain::secrets::SecretKind,
    pub tlp: Tlp,
    pub expires_at_ms: i64,
    /// The recipient's address.
    pub to: &'a str,
}

/// A secret's link (which holds no key) to its named recipient.
#[tracing::instrument(skip_all)]
pub async fn secret_link(
    core: &Liaison,
    tx: &mut Tx,
    m: SecretLink<'_>,
    url: &SecretString,
) -> Result<()> {
    let org = org_name(core, m.org_id).await?;
    let tlp = marking(m.tlp);
    let mail = templates::secret_link(
        &org,
        tlp.as_deref(),
        m.kind.with_article(),
        url.expose_secret(),
        &rfc3339(crate::store::from_millis(m.expires_at_ms)),
    );
    queue(
        core,
        tx,
        Draft {
            org_id: m.org_id,
            kind: "secret_link",
            share_id: None,
            to_address: m.to,
            to_name: m.to,
            mail,
        },
    )
    .await
}

/// The one-time code, in its own mail (never with the link), valid for `valid_minutes`.
#[tracing::instrument(skip_all)]
pub async fn verification_code(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    code: &SecretString,
    valid_minutes: i64,
) -> Result<()> {
    let c = context(core, share).await?;
    let mail = templates::verification_code(
        &c.org,
        marking(share.tlp).as_deref(),
        &share.recipient_name,
        code.expose_secret(),
        valid_minutes,
    );
    to_recipient(core, tx, share, "code", mail).await
}

/// Tells the recipient their access was withdrawn (when the share asks for it).
#[tracing::instrument(skip_all)]
pub async fn revocation_notice(core: &Liaison, tx: &mut Tx, share: &Share) -> Result<()> {
    let c = context(core, share).await?;
    let mail = templates::revocation_notice(
        &c.org,
        marking(share.tlp).as_deref(),
        &share.recipient_name,
        &c.title,
    );
    to_recipient(core, tx, share, "revocation", mail).await
}

/// Tells the share's creator that the recipient opened it for the first time.
#[tracing::instrument(skip_all)]
pub async fn owner_first_open(core: &Liaison, tx: &mut Tx, share: &Share) -> Result<()> {
    let c = context(core, share).await?;
    to_owner(core, tx, share, "owner_first_open", |owner| {
        templates::owner_first_open(
            &c.org,
            owner,
            &share.recipient_name,
            &share.recipient_email,
            &c.title,
            &rfc3339(core.now()),
        )
    })
    .await
}

/// Tells the share's creator that the recipient submitted a response.
#[tracing::instrument(skip_all)]
pub async fn owner_response(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    decision: &str,
) -> Result<()> {
    let c = context(core, share).await?;
    to_owner(core, tx, share, "owner_response", |owner| {
        templates::owner_response(&c.org, owner, &share.recipient_name, &c.title, decision)
    })
    .await
}

/// Reminds the recipient that the share expires soon.
#[tracing::instrument(skip_all)]
pub async fn expiry_reminder(core: &Liaison, tx: &mut Tx, share: &Share) -> Result<()> {
    let c = context(core, share).await?;
    let expires = share.expires_at.map(rfc3339).unwrap_or_default();
    let mail = templates::expiry_reminder(
        &c.org,
        marking(share.tlp).as_deref(),
        &share.recipient_name,
        &c.title,
        &expires,
    );
    to_recipient(core, tx, share, "expiry_reminder", mail).await
}

/// The share's page in the console.
fn share_page(core: &Liaison, share: &Share) -> Result<url::Url> {
    core.settings
        .public_url
        .join(&format!("console/share/{}", share.id))
        .map_err(ServiceError::internal)
}

/// Tells the share's owner that its guest asks for more time.
#[tracing::instrument(skip_all)]
pub async fn renewal_requested(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    reason: &str,
) -> Result<()> {
    let c = context(core, share).await?;
    let console_url = share_page(core, share)?;
    to_owner(core, tx, share, "renewal_requested", |owner| {
        templates::renewal_requested(
            &c.org,
            owner,
            &share.recipient_name,
            &share.recipient_email,
            &c.title,
            reason,
            console_url.as_str(),
        )
    })
    .await
}

/// Tells the share's owner how many comments its guests wrote since the last digest, and
/// who (never the text: see `comments::digest`).
#[tracing::instrument(skip_all)]
pub async fn comment_digest(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    count: usize,
    authors: &[&str],
) -> Result<()> {
    let c = context(core, share).await?;
    let console_url = share_page(core, share)?;
    to_owner(core, tx, share, "comment_digest", |owner| {
        templates::comment_digest(&templates::CommentDigest {
            org: &c.org,
            owner,
            title: &c.title,
            count,
            authors,
            url: console_url.as_str(),
        })
    })
    .await
}

/// How a renewal request was decided, as the guest's mail tells it.
#[derive(Clone, Copy, Debug)]
pub enum Renewal<'a> {
    /// Granted; with the link when it may go by mail.
    Approved(Option<&'a SecretString>),
    Declined,
}

/// Tells the guest how their request for more time was decided. `share` is as it stands
/// after the decision.
#[tracing::instrument(skip_all)]
pub async fn renewal_decided(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    decided: Renewal<'_>,
    note: &str,
) -> Result<()> {
    let c = context(core, share).await?;
    let tlp = marking(share.tlp);
    let mail = match decided {
        Renewal::Approved(url) => {
            let expires = share
                .expires_at
                .map(rfc3339)
                .unwrap_or_else(|| "further notice".into());
            templates::renewal_approved(
                &c.org,
                tlp.as_deref(),
                &share.recipient_name,
                &c.title,
                &expires,
                note,
                url.map(|u| u.expose_secret()),
            )
        }
        Renewal::Declined => templates::renewal_declined(
            &c.org,
            tlp.as_deref(),
            &share.recipient_name,
            &c.title,
            note,
        ),
    };
    to_recipient(core, tx, share, "renewal_decided", mail).await
}

/// The organisation's name for a mail ("" if it is gone).
async fn org_name(core: &Liaison, org_id: &str) -> Result<String> {
    Ok(store::orgs::get(core.db.pool(), org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// A mail to a staff member (an invitation, a password reset), about no share.
#[tracing::instrument(skip_all)]
pub async fn to_staff(
    core: &Liaison,
    tx: &mut Tx,
    user: &store::users::UserRow,
    kind: &'static str,
    render: impl FnOnce(&str) -> Rendered,
) -> Result<()> {
    let mail = render(&org_name(core, &user.org_id).await?);
    queue(
        core,
        tx,
        Draft {
            org_id: &user.org_id,
            kind,
            share_id: None,
            to_address: &user.email,
            to_name: &user.display_name,
            mail,
        },
    )
    .await?;
    Ok(())
}

/// The host part of Message-IDs: the public URL's host.
fn host(core: &Liaison) -> String {
    core.settings
        .public_url
        .host_str()
        .unwrap_or("liaison.invalid")
        .to_owned()
}

/// Mails `render`'s message to the share's owner (its creator), or to every active
/// administrator when the owner is disabled.
async fn to_owner(
    core: &Liaison,
    tx: &mut Tx,
    share: &Share,
    kind: &'static str,
    render: impl Fn(&str) -> Rendered,
) -> Result<()> {
    let owner = store::users::get(core.db.pool(), &share.org_id, &share.created_by)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    // A disabled owner reads no mail here: the administrators hear instead, so a guest's
    // response or request for more time still reaches someone who can act on it.
    let readers = if owner.disabled_at.is_none() {
        vec![owner]
    } else {
        store::users::active_admins(core.db.pool(), &share.org_id).await?
    };
    for reader in &readers {
        let to = (reader.email.as_str(), reader.display_name.as_str());
        about_share(core, tx, share, kind, to, render(&reader.display_name)).await?;
    }
    Ok(())
}

/// Tells every active administrator of `org_id` that a verified portal domain lost its TXT
/// record and is suspended.
#[tracing::instrument(skip_all)]
pub async fn domain_suspended(
    core: &Liaison,
    tx: &mut Tx,
    org_id: &str,
    domain: &str,
    portal: &str,
    record: &str,
    reason: store::domains::SuspendReason,
) -> Result<()> {
    let org = org_name(core, org_id).await?;
    for admin in store::users::active_admins(core.db.pool(), org_id).await? {
        queue(
            core,
            tx,
            Draft {
                org_id,
                kind: "domain_suspended",
                share_id: None,
                to_address: &admin.email,
                to_name: &admin.display_name,
                mail: templates::domain_suspended(
                    &org,
                    &admin.display_name,
                    domain,
                    portal,
                    record,
                    reason,
                ),
            },
        )
        .await?;
    }
    Ok(())
}

/// Tells someone a portal's manager added them as a member.
#[tracing::instrument(skip_all)]
pub async fn member_added(
    core: &Liaison,
    tx: &mut Tx,
    member: &store::portals::MemberRow,
    portal: &str,
    manager: &str,
) -> Result<()> {
    let org = org_name(core, &member.org_id).await?;
    queue(
        core,
        tx,
        Draft {
            org_id: &member.org_id,
            kind: "portal_member_added",
            share_id: None,
            to_address: &member.email,
            to_name: &member.name,
            mail: templates::member_added(&org, portal, &member.name, manager),
        },
    )
    .await?;
    Ok(())
}
