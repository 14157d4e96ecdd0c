//! Cryptographic building blocks: random tokens, the PBKDF2 work pool, secret sealing.
//!
//! Invariants every caller relies on:
//! - every token comes from the operating system CSPRNG ([`rand::rngs::OsRng`]);
//! - no token, code or password is ever stored or logged in plaintext — only its hash
//!   (PBKDF2 for human-typed or per-share secrets, SHA-256 for high-entropy lookup keys);
//! - comparisons of secret-derived bytes are constant-time ([`subtle`]).

pub mod kdf;
pub mod seal;
pub mod token;

pub use kdf::{Kdf, KdfHash};
pub use seal::Sealer;
pub use token::{ApiKey, ShareToken};

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `data`; used for high-entropy lookup keys (API keys,
/// session ids) and content fingerprints, never for passwords.
pub fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

/// Lower-case hex of `bytes`.
pub fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
