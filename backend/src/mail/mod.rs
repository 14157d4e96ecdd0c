//! Outgoing mail through a transactional outbox.
//!
//! Services enqueue a mail ([`enqueue`]) in the same transaction as the change that causes
//! it, so a rolled-back change sends nothing and a committed one is never lost, even if the
//! SMTP server is down or the process is killed. [`deliver_due`] (run by every node) leases
//! each due mail to one worker, sends it, and marks it sent; failures retry with exponential
//! backoff and give up after [`MAX_ATTEMPTS`].
//!
//! "Sent once": a lease means two workers never send a mail at the same time. If a process
//! dies after the SMTP server accepted a mail but before it was marked sent, the mail is sent
//! again after the lease expires, with the same Message-ID, so receiving systems can drop the
//! duplicate. That is the strongest guarantee SMTP allows.
//!
//! Bodies are sealed under the master key while queued and erased once sent. Without SMTP
//! configured, mail is kept as `local` and shown in the console's outbox.

pub mod templates;
pub mod transport;

use secrecy::ExposeSecret;

use crate::crypto::Sealer;
use crate::store::mail::{MailRow, MailStatus};
use crate::store::{self, new_id, Db, Tx};
pub use templates::Rendered;
pub use transport::{Mailer, SmtpSettings, SmtpTls};

pub const MAX_ATTEMPTS: i64 = 8;
/// How long a worker holds a mail while sending it.
const LEASE_MS: i64 = 120_000;

fn seal_context(id: &str) -> String {
    format!("mail-body:{id}")
}

/// What to send, before it is queued.
#[derive(Clone, Debug)]
pub struct Draft<'a> {
    pub org_id: &'a str,
    /// invitation | code | revocation | expiry_reminder | owner_first_open | …
    pub kind: &'static str,
    pub share_id: Option<&'a str>,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub mail: Rendered,
}

/// Queues a mail inside `tx`. Returns its id.
pub async fn enqueue(
    tx: &mut Tx,
    sealer: &Sealer,
    host: &str,
    now_ms: i64,
    d: Draft<'_>,
) -> store::Result<String> {
    let id = new_id();
    let body =
        serde_json::to_vec(&d.mail).map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    let row = MailRow {
        body_sealed: Some(sealer.seal(&seal_context(&id), &body)),
        message_id: format!("<{id}@{host}>"),
        id: id.clone(),
        org_id: d.org_id.to_owned(),
        kind: d.kind.to_owned(),
        share_id: d.share_id.map(str::to_owned),
        to_address: d.to_address.to_owned(),
        to_name: d.to_name.to_owned(),
        subject: d.mail.subject,
        status: MailStatus::Pending,
        attempts: 0,
        next_attempt_at: now_ms,
        locked_until: None,
        last_error: None,
        created_at: now_ms,
        sent_at: None,
    };
    store::mail::insert(&mut **tx, &row).await?;
    Ok(id)
}

/// Opens a queued mail's body (for sending, or for the console's local outbox).
pub fn open_body(sealer: &Sealer, row: &MailRow) -> Option<Rendered> {
    let sealed = row.body_sealed.as_ref()?;
    let plain = sealer.open(&seal_context(&row.id), sealed).ok()?;
    serde_json::from_slice(plain.expose_secret()).ok()
}

/// Delay before attempt `attempts + 1`: 30 s · 2^(attempts − 1), at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    (30_000i64 << exp).min(3_600_000)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    pub sent: usize,
    pub local: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Delivers up to `batch` due mails. Never logs a body, link or code: only ids and kinds.
pub async fn deliver_due(
    db: &Db,
    sealer: &Sealer,
    mailer: &Mailer,
    now_ms: i64,
    batch: i64,
) -> store::Result<DeliveryStats> {
    let mut stats = DeliveryStats::default();
    for id in store::mail::due(db.pool(), now_ms, batch).await? {
        let Some(row) = store::mail::claim(db.pool(), &id, now_ms, now_ms + LEASE_MS).await? else {
            continue; // another worker has it
        };
        let outcome = match open_body(sealer, &row) {
            None => Err("the queued body cannot be opened (master key changed?)".to_owned()),
            Some(body) => mailer.send(&row, &body).await,
        };
        match outcome {
            Ok(status) => {
                store::mail::mark_done(db.pool(), &row.id, status, now_ms).await?;
                if status == MailStatus::Local {
                    stats.local += 1;
                } else {
                    stats.sent += 1;
                }
                tracing::info!(mail.id = %row.id, mail.kind = %row.kind, mail.status = status.as_str(), "mail delivered");
            }
            Err(error) => {
                let give_up = row.attempts >= MAX_ATTEMPTS;
                let next = now_ms + backoff_ms(row.attempts);
                store::mail::mark_retry(db.pool(), &row.id, &error, next, give_up).await?;
                if give_up {
                    stats.failed += 1;
                } else {
                    stats.retried += 1;
                }
                tracing::warn!(mail.id = %row.id, mail.kind = %row.kind, mail.attempts = row.attempts, give_up, error.detail = %error, "mail delivery failed");
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(3), 120_000);
        assert_eq!(backoff_ms(8), 3_600_000);
        assert_eq!(backoff_ms(50), 3_600_000);
    }
}
