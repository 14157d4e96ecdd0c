//! Bearer secrets handed to people and machines.
//!
//! - [`ShareToken`]: the secret in a share link `/s/{token}`. A 128-bit *selector* (a
//!   lookup key, stored as is) followed by a 256-bit *verifier* (stored only as a PBKDF2
//!   hash). The selector lets the server find the share without hashing; only the
//!   verifier proves possession. Both halves come from the OS CSPRNG.
//! - [`ApiKey`]: an admin API key `lsn_<256 bits>`, stored only as its SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice, SecretString};

const SELECTOR_BYTES: usize = 16;
const VERIFIER_BYTES: usize = 32;
/// base64url (no padding) lengths of the two halves.
const SELECTOR_LEN: usize = 22;
const VERIFIER_LEN: usize = 43;

pub(crate) fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    B64URL.encode(buf)
}

/// A share link token. `Debug` never prints the verifier.
pub struct ShareToken {
    selector: String,
    verifier: SecretString,
}

impl ShareToken {
    pub fn generate() -> Self {
        Self {
            selector: random_b64(SELECTOR_BYTES),
            verifier: SecretString::from(random_b64(VERIFIER_BYTES)),
        }
    }

    /// Parses the text of a link. Anything not of the exact shape is `None`
    /// (callers answer 404, as for an unknown token).
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != SELECTOR_LEN + VERIFIER_LEN
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        let (selector, verifier) = text.split_at(SELECTOR_LEN);
        // Reject non-canonical encodings so one token has exactly one spelling.
        let canonical = |s: &str, n: usize| B64URL.decode(s).is_ok_and(|b| b.len() == n);
        if !canonical(selector, SELECTOR_BYTES) || !canonical(verifier, VERIFIER_BYTES) {
            return None;
        }
        Some(Self {
            selector: selector.to_owned(),
            verifier: SecretString::from(verifier.to_owned()),
        })
    }

    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// The verifier's bytes, for hashing.
    pub fn verifier_secret(&self) -> SecretSlice<u8> {
        SecretSlice::from(self.verifier.expose_secret().as_bytes().to_vec())
    }

    /// The full token text, to be put in a link and shown once.
    pub fn expose(&self) -> SecretString {
        SecretString::from(format!(
            "{}{}",
            self.selector,
            self.verifier.expose_secret()
        ))
    }
}

impl std::fmt::Debug for ShareToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareToken")
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

/// An admin API key. Recognisable by its `lsn_` prefix (secret scanners can match it).
pub struct ApiKey(SecretString);

impl ApiKey {
    pub const PREFIX: &'static str = "lsn_";

    pub fn generate() -> Self {
        Self(SecretString::from(format!(
            "{}{}",
            Self::PREFIX,
            random_b64(32)
        )))
    }

    /// Accepts only the exact shape; anything else is not an API key.
    pub fn parse(text: &str) -> Option<Self> {
        let body = text.strip_prefix(Self::PREFIX)?;
        let ok = body.len() == 43 && B64URL.decode(body).is_ok_and(|b| b.len() == 32);
        ok.then(|| Self(SecretString::from(text.to_owned())))
    }

    /// What the database stores and looks up.
    pub fn lookup_hash(&self) -> String {
        super::sha256_hex(self.0.expose_secret().as_bytes())
    }

    pub fn expose(&self) -> &SecretString {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(lsn_…)")
    }
}

/// A random password for a freshly bootstrapped admin: 20 characters from a
/// 57-symbol alphabet without look-alikes (~116 bits).
pub fn generate_password() -> SecretString {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(20);
    let mut rng = rand::rngs::OsRng;
    while out.len() < 20 {
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        // Rejection sampling keeps the distribution uniform.
        let limit = 256 - (256 % ALPHABET.len());
        if (b[0] as usize) < limit {
            out.push(ALPHABET[b[0] as usize % ALPHABET.len()] as char);
        }
    }
    SecretString::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_token_round_trips_and_is_unique() {
        let a = ShareToken::generate();
        let text = a.expose().expose_secret().to_owned();
        assert_eq!(text.len(), 65);
        let parsed = ShareToken::parse(&text).expect("parses");
        assert_eq!(parsed.selector(), a.selector());
        assert_ne!(
            ShareToken::generate().expose().expose_secret(),
            text.as_str()
        );
    }

    #[test]
    fn malformed_share_tokens_are_rejected() {
        let good = ShareToken::generate().expose().expose_secret().to_owned();
        let cases = [
            String::new(),
            "x".repeat(65),
            good[..64].to_owned(),
            format!("{good}A"),
            good.replace(&good[..1], "%"),
            format!("{}/{}", &good[..22], &good[23..]),
            "../../../../etc/passwd".into(),
            "' OR 1=1 --".into(),
        ];
        for case in cases {
            if case != good {
                assert!(ShareToken::parse(&case).is_none(), "{case:?}");
            }
        }
    }

    #[test]
    fn debug_never_shows_the_verifier() {
        let t = ShareToken::generate();
        let secret = t.expose().expose_secret().to_owned();
        let debug = format!("{t:?}");
        assert!(!debug.contains(&secret[22..]));
    }

    #[test]
    fn api_keys_have_prefix_and_stable_hash() {
        let key = ApiKey::generate();
        let text = key.expose().expose_secret().to_owned();
        assert!(text.starts_with("lsn_"));
        let again = ApiKey::parse(&text).expect("parses");
        assert_eq!(again.lookup_hash(), key.lookup_hash());
        assert!(ApiKey::parse("lsn_short").is_none());
        assert!(ApiKey::parse(&text.replace("lsn_", "xyz_")).is_none());
        assert_eq!(format!("{key:?}"), "ApiKey(lsn_…)");
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.expose_secret().len(), 20);
        assert_ne!(a.expose_secret(), generate_password().expose_secret());
    }
}
