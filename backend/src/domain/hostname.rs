//! Custom domain names for portals. A name is stored in one canonical form — lower-case
//! ASCII (IDNA labels in their `xn--` form), no trailing dot — so that one name can belong
//! to one portal only and Host headers compare by string.

/// The canonical form of `input` as a portal's custom domain, or why it cannot be one.
///
/// Neutralised: letter case, surrounding spaces, one trailing dot. Refused: wildcards, IP
/// addresses, ports, single-label names, labels outside letters/digits/hyphen, names too
/// long to carry the challenge label within DNS's 253 characters, special-use names that
/// no public CA or resolver serves (`.localhost`, `.local`, `.internal`, `.arpa`, …),
/// `public_host` and every name under it (the console's own), and IDNA labels that mix
/// Latin with Greek or Cyrillic letters or consist of look-alikes of Latin letters only
/// (homographs such as `аpple` with a Cyrillic `а`).
pub fn custom_domain(input: &str, public_host: &str) -> Result<String, String> {
    let mut name = input.trim().to_ascii_lowercase();
    if name.ends_with('.') {
        name.pop();
    }
    if name.is_empty() {
        return Err("give a domain name such as share.agency.example".into());
    }
    if name.contains('*') {
        return Err(format!(
            "{input:?}: wildcards are not accepted; add each name on its own"
        ));
    }
    if name.parse::<std::net::IpAddr>().is_ok() || name.starts_with('[') {
        return Err(format!(
            "{input:?} is an IP address; a custom domain must be a DNS name"
        ));
    }
    if name.contains(':') || name.contains('/') {
        return Err(format!(
            "{input:?}: give the name alone, without a scheme, port or path"
        ));
    }
    if !name.is_ascii() {
        return Err(format!(
            "{input:?} contains non-ASCII characters: write internationalised names in their \
             xn-- form, so that look-alike letters cannot pass for another name"
        ));
    }
    if name.len() > MAX_LEN {
        return Err(format!(
            "{input:?} is longer than {MAX_LEN} characters (DNS allows 253, and the \
             verification record {CHALLENGE_PREFIX:?} goes in front of it)"
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "{input:?} has one label; a custom domain looks like share.agency.example"
        ));
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "{input:?}: each part between dots must be 1 to 63 characters"
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!(
                "{input:?}: {label:?} may hold only letters, digits and inner hyphens"
            ));
        }
        if let Some(reason) = homograph(label) {
            return Err(format!("{input:?}: {label:?} {reason}"));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("{input:?}: the last part cannot be all digits"));
    }
    if let Some(tld) = labels.last().filter(|t| SPECIAL_USE.contains(t)) {
        return Err(format!(
            "{input:?}: .{tld} names are for private networks and cannot get a public \
             certificate; use a name under your organisation's public domain"
        ));
    }
    let public = public_host.trim_end_matches('.').to_ascii_lowercase();
    if !public.is_empty() && (name == public || name.ends_with(&format!(".{public}"))) {
        return Err(format!(
            "{name} is this installation's own address (LIAISON_PUBLIC_URL) or a name under \
             it; those serve the console and cannot be a portal's domain"
        ));
    }
    Ok(name)
}

/// The label under which a domain's verification record is published.
pub const CHALLENGE_LABEL: &str = "_liaison-challenge";
const CHALLENGE_PREFIX: &str = "_liaison-challenge.";

/// The longest name whose `_liaison-challenge.` record still fits DNS's 253 characters.
pub const MAX_LEN: usize = 253 - CHALLENGE_PREFIX.len();

/// The name of `domain`'s verification record (`_liaison-challenge.<domain>`).
pub fn challenge_record(domain: &str) -> String {
    format!("{CHALLENGE_PREFIX}{domain}")
}

/// Top-level names reserved for local or special use (RFC 6761, RFC 6762, RFC 8375,
/// RFC 9476, ICANN's `.internal`): never reachable on the public Internet.
const SPECIAL_USE: [&str; 7] = [
    "localhost",
    "local",
    "internal",
    "arpa",
    "invalid",
    "onion",
    "alt",
];

#[derive(PartialEq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Other,
}

fn script(c: char) -> Option<Script> {
    match c as u32 {
        0x30..=0x39 | 0x2d => None,
        0x61..=0x7a | 0xc0..=0x24f => Some(Script::Latin),
        0x370..=0x3ff => Some(Script::Greek),
        0x400..=0x52f => Some(Script::Cyrillic),
        _ => Some(Script::Other),
    }
}

/// Greek and Cyrillic letters that look like Latin ones.
const LOOK_ALIKES: &str = "аеорсухѕіјԁӏһԛԝвмнткαορτυνικχεβ";

/// Why an `xn--` label is a likely homograph, if it is one.
fn homograph(label: &str) -> Option<&'static str> {
    if !label.starts_with("xn--") {
        return None;
    }
    let (unicode, result) = idna::domain_to_unicode(label);
    if result.is_err() {
        return Some("is not a valid internationalised label");
    }
    let scripts: Vec<Script> = unicode.chars().filter_map(script).collect();
    let has = |s: Script| scripts.contains(&s);
    if has(Script::Latin) && (has(Script::Greek) || has(Script::Cyrillic))
        || has(Script::Greek) && has(Script::Cyrillic)
    {
        return Some(
            "mixes alphabets (Latin with Greek or Cyrillic), the mark of a look-alike name",
        );
    }
    let letters: Vec<char> = unicode.chars().filter(|c| c.is_alphabetic()).collect();
    if !letters.is_empty()
        && (has(Script::Greek) || has(Script::Cyrillic))
        && letters.iter().all(|c| LOOK_ALIKES.contains(*c))
    {
        return Some(
            "is spelt only with letters that look like Latin ones, the mark of a look-alike name",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{custom_domain, MAX_LEN};

    const PUBLIC: &str = "liaison.example.org";

    #[test]
    fn names_are_canonical() {
        for (input, want) in [
            ("share.agency.example", "share.agency.example"),
            ("  Share.Agency.EXAMPLE. ", "share.agency.example"),
            ("xn--mnchen-3ya.example", "xn--mnchen-3ya.example"),
            ("a-b.c1.example", "a-b.c1.example"),
        ] {
            assert_eq!(custom_domain(input, PUBLIC).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn unsafe_names_are_refused_with_a_reason() {
        for (input, says) in [
            ("*.agency.example", "wildcard"),
            ("192.0.2.10", "IP address"),
            ("[2001:db8::1]", "IP address"),
            ("share.agency.example:8443", "port"),
            ("https://share.agency.example", "scheme"),
            ("localhost", "one label"),
            ("share..example", "1 to 63"),
            ("-share.example", "hyphens"),
            ("share_1.example", "hyphens"),
            ("share.example.123", "digits"),
            ("аpple.example", "non-ASCII"),
            // "аpple" with a Cyrillic а, in its xn-- form.
            ("xn--pple-43d.example", "mixes alphabets"),
            // "аре" (all Cyrillic look-alikes).
            ("xn--80ak6a.example", "look like Latin"),
            ("liaison.example.org", "own address"),
            ("LIAISON.example.org.", "own address"),
            ("guests.liaison.example.org", "under it"),
            ("printer.local", "private networks"),
            ("share.corp.internal", "private networks"),
            ("share.localhost", "private networks"),
            ("10.in-addr.arpa", "private networks"),
            ("", "give a domain"),
        ] {
            let e = custom_domain(input, PUBLIC).expect_err(input);
            assert!(e.contains(says), "{input}: {e}");
        }
        assert!(custom_domain(&format!("{}.example", "a".repeat(64)), PUBLIC).is_err());
        // The longest name that leaves room for the challenge label, and one more.
        let longest = format!(
            "{}.{}.{}.{}.example",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(MAX_LEN - 3 * 64 - ".example".len())
        );
        assert_eq!(longest.len(), MAX_LEN);
        assert!(custom_domain(&longest, PUBLIC).is_ok());
        let e = custom_domain(&longest.replacen(".d", ".dd", 1), PUBLIC).unwrap_err();
        assert!(e.contains("longer than 234"), "{e}");
        // A name that merely ends like the public host is someone else's.
        assert!(custom_domain("notliaison.example.org", PUBLIC).is_ok());
    }
}
