//! End-to-end encrypted secrets (SPEC §2): a password, note, API secret or file that the
//! creator's browser encrypts with AES-256-GCM before upload, so the server stores only
//! ciphertext it cannot read. This module holds what the server does know of a secret —
//! its kind, delivery, limits and state — and the rules a new one must meet.
//!
//! Invariants:
//! - the key never reaches the server: with [`Delivery::LinkKey`] it travels in the link's
//!   fragment; with [`Delivery::AccessCode`] the browser derives it from a code the creator
//!   passes on by another channel (PBKDF2-HMAC-SHA-256, [`CODE_ITERATIONS`], a random salt);
//! - the browser proves it holds the key or code with a separate 32-byte *proof* derived
//!   alongside it; the server stores only a hash of the proof and releases ciphertext to
//!   nobody else;
//! - a secret that is not [`SecretState::Active`] has no ciphertext any more.

use serde::{Deserialize, Serialize};

use super::controls::Tlp;

/// What kind of secret it is: decides how the recipient's page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// Shown masked, with reveal and copy.
    Password,
    /// Shown as text.
    Note,
    /// Shown in a monospaced box, with copy.
    ApiSecret,
    /// Offered as a download (at most [`MAX_FILE_BYTES`]).
    File,
}

impl SecretKind {
    pub const ALL: [SecretKind; 4] = [
        SecretKind::Password,
        SecretKind::Note,
        SecretKind::ApiSecret,
        SecretKind::File,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Password => "password",
            SecretKind::Note => "note",
            SecretKind::ApiSecret => "api_secret",
            SecretKind::File => "file",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// "Password", "API secret": how lists name it.
    pub fn label(self) -> &'static str {
        match self {
            SecretKind::Password => "Password",
            SecretKind::Note => "Note",
            SecretKind::ApiSecret => "API secret",
            SecretKind::File => "File",
        }
    }

    /// "a password", "an API secret": how the recipient's page names it.
    pub fn with_article(self) -> &'static str {
        match self {
            SecretKind::Password => "a password",
            SecretKind::Note => "a note",
            SecretKind::ApiSecret => "an API secret",
            SecretKind::File => "a file",
        }
    }

    /// The block the browser pads this kind's envelope to, so that the ciphertext's size
    /// tells nobody (not staff, not a database copy) a password's exact length.
    pub fn padding_block(self) -> usize {
        match self {
            SecretKind::File => FILE_PADDING,
            _ => TEXT_PADDING,
        }
    }

    /// The most ciphertext a secret of this kind may have: its content limit in the
    /// envelope (lengths and a file's name), padded, and the AES-GCM tag.
    pub fn max_ciphertext(self) -> usize {
        let content = match self {
            SecretKind::File => MAX_FILE_BYTES,
            _ => MAX_TEXT_BYTES,
        };
        let block = self.padding_block();
        (content + ENVELOPE_HEADER).div_ceil(block) * block + GCM_TAG_BYTES
    }
}

/// How the key reaches the recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The key is in the link's fragment (`#…`), which browsers never send to a server.
    LinkKey,
    /// The link holds no key; the recipient types an access code sent in another message,
    /// and the browser derives the key from it.
    AccessCode,
}

impl Delivery {
    pub const ALL: [Delivery; 2] = [Delivery::LinkKey, Delivery::AccessCode];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::LinkKey => "link_key",
            Delivery::AccessCode => "access_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// How lists name it.
    pub fn label(self) -> &'static str {
        match self {
            Delivery::LinkKey => "Key in link",
            Delivery::AccessCode => "Access code",
        }
    }
}

/// Who may receive a secret, as the organisation's policy allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretRecipient {
    /// Whoever the creator hands the link to (the creator copies it).
    Anyone,
    /// A named address that Liaison mails the link to (access code delivery only: the
    /// creator passes the code on by another channel).
    Email,
}

impl SecretRecipient {
    pub const ALL: [SecretRecipient; 2] = [SecretRecipient::Anyone, SecretRecipient::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretRecipient::Anyone => "anyone",
            SecretRecipient::Email => "email",
        }
    }

    /// Who receives a secret mailed to `address`, or handed over by its creator.
    pub fn for_address(address: Option<&str>) -> Self {
        match address {
            Some(_) => SecretRecipient::Email,
            None => SecretRecipient::Anyone,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SecretRecipient::Anyone => "Anyone the creator gives the link to",
            SecretRecipient::Email => "A named email address (Liaison mails the link)",
        }
    }
}

/// Where a secret stands. Only an active secret keeps its ciphertext.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretState {
    Active,
    /// Viewed as many times as allowed; the ciphertext went with the last view.
    Burned,
    Revoked,
    Expired,
}

impl SecretState {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretState::Active => "active",
            SecretState::Burned => "burned",
            SecretState::Revoked => "revoked",
            SecretState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            SecretState::Active,
            SecretState::Burned,
            SecretState::Revoked,
            SecretState::Expired,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// What the recipient's page says of a secret that is gone.
    pub fn gone_message(self) -> Option<&'static str> {
        match self {
            SecretState::Active => None,
            SecretState::Burned => Some(
                "This secret has been viewed as many times as its sender allowed and is deleted.",
            ),
            SecretState::Revoked => Some("The sender withdrew this secret; it is deleted."),
            SecretState::Expired => Some("This secret expired and is deleted."),
        }
    }
}

/// A file secret's content limit.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// A password, note or API secret's content limit (UTF-8 bytes).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// The envelope's header at its largest: a 4-byte name length, a name of at most
/// [`MAX_NAME_BYTES`], a 4-byte content length. Zeros then pad it to the kind's block.
pub const ENVELOPE_HEADER: usize = 4 + MAX_NAME_BYTES + 4;
pub const MAX_NAME_BYTES: usize = 255;
/// Padding blocks: 1 KiB for text kinds, 64 KiB for files.
pub const TEXT_PADDING: usize = 1024;
pub const FILE_PADDING: usize = 64 * 1024;
pub const GCM_TAG_BYTES: usize = 16;
/// AES-GCM nonce, PBKDF2 salt and proof sizes, in bytes.
pub const NONCE_BYTES: usize = 12;
pub const SALT_BYTES: usize = 16;
pub const PROOF_BYTES: usize = 32;
/// PBKDF2-HMAC-SHA-256 iterations the browser runs on an access code (64 bytes out: the
/// AES key, then the proof).
pub const CODE_ITERATIONS: u32 = 600_000;
/// The most views a secret may allow.
pub const MAX_VIEWS: i64 = 100;
/// A staff-only label's limit, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// The shortest lifetime, in minutes.
pub const MIN_LIFETIME_MINUTES: i64 = 5;

/// The organisation's rules for secrets, part of its policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SecretPolicy {
    /// No secret lives longer than this.
    pub max_lifetime_hours: u32,
    /// Secrets marked this or stricter need access code delivery (never above AMBER).
    pub code_required_from: Tlp,
    /// Who may receive secrets.
    pub recipients: Vec<SecretRecipient>,
}

/// The policy's ceiling for [`SecretPolicy::max_lifetime_hours`]: 30 days.
pub const MAX_LIFETIME_HOURS_CEILING: u32 = 30 * 24;

impl Default for SecretPolicy {
    fn default() -> Self {
        Self {
            max_lifetime_hours: 7 * 24,
            code_required_from: Tlp::Amber,
            recipients: SecretRecipient::ALL.to_vec(),
        }
    }
}

/// A rule a secret or a secret policy broke: the field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRefusal {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> SecretRefusal {
    SecretRefusal {
        field,
        message: message.into(),
    }
}

impl SecretPolicy {
    /// Internal consistency of the organisation's settings.
    pub fn validate(&self) -> Result<(), SecretRefusal> {
        if !(1..=MAX_LIFETIME_HOURS_CEILING).contains(&self.max_lifetime_hours) {
            return Err(refuse(
                "secrets.max_lifetime_hours",
                format!(
                    "the longest lifetime of a secret must be between 1 and {MAX_LIFETIME_HOURS_CEILING} hours"
                ),
            ));
        }
        if self.code_required_from > Tlp::Amber {
            return Err(refuse(
                "secrets.code_required_from",
                "an access code must be required from TLP:AMBER or a less strict marking",
            ));
        }
        if self.recipients.is_empty() {
            return Err(refuse(
                "secrets.recipients",
                "allow at least one kind of recipient, or secrets cannot be sent at all",
            ));
        }
        Ok(())
    }

    /// Does a secret marked `tlp` need an access code?
    pub fn needs_code(&self, tlp: Tlp) -> bool {
        tlp >= self.code_required_from
    }
}

/// What the creator asks for, as far as the policy is concerned.
#[derive(Clone, Copy, Debug)]
pub struct SecretTerms {
    pub tlp: Tlp,
    pub delivery: Delivery,
    pub recipient: SecretRecipient,
    pub lifetime_minutes: i64,
    pub max_views: i64,
}

/// Checks a new secret's terms against the policy (`tlp_ceiling`: the most restrictive
/// marking that may leave the organisation).
pub fn check_terms(
    policy: &SecretPolicy,
    tlp_ceiling: Tlp,
    t: &SecretTerms,
) -> Result<(), SecretRefusal> {
    if t.tlp > tlp_ceiling {
        return Err(refuse(
            "tlp",
            format!(
                "the organisation's policy lets nothing marked above {} leave it",
                tlp_ceiling.label()
            ),
        ));
    }
    let max_minutes = i64::from(policy.max_lifetime_hours) * 60;
    if !(MIN_LIFETIME_MINUTES..=max_minutes).contains(&t.lifetime_minutes) {
        return Err(refuse(
            "expires_in_minutes",
            format!(
                "a secret must live between {MIN_LIFETIME_MINUTES} minutes and the policy's {} hours",
                policy.max_lifetime_hours
            ),
        ));
    }
    if !(1..=MAX_VIEWS).contains(&t.max_views) {
        return Err(refuse(
            "max_views",
            format!("views must be between 1 (view once) and {MAX_VIEWS}"),
        ));
    }
    if !policy.recipients.contains(&t.recipient) {
        return Err(refuse(
            "recipient",
            "the organisation's policy does not let secrets go to this kind of recipient",
        ));
    }
    if t.delivery == Delivery::LinkKey {
        if policy.needs_code(t.tlp) {
            return Err(refuse(
                "delivery",
                format!(
                    "secrets marked {} or stricter need an access code sent separately from the link",
                    policy.code_required_from.label()
                ),
            ));
        }
        if t.recipient == SecretRecipient::Email {
            return Err(refuse(
                "delivery",
                "Liaison can mail only a link that holds no key: choose access code delivery",
            ));
        }
    }
    Ok(())
}

/// Whether a secret made under `t` may still be revealed under the policy as it is now
/// (tightened since, it binds existing secrets at their next reveal, as it does shares).
/// `t.lifetime_minutes` is the whole lifetime the secret was given.
pub fn still_allowed(
    policy: &SecretPolicy,
    tlp_ceiling: Tlp,
    t: &SecretTerms,
) -> Result<(), SecretRefusal> {
    let t = SecretTerms {
        lifetime_minutes: t.lifetime_minutes.max(MIN_LIFETIME_MINUTES),
        ..*t
    };
    check_terms(policy, tlp_ceiling, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> SecretTerms {
        SecretTerms {
            tlp: Tlp::Green,
            delivery: Delivery::LinkKey,
            recipient: SecretRecipient::Anyone,
            lifetime_minutes: 60,
            max_views: 1,
        }
    }

    #[test]
    fn the_default_policy_accepts_a_one_hour_view_once_link() {
        check_terms(&SecretPolicy::default(), Tlp::Red, &terms()).unwrap();
    }

    #[test]
    fn each_rule_names_its_field() {
        let p = SecretPolicy::default();
        let cases: [(SecretTerms, Tlp, &str); 8] = [
            (
                SecretTerms {
                    tlp: Tlp::Red,
                    delivery: Delivery::AccessCode,
                    ..terms()
                },
                Tlp::Amber,
                "tlp",
            ),
            (
                SecretTerms {
                    lifetime_minutes: 4,
                    ..terms()
                },
                Tlp::Red,
                "expires_in_minutes",
            ),
            (
                SecretTerms {
                    lifetime_minutes: 7 * 24 * 60 + 1,
                    ..terms()
                },
                Tlp::Red,
                "expires_in_minutes",
            ),
            (
                SecretTerms {
                    max_views: 0,
                    ..terms()
                },
                Tlp::Red,
                "max_views",
            ),
            (
                SecretTerms {
                    max_views: 101,
                    ..terms()
                },
                Tlp::Red,
                "max_views",
            ),
            (
                SecretTerms {
                    tlp: Tlp::Amber,
                    ..terms()
                },
                Tlp::Red,
                "delivery",
            ),
            (
                SecretTerms {
                    tlp: Tlp::Red,
                    ..terms()
                },
                Tlp::Red,
                "delivery",
            ),
            (
                SecretTerms {
                    recipient: SecretRecipient::Email,
                    ..terms()
                },
                Tlp::Red,
                "delivery",
            ),
        ];
        for (t, ceiling, field) in cases {
            assert_eq!(
                check_terms(&p, ceiling, &t).unwrap_err().field,
                field,
                "{t:?}"
            );
        }
        let only_anyone = SecretPolicy {
            recipients: vec![SecretRecipient::Anyone],
            ..SecretPolicy::default()
        };
        let emailed = SecretTerms {
            recipient: SecretRecipient::Email,
            delivery: Delivery::AccessCode,
            ..terms()
        };
        assert_eq!(
            check_terms(&only_anyone, Tlp::Red, &emailed)
                .unwrap_err()
                .field,
            "recipient"
        );
        check_terms(&p, Tlp::Red, &emailed).unwrap();
    }

    #[test]
    fn a_tightened_policy_binds_secrets_already_made() {
        let made = SecretTerms {
            tlp: Tlp::Amber,
            delivery: Delivery::LinkKey,
            lifetime_minutes: 2,
            ..terms()
        };
        let then = SecretPolicy {
            code_required_from: Tlp::Red,
            ..SecretPolicy::default()
        };
        // Made when AMBER needed no code (a policy this module no longer accepts as valid
        // is still what an old row may have been made under); a short lifetime is no fault.
        assert!(still_allowed(&then, Tlp::Red, &made).is_ok());
        let now = SecretPolicy::default();
        assert_eq!(
            still_allowed(&now, Tlp::Red, &made).unwrap_err().field,
            "delivery"
        );
        assert_eq!(
            still_allowed(&then, Tlp::Green, &made).unwrap_err().field,
            "tlp"
        );
        let shorter = SecretPolicy {
            max_lifetime_hours: 1,
            ..then.clone()
        };
        let long = SecretTerms {
            lifetime_minutes: 24 * 60,
            ..made
        };
        assert_eq!(
            still_allowed(&shorter, Tlp::Red, &long).unwrap_err().field,
            "expires_in_minutes"
        );
    }

    #[test]
    fn a_policy_may_require_codes_earlier_but_never_later_than_amber() {
        let stricter = SecretPolicy {
            code_required_from: Tlp::Clear,
            ..SecretPolicy::default()
        };
        stricter.validate().unwrap();
        assert!(stricter.needs_code(Tlp::Clear));
        let looser = SecretPolicy {
            code_required_from: Tlp::Red,
            ..SecretPolicy::default()
        };
        assert_eq!(
            looser.validate().unwrap_err().field,
            "secrets.code_required_from"
        );
        let none = SecretPolicy {
            recipients: vec![],
            ..SecretPolicy::default()
        };
        assert_eq!(none.validate().unwrap_err().field, "secrets.recipients");
        let long = SecretPolicy {
            max_lifetime_hours: MAX_LIFETIME_HOURS_CEILING + 1,
            ..SecretPolicy::default()
        };
        assert_eq!(
            long.validate().unwrap_err().field,
            "secrets.max_lifetime_hours"
        );
    }

    #[test]
    fn the_file_limit_allows_ten_mebibytes_in_a_named_padded_envelope() {
        // 10 MiB and a header do not fill 161 blocks of 64 KiB; 161 blocks and the tag do.
        assert_eq!(SecretKind::File.max_ciphertext(), 161 * 64 * 1024 + 16);
        assert_eq!(SecretKind::Password.max_ciphertext(), 65 * 1024 + 16);
        assert!(SecretKind::Password.max_ciphertext() < SecretKind::File.max_ciphertext());
        for k in SecretKind::ALL {
            assert_eq!(SecretKind::parse(k.as_str()), Some(k));
        }
    }
}
