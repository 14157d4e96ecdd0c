//! The use cases. Every transport (Leptos pages, REST, portal API) calls these, and
//! authorization lives here, so transports cannot disagree about who may do what.
//! A service owns its transaction: begin → store calls → audit event → commit.

pub mod access;
pub mod analytics;
pub mod api_keys;
pub mod audit_feed;
pub mod audit_log;
pub mod auth;
pub mod bootstrap;
pub mod codes;
pub mod comments;
pub mod dashboard;
pub mod documents;
pub mod federation;
pub mod intelligence;
pub mod leaks;
pub mod notify;
pub mod outbox;
pub mod packages;
pub mod partners;
pub mod policy;
pub mod portals;
pub mod presence;
pub mod records;
pub mod renewals;
pub mod responses;
pub mod reviews;
pub mod secrets;
pub mod share_core;
pub mod shares;
pub mod signing_keys;
pub mod sites;
pub mod staff;
pub mod uploads;
mod validate;

use crate::domain::Denial;

/// What a service call can fail with. `code()` is the stable machine-readable name used
/// in every API's error envelope; `Display` is a message safe to show to the caller.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{}", .0.message())]
    Denied(Denial),
    #[error("{0}")]
    InvalidPortalToken(String),
    #[error("the file is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("{0}")]
    Conflict(String),
    /// Something outside Liaison that the request needs (a DNS server) did not answer;
    /// asking again later may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// A limit on how much one party may ask for (requests per address, open streams or
    /// responses per share). `retry_after_secs`: when asking again may succeed, if known.
    #[error("{message}")]
    TooMany {
        message: &'static str,
        retry_after_secs: Option<u64>,
    },
    /// A federated sign-in refused (the message names the failed check).
    #[error("{0}")]
    Federation(#[from] crate::federation::FederationError),
    /// A fault on our side; its detail (with the error that caused it) is logged once at
    /// the edge and never shown.
    #[error("internal error")]
    Internal(#[source] Fault),
}

/// Maps a store error to [`ServiceError::Conflict`] with `message()` when a unique
/// constraint refused the write (the thing already exists); any other error as it is.
/// For `.map_err(on_unique(|| …))` on inserts and renames.
pub(crate) fn on_unique(
    message: impl FnOnce() -> String,
) -> impl FnOnce(crate::store::StoreError) -> ServiceError {
    move |e| {
        if e.is_unique_violation() {
            ServiceError::Conflict(message())
        } else {
            e.into()
        }
    }
}

impl ServiceError {
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid { .. } => "invalid_input",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::Unauthenticated(_) => "unauthenticated",
            ServiceError::Denied(d) => d.code(),
            ServiceError::InvalidPortalToken(_) => "invalid_token",
            ServiceError::PayloadTooLarge { .. } => "payload_too_large",
            ServiceError::UnsupportedMedia(_) => "unsupported_media_type",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::Unavailable(_) => "unavailable",
            ServiceError::TooMany { .. } => "too_many_requests",
            ServiceError::Federation(e) => e.code(),
            ServiceError::Internal(_) => "internal",
        }
    }

    /// The HTTP status every transport answers this error with (one mapping for pages,
    /// REST and the portal API).
    pub fn http_status(&self) -> u16 {
        match self {
            ServiceError::Invalid { .. } => 422,
            ServiceError::NotFound(_) | ServiceError::Denied(Denial::UnknownToken) => 404,
            ServiceError::Denied(Denial::TooManyAttempts) => 429,
            ServiceError::Denied(d) if d.is_final() => 410,
            ServiceError::Forbidden(_) | ServiceError::Denied(_) => 403,
            ServiceError::Unauthenticated(_) | ServiceError::InvalidPortalToken(_) => 401,
            ServiceError::PayloadTooLarge { .. } => 413,
            ServiceError::UnsupportedMedia(_) => 415,
            ServiceError::Conflict(_) => 409,
            ServiceError::Unavailable(_) => 503,
            ServiceError::TooMany { .. } => 429,
            ServiceError::Federation(crate::federation::FederationError::Unreachable(_)) => 502,
            ServiceError::Federation(_) => 403,
            ServiceError::Internal(_) => 500,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// What went wrong on our side: what was being done, and the error that caused it (kept
/// as the [`std::error::Error::source`], so the edge logs the whole chain).
#[derive(Debug)]
pub struct Fault {
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Fault {
    /// The context and every cause, `: `-separated, for the one log line at the edge.
    pub fn detail(&self) -> String {
        let mut out = self.context.clone();
        let mut next = self.source.as_deref().map(|e| e as &dyn std::error::Error);
        while let Some(e) = next {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail())
    }
}

impl std::error::Error for Fault {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl ServiceError {
    /// A broken invariant with no underlying error (a stored value that cannot be).
    pub fn fault(context: impl Into<String>) -> Self {
        ServiceError::Internal(Fault {
            context: context.into(),
            source: None,
        })
    }

    /// An error from below that the caller cannot act on, kept as the source.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::internal_while(String::new(), e)
    }

    /// As [`ServiceError::internal`], saying what was being done.
    pub fn internal_while(
        context: impl Into<String>,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ServiceError::Internal(Fault {
            context: context.into(),
            source: Some(Box::new(e)),
        })
    }
}

macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ServiceError {
            fn from(e: $t) -> Self {
                ServiceError::internal(e)
            }
        }
    )*};
}
internal_from!(
    crate::store::StoreError,
    sqlx::Error,
    crate::crypto::kdf::KdfError,
    crate::crypto::seal::SealError
);

impl From<crate::blobs::BlobError> for ServiceError {
    /// A store that does not answer is the caller's 503 ("try again"), logged here with its
    /// cause since [`ServiceError::Unavailable`] carries only the public message.
    fn from(e: crate::blobs::BlobError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error.detail = %e, "the blob store did not answer");
            ServiceError::Unavailable(BLOBS_UNAVAILABLE.into())
        } else {
            ServiceError::internal(e)
        }
    }
}

/// What a caller is told when the blob store is down.
const BLOBS_UNAVAILABLE: &str =
    "The document store is not answering; nothing was changed. Try again in a minute.";

impl From<crate::portal_jwt::JwtError> for ServiceError {
    fn from(e: crate::portal_jwt::JwtError) -> Self {
        if e.is_token_fault() {
            ServiceError::InvalidPortalToken(e.to_string())
        } else {
            ServiceError::internal(e)
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Formats a time as RFC 3339 for API responses.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The one authorization check: the role matrix ([`crate::domain::Role::permits`]), then an
/// API key's scope. A refusal names what was refused.
pub(crate) fn authorize(who: &crate::actor::Staff, action: crate::domain::Action) -> Result<()> {
    if !who.role.permits(action) {
        return Err(ServiceError::Forbidden(action.refusal()));
    }
    if let crate::actor::StaffCredential::ApiKey { scope, .. } = &who.credential {
        if !scope.permits(action) {
            return Err(ServiceError::Forbidden(
                "This API key is read-only: it may not change anything or open the outbox.",
            ));
        }
    }
    Ok(())
}

/// Records a staff member's change to organisation-level configuration (partners, portals,
/// packages) inside the change's own transaction, so both commit or neither does.
pub(crate) async fn audit_staff_change(
    core: &crate::Liaison,
    tx: &mut crate::store::Tx,
    who: &crate::actor::Staff,
    event_type: crate::audit::EventType,
    details: serde_json::Value,
    meta: &crate::actor::RequestMeta,
) -> Result<()> {
    crate::audit::record(
        tx,
        crate::audit::NewEvent {
            org_id: &who.org_id,
            event_type,
            actor: crate::audit::AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details,
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ServiceError;
    use std::error::Error as _;

    /// The edge logs what was being done and every cause; the caller sees none of it.
    #[test]
    fn an_internal_error_keeps_its_cause() {
        let io = std::io::Error::other("disk full");
        let e = ServiceError::internal_while("writing CSV", io);
        assert_eq!(e.to_string(), "internal error");
        let ServiceError::Internal(fault) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(fault.detail(), "writing CSV: disk full");
        assert_eq!(e.source().unwrap().to_string(), "writing CSV: disk full");
        assert_eq!(
            ServiceError::internal(std::io::Error::other("x")).to_string(),
            "internal error"
        );
        assert_eq!(e.http_status(), 500);
    }
}
