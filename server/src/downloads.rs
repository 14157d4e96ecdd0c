//! How a stored file goes to a browser: the declared type is the sniffed one, never
//! sniffed again (`nosniff`), a sandboxing CSP, not cached, and named by a
//! `Content-Disposition` whose file name cannot break the header.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// Whether the browser shows the file or saves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

/// `inline|attachment; filename="<ASCII stand-in>"; filename*=UTF-8''<the real name>`.
pub fn content_disposition(how: Disposition, file_name: &str) -> Option<HeaderValue> {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // RFC 8187 `attr-char`: what form encoding leaves alone, but for `*`.
    let encoded: String = url::form_urlencoded::byte_serialize(file_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
        .replace('*', "%2A");
    let kind = match how {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .ok()
}

/// The headers every served file carries (see the module's doc).
pub fn lock_down(h: &mut HeaderMap, content_type: &str, how: Disposition, file_name: &str) {
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(v) = content_disposition(how, file_name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A whole file, to be saved rather than shown, named with the extension of its sniffed
/// type (a text file a guest called `notes.html` is saved as `notes.html.txt`, so opening
/// it locally does not render it).
pub fn attachment(bytes: bytes::Bytes, content_type: &str, file_name: &str) -> Response {
    let mut resp = bytes.into_response();
    let name = with_extension_of(content_type, file_name);
    lock_down(
        resp.headers_mut(),
        content_type,
        Disposition::Attachment,
        &name,
    );
    resp
}

/// `file_name`, ending in the extension of `content_type` (the upload's sniffed type).
fn with_extension_of(content_type: &str, file_name: &str) -> String {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let wanted: &[&str] = match essence {
        "application/pdf" => &["pdf"],
        "image/png" => &["png"],
        "image/jpeg" => &["jpg", "jpeg"],
        "image/gif" => &["gif"],
        "image/webp" => &["webp"],
        "text/plain" => &["txt"],
        _ => return file_name.to_owned(),
    };
    let has = file_name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| wanted.iter().any(|w| ext.eq_ignore_ascii_case(w)));
    if has {
        file_name.to_owned()
    } else {
        format!("{file_name}.{}", wanted[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_file_takes_its_sniffed_types_extension() {
        assert_eq!(
            with_extension_of("text/plain; charset=utf-8", "notes.txt"),
            "notes.txt"
        );
        assert_eq!(
            with_extension_of("text/plain", "notes.html"),
            "notes.html.txt"
        );
        assert_eq!(with_extension_of("image/jpeg", "photo.JPEG"), "photo.JPEG");
        assert_eq!(with_extension_of("application/pdf", "scan"), "scan.pdf");
    }

    #[test]
    fn file_names_cannot_break_the_header() {
        let v = content_disposition(Disposition::Attachment, "a\"b\r\nX: y*.txt").unwrap();
        let v = v.to_str().unwrap();
        assert!(
            v.starts_with("attachment; filename=\"a_b__X_ y_.txt\";"),
            "{v}"
        );
        assert!(
            v.ends_with("filename*=UTF-8''a%22b%0D%0AX%3A%20y%2A.txt"),
            "{v}"
        );
    }
}
