//! Branded mail: each kind renders a subject, a plain-text part and an HTML part (an
//! auto-escaping `maud` template); the TLP marking, when given, heads both parts.

/// A rendered mail.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The frame every mail shares: organisation name, optional TLP marking, body (its
/// blank-line separated paragraphs), an optional button link, footer. The HTML part is a
/// `maud` template: every value is escaped by the template, none by hand.
fn frame(
    org: &str,
    tlp: Option<&str>,
    subject: String,
    body_text: String,
    link: Option<(&str, &str)>,
) -> Rendered {
    let marking_text = tlp.map(|t| format!("{t}\n\n")).unwrap_or_default();
    let link_text = link
        .map(|(label, url)| format!("\n\n{label}:\n{url}"))
        .unwrap_or_default();
    let text =
        format!("{marking_text}{body_text}{link_text}\n\n— {org}, via Liaison secure sharing\n");
    let paragraphs = body_text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let html = maud::html! {
        (maud::DOCTYPE)
        html {
            body style="font-family:system-ui,sans-serif;color:#111;max-width:36em" {
                @if let Some(t) = tlp {
                    p style="font-weight:bold;letter-spacing:.05em" { (t) }
                }
                p style="color:#555" { (org) }
                @for paragraph in paragraphs {
                    p {
                        @for (i, line) in paragraph.split('\n').enumerate() {
                            @if i > 0 { br; }
                            (line)
                        }
                    }
                }
                @if let Some((label, url)) = link {
                    p {
                        a href=(url) style="display:inline-block;padding:10px 16px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:4px" { (label) }
                    }
                }
                p style="color:#777;font-size:12px" {
                    "Sent by Liaison secure sharing on behalf of " (org) ". Every access is recorded."
                }
            }
        }
    }
    .into_string();
    Rendered {
        subject,
        text,
        html,
    }
}

/// The invitation: carries the link, never a code.
pub fn invitation(m: &Invitation<'_>) -> Rendered {
    let Invitation {
        org,
        tlp,
        recipient,
        title,
        instructions,
        url,
        expires,
        verified,
    } = *m;
    let mut body = if verified {
        format!(
            "Hello {recipient},\n\n{org} has shared \"{title}\" with you. The link is personal to you and expires {expires}."
        )
    } else {
        format!(
            "Hello {recipient},\n\n{org} has shared \"{title}\" with you. Anyone who has this link can open it until it expires {expires}, so please do not forward it."
        )
    };
    if !instructions.trim().is_empty() {
        body.push_str(&format!(
            "\n\nInstructions from the sender:\n{}",
            instructions.trim()
        ));
    }
    if verified {
        body.push_str(
            "\n\nWhen you open the link we may email you a verification code in a separate message.",
        );
    }
    frame(
        org,
        tlp,
        format!("{org} shared \"{title}\" with you"),
        body,
        Some(("Open the shared content", url)),
    )
}

/// A secret's link, mailed to its named recipient. The link holds no key; the access code
/// comes from the sender by another channel, and this mail says so.
pub fn secret_link(org: &str, tlp: Option<&str>, what: &str, url: &str, expires: &str) -> Rendered {
    let body = format!(
        "Hello,\n\n{org} has sent you {what}, end-to-end encrypted: not even Liaison can read it. The link works until {expires}, for a limited number of views.\n\nTo open it you also need an access code, which the sender gives you separately (by phone, text message or in person). Liaison never sends the code."
    );
    frame(
        org,
        tlp,
        format!("{org} sent you {what}"),
        body,
        Some(("Open the secret", url)),
    )
}

/// What an invitation to a share says.
#[derive(Clone, Copy, Debug)]
pub struct Invitation<'a> {
    pub org: &'a str,
    pub tlp: Option<&'a str>,
    pub recipient: &'a str,
    pub title: &'a str,
    pub instructions: &'a str,
    pub url: &'a str,
    pub expires: &'a str,
    /// The share proves who opens it (a code, a portal, the partner's IdP); a plain link
    /// share does not, and its mail says that anyone with the link can open it.
    pub verified: bool,
}

/// The verification code: carries only the code, never the link.
pub fn verification_code(
    org: &str,
    tlp: Option<&str>,
    recipient: &str,
    code: &str,
    minutes: i64,
) -> Rendered {
    let body = format!(
        "Hello {recipient},\n\nYour verification code is:\n\n{code}\n\nIt is valid for {minutes} minutes and works once. If you did not just open a link from {org}, ignore this message."
    );
    frame(
        org,
        tlp,
        format!("Your verification code for {org}"),
        body,
        None,
    )
}

pub fn revocation_notice(org: &str, tlp: Option<&str>, recipient: &str, title: &str) -> Rendered {
    let body = format!(
        "Hello {recipient},\n\n{org} has withdrawn your access to \"{title}\". The link you received no longer works."
    );
    frame(
        org,
        tlp,
        format!("Access to \"{title}\" has ended"),
        body,
        None,
    )
}

/// To an organisation's administrators: a verified portal domain lost its TXT record.
pub fn domain_suspended(
    org: &str,
    admin: &str,
    domain: &str,
    portal: &str,
    record: &str,
    reason: crate::store::domains::SuspendReason,
) -> Rendered {
    use crate::store::domains::SuspendReason;
    let found = match reason {
        SuspendReason::RecordMissing => format!(
            "The daily check of {domain} (portal \"{portal}\") found no TXT record {record} with the value Liaison gave."
        ),
        SuspendReason::LookupsFailing => format!(
            "For a week, no DNS server has answered the daily check of {domain} (portal \"{portal}\") for the TXT record {record}."
        ),
    };
    let body = format!(
        "Hello {admin},\n\n{found} The domain is suspended: guests can no longer reach the portal there, and its shares' links are made on Liaison's own address again. Make sure the record is published and answered, then choose Verify on the Portals page."
    );
    frame(org, None, format!("{domain} is suspended"), body, None)
}

pub fn expiry_reminder(
    org: &str,
    tlp: Option<&str>,
    recipient: &str,
    title: &str,
    expires: &str,
) -> Rendered {
    let body = format!(
        "Hello {recipient},\n\nYour access to \"{title}\", shared by {org}, expires {expires}. Use the link from your invitation before then."
    );
    frame(
        org,
        tlp,
        format!("Access to \"{title}\" expires soon"),
        body,
        None,
    )
}

pub fn owner_first_open(
    org: &str,
    owner: &str,
    recipient: &str,
    email: &str,
    title: &str,
    at: &str,
) -> Rendered {
    let body = format!(
        "Hello {owner},\n\n{recipient} <{email}> opened \"{title}\" for the first time at {at}."
    );
    frame(
        org,
        None,
        format!("{recipient} opened \"{title}\""),
        body,
        None,
    )
}

pub fn owner_response(
    org: &str,
    owner: &str,
    recipient: &str,
    title: &str,
    decision: &str,
) -> Rendered {
    let body = format!(
        "Hello {owner},\n\n{recipient} responded to \"{title}\": {decision}. The response and any attachments are in the console."
    );
    frame(
        org,
        None,
        format!("{recipient} responded to \"{title}\""),
        body,
        None,
    )
}

/// To a share's owner: its guest asks for more time. The reason is the guest's own words.
pub fn renewal_requested(
    org: &str,
    owner: &str,
    recipient: &str,
    email: &str,
    title: &str,
    reason: &str,
    console_url: &str,
) -> Rendered {
    let body = format!(
        "Hello {owner},\n\nSomeone holding the link you sent to {recipient} <{email}> can no longer open \"{title}\" and asks for more time:\n\n{reason}\n\nApprove (extend the share or give it more opens, within the policy) or decline on the share's page. The guest keeps the same link."
    );
    frame(
        org,
        None,
        format!("{recipient} asks for more time on \"{title}\""),
        body,
        Some(("Decide in the console", console_url)),
    )
}

/// What the owner's digest of new guest comments says.
pub struct CommentDigest<'a> {
    pub org: &'a str,
    pub owner: &'a str,
    pub title: &'a str,
    pub count: usize,
    /// The guests who wrote them, each once.
    pub authors: &'a [&'a str],
    /// The share's page in the console.
    pub url: &'a str,
}

/// To a share's owner: its guests commented (how many, who; never the text).
pub fn comment_digest(m: &CommentDigest<'_>) -> Rendered {
    let comments = if m.count == 1 {
        "a new comment".to_owned()
    } else {
        format!("{} new comments", m.count)
    };
    let body = format!(
        "Hello {},\n\n{} wrote {comments} on \"{}\". Read and reply on the share's page in the console.",
        m.owner,
        m.authors.join(", "),
        m.title,
    );
    frame(
        m.org,
        None,
        format!("{comments} on \"{}\"", m.title),
        body,
        Some(("Read the comments", m.url)),
    )
}

/// To the guest: their request for more time was granted; the same link works again.
pub fn renewal_approved(
    org: &str,
    tlp: Option<&str>,
    recipient: &str,
    title: &str,
    expires: &str,
    note: &str,
    url: Option<&str>,
) -> Rendered {
    let mut body = format!(
        "Hello {recipient},\n\n{org} has given you more time on \"{title}\". Your link works again until {expires}."
    );
    if url.is_none() {
        body.push_str(" Use the link you were given.");
    }
    if !note.trim().is_empty() {
        body.push_str(&format!("\n\nA note from the sender:\n{}", note.trim()));
    }
    frame(
        org,
        tlp,
        format!("More time on \"{title}\""),
        body,
        url.map(|u| ("Open the shared content", u)),
    )
}

/// To the guest: their request for more time was declined.
pub fn renewal_declined(
    org: &str,
    tlp: Option<&str>,
    recipient: &str,
    title: &str,
    note: &str,
) -> Rendered {
    let mut body = format!(
        "Hello {recipient},\n\n{org} has declined your request for more time on \"{title}\"."
    );
    if !note.trim().is_empty() {
        body.push_str(&format!("\n\nA note from the sender:\n{}", note.trim()));
    }
    frame(
        org,
        tlp,
        format!("Your request about \"{title}\""),
        body,
        None,
    )
}

/// To a reviewer: shares of an access review await their decision (at the start, or as a
/// reminder before the due date).
pub fn review_assigned(
    org: &str,
    reviewer: &str,
    campaign: &str,
    pending: i64,
    due: &str,
    reminder: bool,
    url: &str,
) -> Rendered {
    let shares = if pending == 1 {
        "1 share".to_owned()
    } else {
        format!("{pending} shares")
    };
    let body = if reminder {
        format!(
            "Hello {reviewer},\n\n{shares} of the access review \"{campaign}\" still await your decision. The review is due {due}; shares you have not decided by then get the review's default action."
        )
    } else {
        format!(
            "Hello {reviewer},\n\nThe access review \"{campaign}\" has started and {shares} await your decision: keep, extend or revoke each, with a reason. The review is due {due}."
        )
    };
    let subject = if reminder {
        format!("Reminder: {shares} to review in \"{campaign}\"")
    } else {
        format!("Access review \"{campaign}\": {shares} to review")
    };
    frame(
        org,
        None,
        subject,
        body,
        Some(("Open your review queue", url)),
    )
}

/// To someone a portal's manager added as a member.
pub fn member_added(org: &str, portal: &str, member: &str, manager: &str) -> Rendered {
    let body = format!(
        "Hello {member},\n\n{manager} added you to \"{portal}\", the portal {org} shares documents through. When something is shared with you there, you will receive its link in a separate message. If you did not expect this, you can ignore this message."
    );
    frame(
        org,
        None,
        format!("You were added to \"{portal}\""),
        body,
        None,
    )
}

/// How an invited staff member gets in.
#[derive(Clone, Copy, Debug)]
pub enum StaffAccess<'a> {
    /// A one-time link to choose a password, and when it expires.
    SetPassword { url: &'a str, expires: &'a str },
    /// The sign-in page, where they choose the organisation's identity provider.
    SignIn { url: &'a str },
}

/// To someone invited as staff: the link to choose a password, or to the sign-in page for
/// accounts that sign in through the organisation's IdP.
pub fn staff_invitation(
    org: &str,
    name: &str,
    inviter: &str,
    role: &str,
    access: StaffAccess<'_>,
) -> Rendered {
    let mut body =
        format!("Hello {name},\n\n{inviter} invited you to {org}'s Liaison console as {role}.");
    let link = match access {
        StaffAccess::SetPassword { url, expires } => {
            body.push_str(&format!(
                "\n\nChoose your password with the link below. It works once and expires {expires}. If you did not expect this, ignore this message."
            ));
            ("Choose your password", url)
        }
        StaffAccess::SignIn { url } => {
            body.push_str(
                "\n\nSign in with your organisation's account: choose it on the sign-in page.",
            );
            ("Sign in", url)
        }
    };
    frame(
        org,
        None,
        format!("You are invited to {org}'s Liaison console"),
        body,
        Some(link),
    )
}

/// A password reset by an administrator: the old password no longer works.
pub fn password_reset(org: &str, name: &str, url: &str, expires: &str) -> Rendered {
    let body = format!(
        "Hello {name},\n\nAn administrator of {org} reset your Liaison password; the old one no longer works, you were signed out and your API keys were revoked. Choose a new password with the link below. It works once and expires {expires}."
    );
    frame(
        org,
        None,
        format!("Choose a new Liaison password for {org}"),
        body,
        Some(("Choose a new password", url)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staff_invitation_carries_its_way_in_in_both_parts() {
        for (access, label, url) in [
            (
                StaffAccess::SetPassword {
                    url: "https://liaison.example/password/abc",
                    expires: "2026-12-13",
                },
                "Choose your password",
                "https://liaison.example/password/abc",
            ),
            (
                StaffAccess::SignIn {
                    url: "https://liaison.example/login",
                },
                "Sign in",
                "https://liaison.example/login",
            ),
        ] {
            let m = staff_invitation("Acme", "Dana", "Ada", "Auditor", access);
            assert!(m.text.contains(url) && m.text.contains(label), "{}", m.text);
            assert!(m.html.contains(url) && m.html.contains(label), "{}", m.html);
        }
    }

    #[test]
    fn values_are_escaped_in_html_and_links_stay_apart_from_codes() {
        let m = invitation(&Invitation {
            org: "Acme <Legal>",
            tlp: Some("TLP:AMBER"),
            recipient: "<script>alert(1)</script>",
            title: "Q3 \"report\"",
            instructions: "Read <b>this</b> & sign",
            url: "https://liaison.example/s/abc?x=1&y=2",
            expires: "2026-12-01",
            verified: true,
        });
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(m.html.contains("Read &lt;b&gt;this&lt;/b&gt; &amp; sign"));
        assert!(m
            .html
            .contains(r#"href="https://liaison.example/s/abc?x=1&amp;y=2""#));
        assert!(m.text.starts_with("TLP:AMBER"));
        assert!(m.text.contains("https://liaison.example/s/abc?x=1&y=2"));
        assert!(m.text.contains("verification code") && m.text.contains("personal to you"));
        // A plain link share's mail says what the link is: a key for whoever holds it.
        let plain = invitation(&Invitation {
            org: "Acme",
            tlp: None,
            recipient: "Jane",
            title: "Q3",
            instructions: "",
            url: "https://liaison.example/s/abc",
            expires: "2026-12-01",
            verified: false,
        });
        assert!(plain.text.contains("Anyone who has this link can open it"));
        assert!(!plain.text.contains("verification code") && !plain.text.contains("personal"));
        let c = verification_code("Acme", None, "Jane", "12345678", 10);
        assert!(c.text.contains("12345678") && !c.text.contains("http"));
    }
}
