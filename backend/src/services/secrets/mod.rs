//! End-to-end encrypted secrets, the staff side: create (ciphertext made in the creator's
//! browser, checked against the organisation's policy, mailed when it names a recipient),
//! list, show, revoke, and the sweep that deletes expired ciphertext. The recipient's side
//! is [`reveal`]. Every change audited; no audit entry holds content, a key, a code or a
//! proof.

pub mod reveal;

use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Serialize;
use serde_json::json;

use super::{authorize, notify, policy, rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::{sha256_hex, ShareToken};
use crate::domain::secrets::{
    self, Delivery, SecretKind, SecretRecipient, SecretRefusal, SecretState, SecretTerms,
    MAX_LABEL_CHARS, NONCE_BYTES, PROOF_BYTES, SALT_BYTES,
};
use crate::domain::{Action, Tlp};
use crate::store::{self, from_millis, new_id, secrets::SecretRow, Tx};
use crate::Liaison;

/// Where a secret's link leads: `/secret/{token}`, the key (if any) after a `#`.
pub const LINK_PREFIX: &str = "/secret/";

/// A secret to create: its terms and what the creator's browser made.
pub struct NewSecret {
    pub kind: SecretKind,
    /// Seen by staff only (lists, audit); never the secret itself.
    pub label: String,
    pub tlp: Tlp,
    pub delivery: Delivery,
    /// Liaison mails the link here (access code delivery only).
    pub recipient_email: Option<String>,
    pub expires_in_minutes: i64,
    pub max_views: i64,
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
    /// The PBKDF2 salt the recipient's browser derives the key with (access codes only).
    pub salt: Option<Vec<u8>>,
    /// The 32-byte proof derived beside the key; stored only as a hash.
    pub proof: SecretSlice<u8>,
}

/// What staff see of a secret (never its content, which nobody here can read).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SecretView {
    pub id: String,
    pub kind: SecretKind,
    pub label: String,
    pub tlp: Tlp,
    pub delivery: Delivery,
    pub recipient_email: Option<String>,
    /// Ciphertext bytes.
    pub size: i64,
    pub max_views: i64,
    pub views: i64,
    pub created_by: String,
    pub created_by_name: String,
    pub created_at: String,
    pub expires_at: String,
    pub state: SecretState,
    pub ended_at: Option<String>,
}

/// A secret's row with its vocabulary read once (an unknown word in a stored row is a
/// fault, never a default).
pub(crate) struct Secret {
    pub row: SecretRow,
    pub kind: SecretKind,
    pub tlp: Tlp,
    pub delivery: Delivery,
    pub state: SecretState,
}

impl Secret {
    pub(crate) fn of(row: SecretRow) -> Result<Self> {
        fn known<T>(row: &SecretRow, what: &str, v: Option<T>) -> Result<T> {
            v.ok_or_else(|| ServiceError::fault(format!("secret {} has an unknown {what}", row.id)))
        }
        Ok(Self {
            kind: known(&row, "kind", SecretKind::parse(&row.kind))?,
            tlp: known(&row, "marking", Tlp::parse(&row.tlp))?,
            delivery: known(&row, "delivery", Delivery::parse(&row.delivery))?,
            state: known(&row, "state", SecretState::parse(&row.state))?,
            row,
        })
    }

    /// The terms it was made under, as the policy judges them.
    pub(crate) fn terms(&self) -> SecretTerms {
        SecretTerms {
            tlp: self.tlp,
            delivery: self.delivery,
            recipient: SecretRecipient::for_address(self.row.recipient_email.as_deref()),
            lifetime_minutes: (self.row.expires_at - self.row.created_at) / 60_000,
            max_views: self.row.max_views,
        }
    }

    fn view(&self) -> SecretView {
        let row = &self.row;
        SecretView {
            id: row.id.clone(),
            kind: self.kind,
            label: row.label.clone(),
            tlp: self.tlp,
            delivery: self.delivery,
            recipient_email: row.recipient_email.clone(),
            size: row.size,
            max_views: row.max_views,
            views: row.views,
            created_by: row.created_by.clone(),
            created_by_name: row.created_by_name.clone(),
            created_at: rfc3339(from_millis(row.created_at)),
            expires_at: rfc3339(from_millis(row.expires_at)),
            state: self.state,
            ended_at: row.ended_at.map(|ms| rfc3339(from_millis(ms))),
        }
    }
}

fn view(row: SecretRow) -> Result<SecretView> {
    Ok(Secret::of(row)?.view())
}

fn refused(r: SecretRefusal) -> ServiceError {
    ServiceError::Invalid {
        field: r.field,
        message: r.message,
    }
}

fn exact_len(field: &'static str, bytes: &[u8], len: usize) -> Result<()> {
    if bytes.len() != len {
        return Err(ServiceError::invalid(
            field,
            format!("{field} must be {len} bytes, not {}", bytes.len()),
        ));
    }
    Ok(())
}

/// Creates a secret. Returns its view and its link without any key: with link-key
/// delivery the creator's browser appends `#key`; with access codes the link is complete
/// (and mailed, when a recipient is named). The link is shown this once.
#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Liaison,
    who: &Staff,
    new: NewSecret,
    meta: &RequestMeta,
) -> Result<(SecretView, SecretString)> {
    authorize(who, Action::CreateShare)?;
    let label = validate::text("label", &new.label, MAX_LABEL_CHARS)?;
    let recipient_email = match new.recipient_email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(address) => Some(validate::email("recipient_email", address)?),
    };
    let org_policy = policy::org_policy(core, &who.org_id).await?;
    let recipient = SecretRecipient::for_address(recipient_email.as_deref());
    secrets::check_terms(
        &org_policy.secrets,
        org_policy.tlp_ceiling,
        &SecretTerms {
            tlp: new.tlp,
            delivery: new.delivery,
            recipient,
            lifetime_minutes: new.expires_in_minutes,
            max_views: new.max_views,
        },
    )
    .map_err(refused)?;
    if new.ciphertext.len() < 16 {
        return Err(ServiceError::invalid(
            "ciphertext",
            "ciphertext is shorter than an AES-GCM tag: nothing was encrypted",
        ));
    }
    let limit = new.kind.max_ciphertext();
    if new.ciphertext.len() > limit {
        return Err(ServiceError::PayloadTooLarge { limit });
    }
    exact_len("nonce", &new.nonce, NONCE_BYTES)?;
    exact_len("proof", new.proof.expose_secret(), PROOF_BYTES)?;
    let salt = match (new.delivery, new.salt) {
        (Delivery::AccessCode, Some(salt)) => {
            exact_len("salt", &salt, SALT_BYTES)?;
            Some(salt)
        }
        (Delivery::AccessCode, None) => {
            return Err(ServiceError::invalid(
                "salt",
                "access code delivery needs the salt the key was derived with",
            ))
        }
        (Delivery::LinkKey, Some(_)) => {
            return Err(ServiceError::invalid(
                "salt",
                "a key carried in the link is not derived: send no salt",
            ))
        }
        (Delivery::LinkKey, None) => None,
    };
    let proof_hash = match new.delivery {
        // A proof derived from a 256-bit random key needs no stretching.
        Delivery::LinkKey => sha256_hex(new.proof.expose_secret()),
        // One derived from a typed code is stretched again here.
        Delivery::AccessCode => core.kdf.hash(new.proof).await?.as_stored().to_owned(),
    };
    let token = ShareToken::generate();
    let now = core.now_ms();
    let row = SecretRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        created_by: who.user_id.clone(),
        kind: new.kind.as_str().into(),
        label,
        tlp: new.tlp.as_str().into(),
        delivery: new.delivery.as_str().into(),
        recipient_email,
        selector: token.selector().to_owned(),
        verifier_hash: sha256_hex(token.verifier_secret().expose_secret()),
        proof_hash,
        nonce: new.nonce,
        salt,
        size: new.ciphertext.len() as i64,
        max_views: new.max_views,
        views: 0,
        expires_at: now + new.expires_in_minutes * 60_000,
        created_at: now,
        state: SecretState::Active.as_str().into(),
        ended_at: None,
        created_by_name: who.name.clone(),
    };
    let link = SecretString::from(format!(
        "{}{}",
        core.settings.public_url.join(LINK_PREFIX).map_err(|e| {
            ServiceError::fault(format!("the public URL cannot hold a secret's link: {e}"))
        })?,
        token.expose().expose_secret()
    ));
    let mut tx = core.db.begin().await?;
    store::secrets::insert(&mut *tx, &row, &new.ciphertext).await?;
    audit_event(
        core,
        &mut tx,
        &row,
        EventType::SecretCreated,
        AuditActor::Staff(who),
        json!({
            "kind": row.kind, "label": row.label, "tlp": row.tlp, "delivery": row.delivery,
            "recipient_email": row.recipient_email, "max_views": row.max_views,
            "expires_at": rfc3339(from_millis(row.expires_at)), "size": row.size,
        }),
        meta,
    )
    .await?;
    if let Some(to) = &row.recipient_email {
        let mail = notify::SecretLink {
            org_id: &row.org_id,
            kind: new.kind,
            tlp: new.tlp,
            expires_at_ms: row.expires_at,
            to,
        };
        notify::secret_link(core, &mut tx, mail, &link).await?;
    }
    tx.commit().await?;
    Ok((view(row)?, link))
}

/// The organisation's secrets, newest first (50 a page, `before` the last one seen).
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff, before: Option<&str>) -> Result<Vec<SecretView>> {
    authorize(who, Action::ViewShares)?;
    let pool = core.db.pool();
    let cursor = match before {
        None => None,
        Some(id) => {
            let row = store::secrets::get(pool, &who.org_id, id)
                .await?
                .ok_or(ServiceError::invalid("before", "no secret has this id"))?;
            Some((row.created_at, row.id))
        }
    };
    let rows = store::secrets::list(
        pool,
        &who.org_id,
        None,
        cursor.as_ref().map(|(at, id)| (*at, id.as_str())),
        50,
    )
    .await?;
    rows.into_iter().map(view).collect()
}

/// One secret of the organisation.
#[tracing::instrument(skip_all)]
pub async fn get(core: &Liaison, who: &Staff, id: &str) -> Result<SecretView> {
    authorize(who, Action::ViewShares)?;
    let row = store::secrets::get(core.db.pool(), &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("secret"))?;
    view(row)
}

/// Revokes a secret: its ciphertext is deleted now, and its link says it was withdrawn.
/// Its creator may; so may whoever may revoke any share.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<SecretView> {
    authorize(who, Action::ManageOwnShare)?;
    let pool = core.db.pool();
    let row = store::secrets::get(pool, &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("secret"))?;
    if row.created_by != who.user_id {
        authorize(who, Action::RevokeAnyShare)?;
    }
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::secrets::end(
        &mut *tx,
        &who.org_id,
        id,
        SecretState::Revoked.as_str(),
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict(format!(
            "this secret is already {}",
            row.state
        )));
    }
    audit_event(
        core,
        &mut tx,
        &row,
        EventType::SecretRevoked,
        AuditActor::Staff(who),
        json!({ "views": row.views }),
        meta,
    )
    .await?;
    tx.commit().await?;
    let row = store::secrets::get(pool, &who.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("secret"))?;
    view(row)
}

/// Expires active secrets whose time is up, deleting their ciphertext (run by the
/// sweeper; the recipient's side also expires a secret it finds overdue). Returns how many.
#[tracing::instrument(skip_all)]
pub async fn sweep(core: &Liaison, batch: i64) -> Result<usize> {
    let due = store::secrets::due_to_expire(core.db.pool(), core.now_ms(), batch).await?;
    let mut expired = 0;
    for (org_id, id) in due {
        if expire(core, &org_id, &id, &RequestMeta::default()).await? {
            expired += 1;
        }
    }
    Ok(expired)
}

/// Ends an overdue secret as expired and audits it; `false` if it had already ended.
pub(crate) async fn expire(
    core: &Liaison,
    org_id: &str,
    id: &str,
    meta: &RequestMeta,
) -> Result<bool> {
    let Some(row) = store::secrets::get(core.db.pool(), org_id, id).await? else {
        return Ok(false);
    };
    let mut tx = core.db.begin().await?;
    let ended = store::secrets::end(
        &mut *tx,
        org_id,
        id,
        SecretState::Expired.as_str(),
        core.now_ms(),
    )
    .await?;
    if ended {
        audit_event(
            core,
            &mut tx,
            &row,
            EventType::SecretExpired,
            AuditActor::System,
            json!({ "views": row.views }),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ended)
}

/// An event about `row` (the secret is the event's item).
pub(crate) fn event<'a>(
    core: &Liaison,
    row: &'a SecretRow,
    event_type: EventType,
    actor: AuditActor<'a>,
    details: serde_json::Value,
    meta: &'a RequestMeta,
) -> NewEvent<'a> {
    NewEvent {
        org_id: &row.org_id,
        event_type,
        actor,
        share_id: None,
        item_id: Some(&row.id),
        details,
        meta,
        at_ms: core.now_ms(),
    }
}

/// Appends an event about `row` inside `tx`, the transaction of the change.
pub(crate) async fn audit_event(
    core: &Liaison,
    tx: &mut Tx,
    row: &SecretRow,
    event_type: EventType,
    actor: AuditActor<'_>,
    details: serde_json::Value,
    meta: &RequestMeta,
) -> Result<()> {
    audit::record(tx, event(core, row, event_type, actor, details, meta)).await?;
    Ok(())
}
