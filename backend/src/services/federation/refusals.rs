//! Refused sign-in steps: each audited with its reason; junk (no sign-in of ours, nothing
//! verified) coalesced to one event per window and address.

use serde_json::json;

use crate::actor::RequestMeta;
use crate::audit::coalesce::{Repeated, Verdict, WINDOW_MS};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::federation::FederationError;
use crate::services::{Result, ServiceError};
use crate::store::{federation::LoginRow, partners::IdpRow};
use crate::Liaison;

/// Audits a refused step and returns the error to answer with. (A sign-in whose answer
/// reached the wrong browser stays as it is: no browser holds what completing it needs,
/// so every further try is refused and audited too, until it expires.)
pub(super) async fn refuse(
    core: &Liaison,
    idp: &IdpRow,
    login: Option<&LoginRow>,
    e: FederationError,
    email: Option<&str>,
    meta: &RequestMeta,
) -> Result<ServiceError> {
    tracing::warn!(idp.id = %idp.id, reason = e.code(), "federated sign-in refused");
    audit_failure(core, idp, login, e.code(), email, meta).await?;
    Ok(e.into())
}

pub(super) async fn audit_failure(
    core: &Liaison,
    idp: &IdpRow,
    login: Option<&LoginRow>,
    reason: &str,
    email: Option<&str>,
    meta: &RequestMeta,
) -> Result<()> {
    let now = core.now_ms();
    let mut details = json!({
        "idp": idp.id,
        "idp_name": idp.name,
        "reason": reason,
        "purpose": login.map(|l| l.purpose.as_str()),
        "asserted_email": email,
    });
    if login.is_none() && email.is_none() {
        // Junk: no sign-in of ours, nothing verified. Once per window, with a count.
        let key = Repeated {
            org_id: idp.org_id.clone(),
            source_id: idp.id.clone(),
            reason: reason.to_owned(),
            address: meta.ip_subject(),
        };
        match core.junk.admit(&key, now) {
            Verdict::Counted => return Ok(()),
            Verdict::Record { earlier_repeats } => {
                details["repeated_before"] = json!(earlier_repeats);
            }
        }
    }
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &idp.org_id,
            event_type: EventType::FederatedSignInFailed,
            actor: AuditActor::Federated {
                name: email.unwrap_or("unknown"),
                idp_id: &idp.id,
            },
            share_id: login.and_then(|l| l.share_id.as_deref()),
            item_id: None,
            details,
            meta,
            at_ms: now,
        },
    )
    .await?;
    Ok(())
}

/// Records what [`audit_failure`] only counted: one event per (IdP, reason, address)
/// whose window has passed, naming how many refusals it stands for. Run periodically.
#[tracing::instrument(skip_all)]
pub async fn audit_repeated_junk(core: &Liaison) -> Result<usize> {
    let finished = core.junk.take_finished(core.now_ms());
    for (key, count) in &finished {
        audit::record_alone(
            &core.db,
            NewEvent {
                org_id: &key.org_id,
                event_type: EventType::FederatedSignInFailed,
                actor: AuditActor::Federated {
                    name: "unknown",
                    idp_id: &key.source_id,
                },
                share_id: None,
                item_id: None,
                details: json!({
                    "idp": key.source_id,
                    "reason": key.reason,
                    "repeated": count,
                    "address": key.address,
                    "window_minutes": WINDOW_MS / 60_000,
                }),
                meta: &RequestMeta::default(),
                at_ms: core.now_ms(),
            },
        )
        .await?;
    }
    Ok(finished.len())
}
