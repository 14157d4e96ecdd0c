//! The use cases. Every transport (Leptos pages, REST, portal API) calls these, and
//! authorization lives here, so transports cannot disagree about who may do what.
//! A service owns its transaction: begin → store calls → audit event → commit.

pub mod api_keys;
pub mod audit_log;
pub mod auth;
pub mod bootstrap;
pub mod codes;
pub mod documents;
pub mod federation;
pub mod notify;
pub mod outbox;
pub mod packages;
pub mod partners;
pub mod policy;
pub mod portal;
pub mod portals;
pub mod responses;
pub mod shares;
pub mod signing_keys;
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
    /// A fault on our side; the detail is logged once at the edge and never shown.
    #[error("internal error")]
    Internal(String),
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

macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ServiceError {
            fn from(e: $t) -> Self {
                ServiceError::Internal(e.to_string())
            }
        }
    )*};
}
internal_from!(
    crate::store::StoreError,
    sqlx::Error,
    crate::crypto::kdf::KdfError,
    crate::blobs::BlobError,
    crate::crypto::seal::SealError
);

impl From<crate::portal_jwt::JwtError> for ServiceError {
    fn from(e: crate::portal_jwt::JwtError) -> Self {
        if e.is_token_fault() {
            ServiceError::InvalidPortalToken(e.to_string())
        } else {
            ServiceError::Internal(e.to_string())
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Formats a time as RFC 3339 for API responses.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The one role check for administrator-only actions; `forbidden` says what was refused.
pub(crate) fn require_admin(who: &crate::actor::Staff, forbidden: &'static str) -> Result<()> {
    if who.role == crate::domain::Role::Admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(forbidden))
    }
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
