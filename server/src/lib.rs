//! The `liaison` server: configuration, HTTP surface (Leptos pages, REST, portal API,
//! JWKS, health), middleware, and the admin commands. `main.rs` only parses and dispatches.
#![forbid(unsafe_code)]

pub mod api;
pub mod bench;
pub mod brand;
pub mod commands;
pub mod config;
pub mod console_export;
pub mod console_upload;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod federation;
pub mod key_commands;
pub mod live;
pub mod middleware;
pub mod portal_responses;
pub mod rate_limit;
pub mod router;
pub mod sites;
pub mod state;
pub mod telemetry;
