//! Domain types and pure rules: no I/O here, so every rule is table-testable.

pub mod share;
pub mod staff;

pub use share::{Denial, Share, ShareStatus};
pub use staff::Role;
