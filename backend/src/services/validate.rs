//! Input checks shared by services. Each returns a [`ServiceError::Invalid`] naming the field.

use super::{Result, ServiceError};

/// Trims and checks a human name or title: 1..=max chars, no control characters.
pub fn text(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(v.to_owned())
}

/// An email address, lower-cased: valid for the mailer (`lettre::Address`, so any address
/// accepted here can be sent to), with a dotted domain name (no bare hosts, no IP
/// addresses), an unquoted local part, at most 254 bytes.
pub fn email(field: &'static str, value: &str) -> Result<String> {
    let v = value.trim().to_lowercase();
    let bad = || ServiceError::invalid(field, format!("{field} is not a valid email address"));
    if v.is_empty() || v.len() > 254 {
        return Err(bad());
    }
    let address: lettre::Address = v.parse().map_err(|_| bad())?;
    let domain = address.domain();
    // No quoted local parts (`"x@evil.example"@partner.example` reads as another
    // address), no IP-address domains, no bare hosts.
    if address.user().starts_with('"')
        || !domain.contains('.')
        || domain.starts_with('[')
        || domain.parse::<std::net::IpAddr>().is_ok()
    {
        return Err(bad());
    }
    Ok(v)
}

/// A file name reduced to its last path component, without control characters, at most
/// 200 characters; only ever used for display and `Content-Disposition`.
pub fn file_name(value: &str) -> String {
    let last = value.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned
    }
}

/// An absolute `https://` address with a host and no user name or password in it (the
/// only kind of link Liaison puts in front of guests), at most 2,000 bytes.
pub fn https_url(field: &'static str, value: &str) -> Result<String> {
    let v = value.trim();
    let bad = |why: &str| ServiceError::invalid(field, format!("{field} {why}"));
    if v.len() > 2000 {
        return Err(bad("must be at most 2000 characters"));
    }
    let url = url::Url::parse(v).map_err(|_| bad("must be an https:// address"))?;
    if url.scheme() != "https" {
        return Err(bad(&format!(
            "must be an https:// address, not {}:",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry a user name or password"));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("email", " Jane.Doe@Example.ORG ").unwrap(),
            "jane.doe@example.org"
        );
        assert_eq!(
            email("email", "o'brien+cases@sub.example.co.uk").unwrap(),
            "o'brien+cases@sub.example.co.uk"
        );
        for bad in [
            "",
            "jane",
            "@x.org",
            "jane@",
            "jane@x",
            "a b@x.org",
            "a@b@x.org",
            "a@x..org",
            "<a@x.org>",
            "a@.x.org",
            "a@x.org.",
            "a@[192.0.2.1]",
            "a@192.0.2.1",
            "\"x@evil.example\"@partner.example",
            "\"a b\"@x.org",
            "a,b@x.org",
            "\"a b\"@x.org extra",
            "a@x.org\nBcc: b@y.org",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert_eq!(text("name", "  Jane  ", 10).unwrap(), "Jane");
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", "x".repeat(11).as_str(), 10).is_err());
        assert!(text("name", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn file_names_cannot_traverse() {
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("C:\\temp\\..\\report.pdf"), "report.pdf");
        assert_eq!(file_name(".."), "document");
        assert_eq!(file_name(".htaccess"), "htaccess");
        assert_eq!(file_name("a\u{7}b.txt"), "ab.txt");
        assert_eq!(file_name(""), "document");
    }
}
