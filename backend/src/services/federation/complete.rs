//! Applying a verified identity to what the sign-in was for ([`LoginPurpose`]): a guest's
//! share, an administrator's "test connection", or a staff member's console sign-in. Each
//! purpose marks the sign-in completed once, in one transaction with what it records; a
//! refusal rolls that back and is audited with the asserted address.

use secrecy::SecretString;
use serde_json::json;

use super::refusals::audit_failure;
use super::Finished;
use crate::actor::RequestMeta;
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::Denial;
use crate::federation::{self, FederationError, Identity, LoginPurpose};
use crate::services::share_core::share_link;
use crate::services::{Result, ServiceError};
use crate::store::{self, federation::LoginRow, partners::IdpRow, Tx};
use crate::Liaison;

/// A verified sign-in on its way to what it was for.
struct SignIn<'a> {
    core: &'a Liaison,
    idp: &'a IdpRow,
    login: &'a LoginRow,
    identity: &'a Identity,
    /// `identity` as stored on the completed sign-in.
    identity_json: String,
    /// `saml` or `oidc`, for the audit event.
    protocol: &'static str,
    meta: &'a RequestMeta,
    now: i64,
}

/// How one purpose's step came out. A refusal that must be audited is returned as
/// [`Step::Refused`] (never through `?`): `complete` rolls the transaction back first, so
/// the audit event is written on its own.
enum Step {
    Done(Finished),
    /// Refused for `reason` (audited once the transaction is rolled back).
    Refused {
        reason: &'static str,
        error: ServiceError,
    },
}

/// Applies a verified identity to what the sign-in was for.
pub(super) async fn complete(
    core: &Liaison,
    idp: &IdpRow,
    login: LoginRow,
    state: &str,
    identity: Identity,
    protocol: &'static str,
    meta: &RequestMeta,
) -> Result<Finished> {
    let identity_json = serde_json::to_string(&identity).map_err(ServiceError::internal)?;
    let signin = SignIn {
        core,
        idp,
        login: &login,
        identity: &identity,
        identity_json,
        protocol,
        meta,
        now: core.now_ms(),
    };
    // Who the IdP may vouch for: a partner IdP only for addresses in the partner's domains.
    // ("Test connection" shows whatever was asserted: it opens nothing.)
    if login.purpose != LoginPurpose::Test {
        if let Some(refusal) = signin.outside_partner_domains().await? {
            audit_failure(
                core,
                idp,
                Some(&login),
                "email_outside_partner_domains",
                Some(&identity.email),
                meta,
            )
            .await?;
            return Err(refusal);
        }
    }
    let mut tx = core.db.begin().await?;
    let step = match login.purpose {
        LoginPurpose::Share => signin.for_share(&mut tx).await?,
        LoginPurpose::Test => signin.for_test(&mut tx).await?,
        LoginPurpose::Staff => signin.for_staff(&mut tx, state).await?,
    };
    match step {
        Step::Done(finished) => {
            tx.commit().await?;
            Ok(finished)
        }
        Step::Refused { reason, error } => {
            tx.rollback().await?;
            audit_failure(core, idp, Some(&login), reason, Some(&identity.email), meta).await?;
            Err(error)
        }
    }
}

impl SignIn<'_> {
    /// `Some(error)` when a partner IdP asserted an address outside the partner's domains.
    async fn outside_partner_domains(&self) -> Result<Option<ServiceError>> {
        let Some(partner_id) = &self.idp.partner_id else {
            return Ok(None);
        };
        let domains =
            store::partners::domains(self.core.db.pool(), &self.idp.org_id, partner_id).await?;
        let domain = federation::email_domain(&self.identity.email).unwrap_or_default();
        if domains.contains(&domain) {
            return Ok(None);
        }
        Ok(Some(
            FederationError::Refused(format!(
                "{} is not in one of this partner's email domains",
                self.identity.email
            ))
            .into(),
        ))
    }

    /// Marks the sign-in completed; a second completion (a replayed answer) is refused.
    async fn mark_completed(&self, tx: &mut Tx) -> Result<()> {
        if store::federation::complete(
            &mut **tx,
            &self.login.state_hash,
            &self.identity_json,
            self.now,
        )
        .await?
        {
            Ok(())
        } else {
            Err(FederationError::Replayed.into())
        }
    }

    fn actor(&self) -> AuditActor<'_> {
        AuditActor::Federated {
            name: &self.identity.display_name,
            idp_id: &self.idp.id,
        }
    }

    /// A partner's guest: the identity must be one the share admits (its recipient, or
    /// anyone of the partner where the share says so). Back to the share's link, where
    /// the open now passes the federated check in this browser.
    async fn for_share(&self, tx: &mut Tx) -> Result<Step> {
        let (idp, identity) = (self.idp, self.identity);
        let share_id = self.login.share_id.as_deref().unwrap_or_default();
        let share = store::shares::get(&mut **tx, &idp.org_id, share_id)
            .await?
            .ok_or(ServiceError::NotFound("share"))?;
        let admits = share.settings.federation.as_ref().is_some_and(|rule| {
            Some(&rule.partner_id) == idp.partner_id.as_ref()
                && (rule.any_partner_user
                    || identity
                        .email
                        .eq_ignore_ascii_case(share.recipient_email.trim()))
        });
        if !admits {
            return Ok(Step::Refused {
                reason: Denial::FederatedIdentityMismatch.code(),
                error: ServiceError::Denied(Denial::FederatedIdentityMismatch),
            });
        }
        self.mark_completed(tx).await?;
        store::partners::upsert_guest(
            tx,
            &store::partners::FederatedGuestRow {
                id: store::new_id(),
                org_id: idp.org_id.clone(),
                partner_id: idp.partner_id.clone().unwrap_or_default(),
                idp_id: idp.id.clone(),
                subject: identity.subject.clone(),
                email: identity.email.clone(),
                display_name: identity.display_name.clone(),
                organisation: identity.organisation.clone(),
                groups: serde_json::to_string(&identity.groups).unwrap_or_else(|_| "[]".into()),
                first_seen_at: self.now,
                last_seen_at: self.now,
            },
        )
        .await?;
        audit::record(
            tx,
            NewEvent {
                org_id: &idp.org_id,
                event_type: EventType::FederatedSignIn,
                actor: self.actor(),
                share_id: Some(&share.id),
                item_id: Some(share.item_id()),
                details: json!({
                    "idp": idp.id, "idp_name": idp.name, "protocol": self.protocol,
                    "email": identity.email, "subject": identity.subject,
                    "partner": idp.partner_id,
                }),
                meta: self.meta,
                at_ms: self.now,
            },
        )
        .await?;
        Ok(Step::Done(Finished::Share {
            link: share_link(self.core, &share.org_id, &share.id).await?,
        }))
    }

    /// "Test connection": records and shows what the IdP asserted; opens nothing.
    async fn for_test(&self, tx: &mut Tx) -> Result<Step> {
        let idp = self.idp;
        self.mark_completed(tx).await?;
        audit::record(
            tx,
            NewEvent {
                org_id: &idp.org_id,
                event_type: EventType::FederationTested,
                actor: self.actor(),
                share_id: None,
                item_id: None,
                details: json!({
                    "idp": idp.id, "idp_name": idp.name, "protocol": self.protocol,
                    "tested_by": self.login.user_id, "identity": self.identity,
                }),
                meta: self.meta,
                at_ms: self.now,
            },
        )
        .await?;
        Ok(Step::Done(Finished::Test {
            idp_name: idp.name.clone(),
            identity: self.identity.clone(),
        }))
    }

    /// Staff: only the organisation's own IdP, only existing, enabled accounts of this
    /// organisation (roles stay Liaison's; the IdP proves who, not what). The console
    /// session itself is created at `/auth/staff/finish`, in the browser that started the
    /// sign-in; here the sign-in is only marked completed.
    async fn for_staff(&self, tx: &mut Tx, state: &str) -> Result<Step> {
        if self.idp.partner_id.is_some() {
            return Ok(Step::Refused {
                reason: "partner_idp_for_staff",
                error: ServiceError::Forbidden("a partner's IdP cannot sign staff in"),
            });
        }
        let has_account = store::users::find_by_email(&mut **tx, &self.identity.email)
            .await?
            .is_some_and(|u| u.org_id == self.idp.org_id && u.disabled_at.is_none());
        if !has_account {
            return Ok(Step::Refused {
                reason: "no_staff_account",
                error: ServiceError::Forbidden(
                    "there is no Liaison account for this identity in this organisation",
                ),
            });
        }
        self.mark_completed(tx).await?;
        Ok(Step::Done(Finished::Staff {
            state: SecretString::from(state.to_owned()),
        }))
    }
}
