//! PBKDF2-HMAC-SHA-256 in a crate of its own, so that dev builds compile it optimised
//! (`[profile.dev.package.kdf]`) while the rest of the domain crate builds quickly.
//!
//! `pbkdf2_hmac` is generic: its loop is compiled in whichever crate instantiates it.
//! Instantiated here, the tests' real 600,000-iteration hashes take about 0.25 s each in a
//! dev build instead of about 2 s.

#![forbid(unsafe_code)]

/// PBKDF2-HMAC-SHA-256 of `password` and `salt`, `iterations` rounds, filling `out`.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out);
}
