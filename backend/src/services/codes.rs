//! One-time email verification codes for invitation shares. The invitation mail carries the
//! link; the code travels in a separate mail sent when the link is opened, so a forwarded
//! invitation alone does not open the share.
//!
//! Codes are 8 digits from the CSPRNG, stored only as PBKDF2 hashes, valid for
//! [`CODE_TTL_MS`], single use; a new one is sent at most every [`RESEND_AFTER_MS`] and
//! supersedes the ones before, so a guess costs one PBKDF2 computation. Wrong codes count
//! against the share and IP limits in `portal`.

use rand::Rng;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::json;

use super::Result;
use crate::actor::RequestMeta;
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::Share;
use crate::store::{self, new_id};
use crate::Liaison;

pub const CODE_TTL_MS: i64 = 10 * 60_000;
pub const RESEND_AFTER_MS: i64 = 60_000;
const CODE_DIGITS: u32 = 8;

fn new_code() -> SecretString {
    let n: u32 = rand::rngs::OsRng.gen_range(0..10u32.pow(CODE_DIGITS));
    SecretString::from(format!("{n:0width$}", width = CODE_DIGITS as usize))
}

/// Normalises what a person types: spaces and dashes are ignored.
fn normalise(code: &SecretString) -> SecretSlice<u8> {
    let digits: Vec<u8> = code
        .expose_secret()
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'-'))
        .collect();
    SecretSlice::from(digits)
}

/// Sends a fresh code to the share's recipient unless one was sent within the last minute.
#[tracing::instrument(skip_all)]
pub async fn send_code(core: &Liaison, share: &Share, meta: &RequestMeta) -> Result<()> {
    let now = core.now_ms();
    if let Some(last) =
        store::codes::latest_created_at(core.db.pool(), &share.org_id, &share.id).await?
    {
        if now - last < RESEND_AFTER_MS {
            return Ok(());
        }
    }
    let code = new_code();
    let hash = core.kdf.hash(normalise(&code)).await?;
    let mut tx = core.db.begin().await?;
    store::codes::supersede(&mut *tx, &share.org_id, &share.id, now).await?;
    store::codes::insert(
        &mut *tx,
        &store::codes::CodeRow {
            id: new_id(),
            org_id: share.org_id.clone(),
            share_id: share.id.clone(),
            code_hash: hash.as_stored().to_owned(),
            created_at: now,
            expires_at: now + CODE_TTL_MS,
            used_at: None,
        },
    )
    .await?;
    super::notify::verification_code(core, &mut tx, share, &code, CODE_TTL_MS / 60_000).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &share.org_id,
            event_type: EventType::VerificationCodeSent,
            actor: AuditActor::LinkHolder {
                recipient_name: &share.recipient_name,
            },
            share_id: Some(&share.id),
            item_id: Some(share.item_id()),
            details: json!({ "to": share.recipient_email, "valid_minutes": CODE_TTL_MS / 60_000 }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks `code` against the share's one live code (the newest); a match is used up at once.
#[tracing::instrument(skip_all)]
pub async fn check_code(core: &Liaison, share: &Share, code: &SecretString) -> Result<bool> {
    let now = core.now_ms();
    let typed = normalise(code);
    if typed.expose_secret().len() != CODE_DIGITS as usize
        || !typed.expose_secret().iter().all(u8::is_ascii_digit)
    {
        return Ok(false);
    }
    let Some(row) = store::codes::live(core.db.pool(), &share.org_id, &share.id, now).await? else {
        return Ok(false);
    };
    let stored = crate::crypto::KdfHash::from_stored(row.code_hash.clone());
    if !core.kdf.verify(typed, &stored).await? {
        return Ok(false);
    }
    // Single use: only the request that marks it used wins.
    Ok(store::codes::mark_used(core.db.pool(), &share.org_id, &row.id, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits_and_typing_is_forgiving() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.expose_secret().len(), 8);
            assert!(c.expose_secret().bytes().all(|b| b.is_ascii_digit()));
        }
        let typed = SecretString::from("1234 5678".to_owned());
        assert_eq!(normalise(&typed).expose_secret(), b"12345678");
        let typed = SecretString::from("1234-5678".to_owned());
        assert_eq!(normalise(&typed).expose_secret(), b"12345678");
    }
}
