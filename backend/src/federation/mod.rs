//! Partner federation: Liaison as a SAML 2.0 service provider and an OpenID Connect relying
//! party for partner organisations' identity providers (and for the organisation's own IdP,
//! for staff sign-in).
//!
//! Invariants (each check names the attack it stops where it is made):
//! - nothing an IdP sends is believed until it is verified: SAML content is read only from
//!   what the IdP's certificate signed ([`saml`]); OIDC identities come only from an
//!   `id_token` whose signature, issuer, audience, nonce and times check out ([`oidc`]);
//! - every sign-in starts here: a random state (OIDC `state`, SAML `RelayState`) names a
//!   row holding the request id, nonce and PKCE verifier; the state itself is never stored,
//!   only its SHA-256, and the row is usable once within [`LOGIN_TTL_MS`];
//! - an identity without an email address is refused: the share check and home-realm
//!   discovery depend on it;
//! - outbound fetches (metadata, discovery, keys, tokens) go through [`outbound`], which
//!   refuses private and loopback addresses unless the operator allowed them, follows no
//!   redirects, and caps time and size.

pub mod attributes;
pub mod oidc;
pub mod outbound;
pub mod saml;

use serde::{Deserialize, Serialize};

pub use attributes::{AttributeMap, Identity};

/// A sign-in must come back from the IdP within this long.
pub const LOGIN_TTL_MS: i64 = 10 * 60_000;

/// Clock skew tolerated on IdP timestamps unless an IdP's configuration says otherwise.
pub const DEFAULT_SKEW_SECS: i64 = 120;

/// What a sign-in at an IdP is for; stored as text in `federation_logins.purpose`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginPurpose {
    /// A partner's guest opening a federated share.
    Share,
    /// Staff signing in to the console at their organisation's own IdP.
    Staff,
    /// An administrator's "test connection": shows what the IdP asserts, opens nothing.
    Test,
}

impl LoginPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginPurpose::Share => "share",
            LoginPurpose::Staff => "staff",
            LoginPurpose::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "share" => Some(LoginPurpose::Share),
            "staff" => Some(LoginPurpose::Staff),
            "test" => Some(LoginPurpose::Test),
            _ => None,
        }
    }
}

impl TryFrom<String> for LoginPurpose {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown sign-in purpose {s:?}"))
    }
}

/// How an IdP is reached and trusted; stored as JSON in `identity_providers.config`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum IdpConfig {
    Saml(saml::SamlIdpConfig),
    Oidc(oidc::OidcIdpConfig),
}

impl IdpConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            IdpConfig::Saml(_) => "saml",
            IdpConfig::Oidc(_) => "oidc",
        }
    }
}

/// Why an IdP's answer was refused. `code()` goes into the audit event; `Display` is the
/// message the person sees (it names the failed check, never a token or assertion).
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("This sign-in was not started here or has expired. Start again from your link.")]
    UnknownState,
    /// The IdP's answer reached a browser other than the one that started the sign-in
    /// (a lured click: completing it would sign the starter in as the one who clicked).
    #[error("This sign-in was started in another browser, so it was not completed. Start again from your link or the sign-in page, in this browser.")]
    BrowserMismatch,
    #[error("The identity provider's answer came from a different issuer than the one this sign-in was sent to.")]
    IssuerParameterMismatch,
    #[error("The identity provider refused the sign-in: {0}")]
    IdpError(String),
    #[error("The identity provider's answer is malformed: {0}")]
    Malformed(String),
    #[error("The identity provider's signature is missing or does not verify.")]
    BadSignature,
    #[error("The assertion is for another service (audience mismatch).")]
    WrongAudience,
    #[error(
        "The assertion was addressed to another endpoint (recipient or destination mismatch)."
    )]
    WrongRecipient,
    #[error("The assertion was issued by another identity provider.")]
    WrongIssuer,
    #[error("The assertion or token has expired.")]
    Expired,
    #[error("The assertion or token is not valid yet.")]
    NotYetValid,
    #[error("This assertion was already used.")]
    Replayed,
    #[error("The answer does not belong to a sign-in started here (unknown InResponseTo).")]
    UnknownInResponseTo,
    #[error("The token's nonce does not match this sign-in.")]
    NonceMismatch,
    #[error("The token is signed with an algorithm this identity provider does not use.")]
    DisallowedAlgorithm,
    #[error("The token is signed by a key the identity provider does not publish.")]
    UnknownKey,
    #[error("The identity provider did not assert an email address.")]
    NoEmail,
    #[error("The identity provider says this email address is not verified.")]
    EmailNotVerified,
    #[error("This identity provider does not allow sign-ins it starts itself.")]
    IdpInitiatedNotAllowed,
    #[error("The identity provider is disabled.")]
    Disabled,
    #[error("Could not reach the identity provider: {0}")]
    Unreachable(String),
    #[error("{0}")]
    Refused(String),
}

impl FederationError {
    pub fn code(&self) -> &'static str {
        match self {
            FederationError::UnknownState => "unknown_state",
            FederationError::BrowserMismatch => "browser_mismatch",
            FederationError::IssuerParameterMismatch => "issuer_parameter_mismatch",
            FederationError::IdpError(_) => "idp_error",
            FederationError::Malformed(_) => "malformed",
            FederationError::BadSignature => "bad_signature",
            FederationError::WrongAudience => "wrong_audience",
            FederationError::WrongRecipient => "wrong_recipient",
            FederationError::WrongIssuer => "wrong_issuer",
            FederationError::Expired => "expired",
            FederationError::NotYetValid => "not_yet_valid",
            FederationError::Replayed => "replayed",
            FederationError::UnknownInResponseTo => "unknown_in_response_to",
            FederationError::NonceMismatch => "nonce_mismatch",
            FederationError::DisallowedAlgorithm => "disallowed_algorithm",
            FederationError::UnknownKey => "unknown_key",
            FederationError::NoEmail => "no_email",
            FederationError::EmailNotVerified => "email_not_verified",
            FederationError::IdpInitiatedNotAllowed => "idp_initiated_not_allowed",
            FederationError::Disabled => "idp_disabled",
            FederationError::Unreachable(_) => "idp_unreachable",
            FederationError::Refused(_) => "refused",
        }
    }
}

/// Lower-cased domain of an email address, if it has one.
pub fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    (!local.is_empty() && domain.contains('.') && !domain.starts_with('.'))
        .then(|| domain.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_domains_are_lower_cased_and_validated() {
        assert_eq!(
            email_domain("Ann@Partner.EXAMPLE").as_deref(),
            Some("partner.example")
        );
        assert_eq!(email_domain("a@b@c.example").as_deref(), Some("c.example"));
        assert_eq!(email_domain("@partner.example"), None);
        assert_eq!(email_domain("ann@localhost"), None);
        assert_eq!(email_domain("ann"), None);
    }
}
