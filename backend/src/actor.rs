//! Who is acting, with which credential, from where. Every service call takes one and
//! every audit event records it.

use std::net::IpAddr;

use crate::domain::Role;

/// Where a request came from (for audit). The user agent is truncated to 512 bytes.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        let user_agent = user_agent.map(|ua| {
            let mut end = ua.len().min(512);
            while !ua.is_char_boundary(end) {
                end -= 1;
            }
            ua[..end].to_owned()
        });
        Self { ip, user_agent }
    }
}

/// How a staff member authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffCredential {
    /// Console cookie session.
    Session,
    /// Admin API key, by key id.
    ApiKey { key_id: String },
}

impl StaffCredential {
    pub fn audit_label(&self) -> String {
        match self {
            StaffCredential::Session => "session".into(),
            StaffCredential::ApiKey { key_id } => format!("api_key:{key_id}"),
        }
    }
}

/// An authenticated internal user. Constructed only by `services::auth`.
#[derive(Clone, Debug)]
pub struct Staff {
    pub org_id: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub credential: StaffCredential,
}

/// A guest inside a portal session, checked against the share on this very request.
#[derive(Clone, Debug)]
pub struct Guest {
    pub org_id: String,
    pub share_id: String,
    pub session_id: String,
    pub recipient_name: String,
    pub recipient_email: String,
}
