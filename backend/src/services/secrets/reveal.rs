//! The recipient's side of a secret: what the link's page may say before anything is
//! revealed ([`overview`]), and the reveal itself ([`open`]), which takes one view and
//! hands out the ciphertext to a browser that proves it holds the key or the code.
//!
//! Invariants: the link's verifier is checked before anything about the secret is said;
//! a proof is checked under the attempt limits (reserved before the work) before a view is
//! taken; a view is taken by one conditional update, so two concurrent opens of the last
//! view cannot both win; the last view deletes the ciphertext in the same transaction.

use secrecy::{ExposeSecret, SecretSlice};
use serde::Serialize;
use serde_json::json;

use super::{audit_event, event, expire, Secret};
use crate::actor::{RequestMeta, Site};
use crate::audit::{self, AuditActor, EventType};
use crate::crypto::{constant_time_eq, sha256_hex, KdfHash, ShareToken};
use crate::domain::secrets::{self, Delivery, SecretKind, SecretState, PROOF_BYTES};
use crate::domain::{Denial, RevokedLink, Tlp};
use crate::services::share_core::attempt_counters;
use crate::services::{policy, Result, ServiceError};
use crate::store::{self, secrets::SecretRow};
use crate::Liaison;

/// Whom the audit names for what a link holder does.
const RECIPIENT: AuditActor<'static> = AuditActor::LinkHolder {
    recipient_name: "Secret recipient",
};

/// What the link's page shows before the reveal. Nothing in it needs the key.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SecretOverview {
    pub organisation: String,
    pub kind: SecretKind,
    pub tlp: Tlp,
    pub delivery: Delivery,
    /// The PBKDF2 salt for access code delivery.
    pub salt: Option<Vec<u8>>,
    pub views_left: i64,
    pub max_views: i64,
    pub expires_at_ms: i64,
    /// Anything but active: the secret is gone, and the page says why.
    pub state: SecretState,
}

/// What a reveal hands out: the nonce followed by the ciphertext.
pub struct Revealed {
    pub kind: SecretKind,
    pub nonce_and_ciphertext: Vec<u8>,
    pub views_left: i64,
}

/// The secret a link names, its verifier proven. An unknown or forged link is
/// [`Denial::UnknownToken`] and says nothing more; so is any link asked on a portal's
/// domain (secrets are the installation's own).
async fn find(core: &Liaison, token_text: &str, meta: &RequestMeta) -> Result<Secret> {
    let unknown = || ServiceError::Denied(Denial::UnknownToken);
    if meta.site != Site::Installation {
        return Err(unknown());
    }
    let token = ShareToken::parse(token_text).ok_or_else(unknown)?;
    let row = store::secrets::find_by_selector(core.db.pool(), token.selector())
        .await?
        .ok_or_else(unknown)?;
    let presented = sha256_hex(token.verifier_secret().expose_secret());
    if !constant_time_eq(presented.as_bytes(), row.verifier_hash.as_bytes()) {
        return Err(unknown());
    }
    Secret::of(row)
}

/// The secret's state as it stands now, under the organisation's policy as it is now:
/// an active secret past its expiry is expired here (ciphertext deleted, audited) rather
/// than waiting for the sweeper; one the policy no longer allows is refused
/// ([`Denial::PolicyForbids`]); a revoked one reads as unknown where the policy says a
/// revoked link shows nothing.
async fn standing(core: &Liaison, mut secret: Secret, meta: &RequestMeta) -> Result<Secret> {
    let org_id = secret.row.org_id.clone();
    match secret.state {
        SecretState::Revoked => {
            let policy = policy::org_policy(core, &org_id).await?;
            if policy.revoked_link == RevokedLink::NotFound {
                return Err(ServiceError::Denied(Denial::UnknownToken));
            }
            Ok(secret)
        }
        SecretState::Active if secret.row.expires_at <= core.now_ms() => {
            expire(core, &org_id, &secret.row.id, meta).await?;
            secret.state = SecretState::Expired;
            Ok(secret)
        }
        SecretState::Active => {
            let policy = policy::org_policy(core, &org_id).await?;
            match secrets::still_allowed(&policy.secrets, policy.tlp_ceiling, &secret.terms()) {
                Ok(()) => Ok(secret),
                Err(_) => Err(ServiceError::Denied(Denial::PolicyForbids)),
            }
        }
        // Burned or expired: nothing the policy says changes that.
        SecretState::Burned | SecretState::Expired => Ok(secret),
    }
}

/// What the page at `/secret/{token}` may show (no view is taken).
#[tracing::instrument(skip_all)]
pub async fn overview(core: &Liaison, token: &str, meta: &RequestMeta) -> Result<SecretOverview> {
    let secret = standing(core, find(core, token, meta).await?, meta).await?;
    let row = &secret.row;
    let organisation = store::orgs::get(core.db.pool(), &row.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(SecretOverview {
        organisation,
        kind: secret.kind,
        tlp: secret.tlp,
        delivery: secret.delivery,
        salt: row.salt.clone(),
        views_left: row.max_views - row.views,
        max_views: row.max_views,
        expires_at_ms: row.expires_at,
        state: secret.state,
    })
}

/// Why a secret that is no longer active cannot be revealed.
fn gone(state: SecretState) -> ServiceError {
    ServiceError::Denied(match state {
        SecretState::Revoked => Denial::Revoked,
        SecretState::Expired => Denial::Expired,
        SecretState::Active | SecretState::Burned => Denial::SecretGone,
    })
}

/// Is `proof` the one the secret was made with?
async fn proves(
    core: &Liaison,
    row: &SecretRow,
    delivery: Delivery,
    proof: SecretSlice<u8>,
) -> Result<bool> {
    Ok(match delivery {
        Delivery::LinkKey => constant_time_eq(
            sha256_hex(proof.expose_secret()).as_bytes(),
            row.proof_hash.as_bytes(),
        ),
        Delivery::AccessCode => {
            core.kdf
                .verify(proof, &KdfHash::from_stored(row.proof_hash.clone()))
                .await?
        }
    })
}

/// Reveals a secret to a browser that proves the key (link-key delivery) or the code
/// (access codes): takes one view and returns the ciphertext. The last view burns it.
#[tracing::instrument(skip_all)]
pub async fn open(
    core: &Liaison,
    token: &str,
    proof: SecretSlice<u8>,
    meta: &RequestMeta,
) -> Result<Revealed> {
    if proof.expose_secret().len() != PROOF_BYTES {
        return Err(ServiceError::invalid(
            "proof",
            format!("proof must be {PROOF_BYTES} bytes"),
        ));
    }
    let secret = standing(core, find(core, token, meta).await?, meta).await?;
    if secret.state != SecretState::Active {
        return Err(gone(secret.state));
    }
    let (row, delivery) = (&secret.row, secret.delivery);
    let address = meta.ip_subject();
    let limits = attempt_counters("secret", &row.id, &address);
    let pool = core.db.pool();
    let Some(last) = store::attempts::reserve_all(pool, &limits, core.now_ms()).await? else {
        failed_attempt(core, row, "locked_out", true, meta).await?;
        return Err(ServiceError::Denied(Denial::TooManyAttempts));
    };
    let proven = match proves(core, row, delivery, proof).await {
        Ok(proven) => proven,
        Err(e) => {
            store::attempts::release_all(pool, &limits).await?;
            return Err(e);
        }
    };
    if !proven {
        let reason = match delivery {
            Delivery::AccessCode => "wrong_access_code",
            Delivery::LinkKey => "wrong_key",
        };
        failed_attempt(core, row, reason, last, meta).await?;
        return Err(ServiceError::Denied(match (last, delivery) {
            (true, _) => Denial::TooManyAttempts,
            (false, Delivery::AccessCode) => Denial::WrongAccessCode,
            // A link whose key does not match was damaged or forged: it names nothing.
            (false, Delivery::LinkKey) => Denial::UnknownToken,
        }));
    }
    store::attempts::release_all(pool, &limits).await?;
    take(core, secret, meta).await
}

/// Takes one view and reads the ciphertext, burning it with the last view — all in one
/// transaction.
async fn take(core: &Liaison, secret: Secret, meta: &RequestMeta) -> Result<Revealed> {
    let Secret { row, kind, .. } = secret;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::secrets::take_view(&mut *tx, &row.org_id, &row.id, now).await? {
        // Another open took the last view first, or a revocation or the expiry came in
        // between: say which.
        drop(tx);
        let now_row = store::secrets::get(core.db.pool(), &row.org_id, &row.id)
            .await?
            .ok_or(ServiceError::Denied(Denial::UnknownToken))?;
        return Err(match Secret::of(now_row)?.state {
            SecretState::Active => ServiceError::Denied(Denial::Expired),
            other => gone(other),
        });
    }
    let (ciphertext, views) = store::secrets::ciphertext(&mut *tx, &row.org_id, &row.id)
        .await?
        .ok_or_else(|| {
            ServiceError::fault(format!("active secret {} has no ciphertext", row.id))
        })?;
    let views_left = row.max_views - views;
    audit_event(
        core,
        &mut tx,
        &row,
        EventType::SecretViewed,
        RECIPIENT,
        json!({ "view": views, "views_left": views_left }),
        meta,
    )
    .await?;
    if views_left == 0 {
        store::secrets::end(
            &mut *tx,
            &row.org_id,
            &row.id,
            SecretState::Burned.as_str(),
            now,
        )
        .await?;
        audit_event(
            core,
            &mut tx,
            &row,
            EventType::SecretBurned,
            RECIPIENT,
            json!({ "views": views }),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    let mut nonce_and_ciphertext = row.nonce;
    nonce_and_ciphertext.extend_from_slice(&ciphertext);
    Ok(Revealed {
        kind,
        nonce_and_ciphertext,
        views_left,
    })
}

/// Audits a refused reveal (never what was presented).
async fn failed_attempt(
    core: &Liaison,
    row: &SecretRow,
    reason: &str,
    locked: bool,
    meta: &RequestMeta,
) -> Result<()> {
    let details = json!({ "reason": reason, "locked": locked });
    let e = event(
        core,
        row,
        EventType::SecretAttemptFailed,
        RECIPIENT,
        details,
        meta,
    );
    audit::record_alone(&core.db, e).await?;
    Ok(())
}
