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
    let encoded: String = url::form_urlencoded::byte_serialize(file_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
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

/// A whole file, to be saved rather than shown.
pub fn attachment(bytes: bytes::Bytes, content_type: &str, file_name: &str) -> Response {
    let mut resp = bytes.into_response();
    lock_down(
        resp.headers_mut(),
        content_type,
        Disposition::Attachment,
        file_name,
    );
    resp
}
