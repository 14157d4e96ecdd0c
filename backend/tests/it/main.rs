//! The backend's integration tests, in one binary (one link instead of seven): the store
//! and services on SQLite and PostgreSQL (`both_engines!`), the audit chain, mail through
//! a real SMTP server, GeoIP rules and portal JWT keys. Shared fixtures live in `common`.
#![allow(clippy::unwrap_used)] // A test crate: a panic is the failure report.

#[macro_use]
mod common;

mod audit_chain;
mod audit_feed;
mod comments;
mod custom_domains;
mod document_register;
mod federation_store;
mod geo;
mod guest_home;
mod intelligence;
mod mail;
mod portal_analytics;
mod portal_branding;
mod portal_jwt;
mod portal_structure;
mod record_shares;
mod records;
mod renewals;
mod reviews;
mod secrets;
mod share_controls;
mod staff_accounts;
mod store_story;
mod viewer;
