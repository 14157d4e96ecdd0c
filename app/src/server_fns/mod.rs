//! Server functions, one per file, grouped by area. Each is a thin shim: read the request
//! context, call one `backend::services` function, map the error.

pub mod audit;
pub mod auth;
pub mod documents;
pub mod outbox;
pub mod packages;
pub mod partners;
pub mod policy;
pub mod portal;
pub mod portals;
pub mod shares;
