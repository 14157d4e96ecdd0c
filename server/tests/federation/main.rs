//! Partner federation against real identity providers started by this test: SimpleSAMLphp
//! (SAML 2.0 IdP) and the npm `oidc-provider` (OpenID Provider), plus the attack matrix —
//! crafted SAML responses signed with xmlsec1 and a hostile OpenID Provider — each refused
//! with a clear page, audited, and without a session.
#![allow(clippy::unwrap_used)] // A test crate: a panic is the failure report.

mod harness;
mod oidc;

mod saml;
