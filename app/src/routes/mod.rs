//! Pages, grouped by who sees them.

pub mod auth;
pub mod console;
pub mod portal;
