//! Domain types and pure rules: no I/O here, so every rule is table-testable.

pub mod branding;
pub mod content_type;
pub mod controls;
pub mod hostname;
pub mod intelligence;
pub mod policy;
pub mod portal_structure;
pub mod records;
pub mod renewal;
pub mod review;
pub mod secrets;
pub mod share;
pub mod staff;

pub use controls::{Method, Permission, Scope, ShareSettings, Tlp};
pub use policy::{Policy, PolicyOverride, RevokedLink};
pub use portal_structure::{ItemKind, ItemRef, MemberRole, MembershipEnd, Move};
pub use renewal::RenewalStatus;
pub use share::{Denial, DeviceStatus, Share, ShareStatus};
pub use staff::{Action, KeyScope, Role, SignIn};
