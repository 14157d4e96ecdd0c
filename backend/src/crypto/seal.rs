//! Authenticated encryption (AES-256-GCM) of secrets kept at rest in the database, such as
//! the portal's RSA signing keys, under a master key that never enters the database.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the master key must be exactly 32 bytes")]
    BadKey,
    #[error("sealed data is corrupt or was sealed under another master key")]
    Open,
}

/// Seals with AES-256-GCM; the `context` string is bound as associated data so a sealed
/// value cannot be moved to another purpose (e.g. a signing key pasted into another row).
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(master_key: &SecretSlice<u8>) -> Result<Self, SealError> {
        let key = master_key.expose_secret();
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SealError::BadKey)?;
        if key.len() != 32 {
            return Err(SealError::BadKey);
        }
        Ok(Self { cipher })
    }

    /// Output: nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<SecretSlice<u8>, SealError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(SealError::Open);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Open)?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map(SecretSlice::from)
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&SecretSlice::from(vec![byte; 32])).unwrap()
    }

    #[test]
    fn round_trip_and_tamper_detection() {
        let s = sealer(7);
        let mut sealed = s.seal("ctx", b"private key");
        assert_eq!(
            s.open("ctx", &sealed).unwrap().expose_secret(),
            b"private key"
        );
        assert!(s.open("other", &sealed).is_err(), "context is bound");
        assert!(sealer(8).open("ctx", &sealed).is_err(), "key is checked");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(s.open("ctx", &sealed).is_err(), "tampering is detected");
        assert!(s.open("ctx", b"short").is_err());
    }

    #[test]
    fn key_length_is_enforced() {
        assert!(Sealer::new(&SecretSlice::from(vec![0u8; 16])).is_err());
    }
}
