//! Tests that run `liaison serve` as a real process, with real peers in front of or beside
//! it: two nodes on one PostgreSQL database, nodes on S3-compatible storage (moto), and
//! Caddy serving a custom portal domain.
#![allow(clippy::unwrap_used)] // A test crate: a panic is the failure report.

// Shared with the backend's tests, which use all of it.
#[allow(dead_code)]
#[path = "../../../backend/tests/it/common/dnsmasq.rs"]
mod dnsmasq;
mod node;

mod activity;
mod blob_store;
mod caddy;
mod live;
mod records;
mod schemathesis;
mod two_nodes;
