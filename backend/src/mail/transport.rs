//! Where mail goes: an SMTP server (lettre), or the local outbox when none is configured.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use super::Rendered;
use crate::store::mail::{MailRow, MailStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP: only for a relay on the same host or network.
    None,
    /// STARTTLS required (no downgrade).
    StartTls,
    /// Implicit TLS (SMTPS, usually port 465).
    Tls,
}

/// SMTP settings. `Debug` never shows the password.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The From address, e.g. `Liaison <no-reply@example.org>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .finish()
    }
}

pub enum Mailer {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// No SMTP server: mail stays in the database for the console's outbox.
    Local,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
            Mailer::Local => f.write_str("Mailer::Local"),
        }
    }
}

impl Mailer {
    pub fn smtp(s: &SmtpSettings) -> Result<Self, String> {
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| format!("the mail From address {:?} is not valid: {e}", s.from))?;
        let tls = match s.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(
                TlsParameters::new(s.host.clone()).map_err(|e| format!("SMTP TLS: {e}"))?,
            ),
            SmtpTls::Tls => Tls::Wrapper(
                TlsParameters::new(s.host.clone()).map_err(|e| format!("SMTP TLS: {e}"))?,
            ),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
            .port(s.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Mailer::Smtp {
            transport: Box::new(builder.build()),
            from,
        })
    }

    /// Sends one mail; returns the status to record (sent or local) or why it failed.
    pub async fn send(&self, row: &MailRow, body: &Rendered) -> Result<MailStatus, String> {
        let (transport, from) = match self {
            Mailer::Local => return Ok(MailStatus::Local),
            Mailer::Smtp { transport, from } => (transport, from),
        };
        let to = Mailbox::new(
            Some(row.to_name.clone()),
            row.to_address
                .parse()
                .map_err(|e| format!("bad recipient address: {e}"))?,
        );
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(body.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(body.html.clone()),
                    ),
            )
            .map_err(|e| format!("cannot build the message: {e}"))?;
        transport
            .send(message)
            .await
            .map(|_| MailStatus::Sent)
            .map_err(|e| format!("SMTP: {e}"))
    }
}
