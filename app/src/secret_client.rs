//! The browser's half of end-to-end encrypted secrets: the format, the cryptography
//! (WebCrypto) and the requests that carry the results. The server never runs any of it:
//! it receives ciphertext, a nonce, a salt and a proof, never a key or a code.
//!
//! The format, which any other client must follow to interoperate (README, "Secrets"):
//! - plaintext envelope: a 4-byte big-endian name length, the file name (UTF-8, empty for
//!   text kinds, at most 255 bytes), a 4-byte big-endian content length, the content, then
//!   zeros up to a multiple of 1 KiB (text kinds) or 64 KiB (files), so the ciphertext's
//!   size does not tell a password's length;
//! - AES-256-GCM under a 32-byte key with a fresh 12-byte nonce, no associated data;
//! - link-key delivery: the key is random; the link's fragment is its unpadded base64url;
//!   the proof is SHA-256 of `liaison-secret-proof:` followed by the key;
//! - access-code delivery: PBKDF2-HMAC-SHA-256 over the normalised code ([`normalise_code`])
//!   with a random 16-byte salt and 600,000 iterations gives 64 bytes: the key, then the
//!   proof.
//!
//! The pure parts (envelope, code, base64url) build for both sides and are unit-tested;
//! the WebCrypto calls build for the browser only.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;

/// What precedes the key when hashing it into a link-key proof.
pub const PROOF_LABEL: &[u8] = b"liaison-secret-proof:";
/// PBKDF2 iterations over an access code (the server states the same figure).
pub const CODE_ITERATIONS: u32 = 600_000;
/// Access codes: 20 characters of Crockford's base32 (100 bits), shown in groups of five.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 20;
/// The most a file's name may take in the envelope.
pub const MAX_NAME_BYTES: usize = 255;
/// Envelope padding blocks (the server states the same figures).
pub const TEXT_PADDING: usize = 1024;
pub const FILE_PADDING: usize = 64 * 1024;

pub fn b64url(bytes: &[u8]) -> String {
    B64URL.encode(bytes)
}

pub fn from_b64url(text: &str) -> Option<Vec<u8>> {
    B64URL.decode(text.trim().trim_end_matches('=')).ok()
}

/// The envelope around a secret's content, padded to a multiple of `block` (see the
/// module's doc).
pub fn envelope(name: &str, content: &[u8], block: usize) -> Vec<u8> {
    let mut cut = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let name = &name.as_bytes()[..cut];
    let len = 8 + name.len() + content.len();
    let mut out = Vec::with_capacity(len.div_ceil(block.max(1)) * block.max(1));
    out.extend_from_slice(&(name.len() as u32).to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&(content.len() as u32).to_be_bytes());
    out.extend_from_slice(content);
    out.resize(len.div_ceil(block.max(1)) * block.max(1), 0);
    out
}

/// The name and content an envelope holds; `None` if it is not one.
pub fn open_envelope(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    let word = |at: usize| -> Option<usize> {
        Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let name_len = word(0)?;
    if name_len > MAX_NAME_BYTES {
        return None;
    }
    let name = std::str::from_utf8(bytes.get(4..4 + name_len)?)
        .ok()?
        .to_owned();
    let content_len = word(4 + name_len)?;
    let start = 8 + name_len;
    let content = bytes.get(start..start.checked_add(content_len)?)?.to_vec();
    Some((name, content))
}

/// A file name safe to save under: no path separators, control or bidirectional
/// formatting characters (which could disguise an extension), never empty.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '/' | '\\' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() {
        "secret".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// An access code from 20 random bytes' worth of choices: `ABCDE-FGHJK-MNPQR-STVWX`.
pub fn code_from(random: &[u8]) -> String {
    let chars: Vec<char> = random
        .iter()
        .take(CODE_CHARS)
        .map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)]))
        .collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as it is derived from: upper case, without spaces or dashes, with the letters
/// people confuse read as Crockford's base32 reads them (O → 0, I and L → 1).
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// Does the typed code have the shape of one? (Checked before the slow derivation.)
pub fn code_is_well_formed(typed: &str) -> bool {
    let n = normalise_code(typed);
    n.len() == CODE_CHARS && n.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

/// "1.2 MB": a size for people.
pub fn human_size(bytes: f64) -> String {
    if bytes < 1024.0 {
        format!("{bytes:.0} bytes")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.1} KB", bytes / 1024.0)
    } else {
        format!("{:.1} MB", bytes / 1024.0 / 1024.0)
    }
}

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Array, Object, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AesGcmParams, CryptoKey, Pbkdf2Params, SubtleCrypto};

    use super::{CODE_ITERATIONS, PROOF_LABEL};

    /// What went wrong in the browser's cryptography, in words for the page.
    pub type CryptoResult<T> = Result<T, String>;

    fn crypto() -> CryptoResult<web_sys::Crypto> {
        web_sys::window().ok_or("no window")?.crypto().map_err(|_| {
            "this browser has no Web Crypto: open the page over https in a current browser"
                .to_owned()
        })
    }

    fn subtle() -> CryptoResult<SubtleCrypto> {
        Ok(crypto()?.subtle())
    }

    fn failed(what: &str) -> impl Fn(JsValue) -> String + '_ {
        move |_| format!("the browser could not {what}")
    }

    /// `n` bytes from the browser's CSPRNG.
    pub fn random_bytes(n: usize) -> CryptoResult<Vec<u8>> {
        let mut buf = vec![0u8; n];
        crypto()?
            .get_random_values_with_u8_array(&mut buf[..])
            .map_err(failed("draw random bytes"))?;
        Ok(buf)
    }

    async fn bytes_of(promise: js_sys::Promise, what: &str) -> CryptoResult<Vec<u8>> {
        let buffer = JsFuture::from(promise).await.map_err(failed(what))?;
        Ok(Uint8Array::new(&buffer).to_vec())
    }

    fn usages(list: &[&str]) -> Array {
        list.iter().map(|u| JsValue::from_str(u)).collect()
    }

    async fn aes_key(key: &[u8], usage: &str) -> CryptoResult<CryptoKey> {
        let data = Uint8Array::from(key);
        let promise = subtle()?
            .import_key_with_str("raw", &data, "AES-GCM", false, &usages(&[usage]))
            .map_err(failed("import the key"))?;
        JsFuture::from(promise)
            .await
            .map_err(failed("import the key"))?
            .dyn_into()
            .map_err(failed("import the key"))
    }

    fn gcm(nonce: &[u8]) -> AesGcmParams {
        AesGcmParams::new("AES-GCM", &Uint8Array::from(nonce))
    }

    /// AES-256-GCM encryption of `plaintext` (the result carries the tag).
    pub async fn encrypt(key: &[u8], nonce: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
        let key = aes_key(key, "encrypt").await?;
        let promise = subtle()?
            .encrypt_with_object_and_u8_array(&gcm(nonce), &key, plaintext)
            .map_err(failed("encrypt"))?;
        bytes_of(promise, "encrypt").await
    }

    /// AES-256-GCM decryption; an error when the key is wrong or the bytes were altered.
    pub async fn decrypt(key: &[u8], nonce: &[u8], ciphertext: &[u8]) -> CryptoResult<Vec<u8>> {
        let key = aes_key(key, "decrypt").await?;
        let promise = subtle()?
            .decrypt_with_object_and_u8_array(&gcm(nonce), &key, ciphertext)
            .map_err(failed("decrypt"))?;
        bytes_of(
            promise,
            "decrypt: the key does not fit or the data was altered",
        )
        .await
    }

    /// SHA-256 of the proof label and the key: a link-key secret's proof.
    pub async fn proof_of_key(key: &[u8]) -> CryptoResult<Vec<u8>> {
        let mut data = PROOF_LABEL.to_vec();
        data.extend_from_slice(key);
        let promise = subtle()?
            .digest_with_str_and_u8_array("SHA-256", &data)
            .map_err(failed("hash"))?;
        bytes_of(promise, "hash").await
    }

    /// Saves `bytes` as a download named `name` (cleaned, see [`super::safe_file_name`]),
    /// from memory: nothing is fetched. The object URL is revoked a minute later, so the
    /// plaintext does not stay addressable while the page is open.
    pub fn offer_download(name: &str, bytes: &[u8]) -> CryptoResult<()> {
        let parts = Array::of1(&Uint8Array::from(bytes));
        let kind = web_sys::BlobPropertyBag::new();
        kind.set_type("application/octet-stream");
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &kind)
            .map_err(failed("prepare the download"))?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)
            .map_err(failed("prepare the download"))?;
        let anchor: web_sys::HtmlAnchorElement = leptos::prelude::document()
            .create_element("a")
            .map_err(failed("prepare the download"))?
            .dyn_into()
            .map_err(|_| "the browser could not prepare the download".to_owned())?;
        anchor.set_href(&url);
        anchor.set_download(&super::safe_file_name(name));
        anchor.click();
        leptos::prelude::set_timeout(
            move || {
                let _ = web_sys::Url::revoke_object_url(&url);
            },
            std::time::Duration::from_secs(60),
        );
        Ok(())
    }

    /// The link's fragment (the key of a link-key secret), without the `#`.
    pub fn fragment() -> Option<String> {
        let hash = leptos::prelude::window().location().hash().ok()?;
        Some(hash.trim_start_matches('#').to_owned()).filter(|h| !h.is_empty())
    }

    /// Takes the key out of the address bar (and so out of the history) once it is used.
    pub fn forget_fragment() {
        let window = leptos::prelude::window();
        if let (Ok(history), Ok(path)) = (window.history(), window.location().pathname()) {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
        }
    }

    /// PBKDF2-HMAC-SHA-256 over the normalised code: (key, proof).
    pub async fn derive_from_code(code: &str, salt: &[u8]) -> CryptoResult<(Vec<u8>, Vec<u8>)> {
        let subtle = subtle()?;
        let code = Uint8Array::from(super::normalise_code(code).as_bytes());
        let base: CryptoKey = JsFuture::from(
            subtle
                .import_key_with_str("raw", &code, "PBKDF2", false, &usages(&["deriveBits"]))
                .map_err(failed("prepare the code"))?,
        )
        .await
        .map_err(failed("prepare the code"))?
        .dyn_into()
        .map_err(failed("prepare the code"))?;
        let params = Pbkdf2Params::new(
            "PBKDF2",
            &JsValue::from_str("SHA-256"),
            CODE_ITERATIONS,
            &Uint8Array::from(salt),
        );
        let promise = subtle
            .derive_bits_with_object(&Object::from(params), &base, 512)
            .map_err(failed("derive the key"))?;
        let mut bits = bytes_of(promise, "derive the key").await?;
        let proof = bits.split_off(32);
        Ok((bits, proof))
    }
}

#[cfg(feature = "hydrate")]
mod transport {
    use super::browser::CryptoResult;
    use js_sys::Uint8Array;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{ProgressEvent, XmlHttpRequest, XmlHttpRequestResponseType};

    /// An answer: its status and body.
    pub struct Answer {
        pub status: u16,
        pub body: Vec<u8>,
        pub views_left: Option<i64>,
    }

    impl Answer {
        /// The message of an error envelope, or a plain one for the status.
        pub fn error_message(&self) -> String {
            serde_json::from_slice::<serde_json::Value>(&self.body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("The server answered {}. Try again.", self.status))
        }

        /// The error envelope's code (`wrong_access_code`, …), if any.
        pub fn error_code(&self) -> Option<String> {
            serde_json::from_slice::<serde_json::Value>(&self.body)
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        }
    }

    /// POSTs `json` to `url` and waits for the answer, reporting (bytes sent, total) to
    /// `progress` while the body goes up.
    pub async fn post_json(
        url: &str,
        json: &str,
        progress: Option<Box<dyn Fn(f64, f64)>>,
    ) -> CryptoResult<Answer> {
        let broken = |_| "the browser could not send the request".to_owned();
        let xhr = XmlHttpRequest::new().map_err(broken)?;
        xhr.open("POST", url).map_err(broken)?;
        xhr.set_request_header("Content-Type", "application/json")
            .map_err(broken)?;
        xhr.set_response_type(XmlHttpRequestResponseType::Arraybuffer);
        let target = xhr.clone();
        let settled = js_sys::Promise::new(&mut |resolve, reject| {
            let on_load = Closure::once_into_js(move || resolve.call0(&JsValue::NULL));
            let on_error = Closure::once_into_js(move || reject.call0(&JsValue::NULL));
            target.set_onload(Some(on_load.unchecked_ref()));
            target.set_onerror(Some(on_error.unchecked_ref()));
        });
        if let (Some(report), Ok(upload)) = (progress, xhr.upload()) {
            let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |e: ProgressEvent| {
                report(e.loaded(), e.total())
            });
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            on_progress.forget();
        }
        xhr.send_with_opt_str(Some(json)).map_err(broken)?;
        JsFuture::from(settled).await.map_err(|_| {
            "The network request failed. Check your connection and try again.".to_owned()
        })?;
        let status = xhr.status().map_err(broken)?;
        let body = xhr
            .response()
            .ok()
            .filter(|r| !r.is_null())
            .map(|r| Uint8Array::new(&r).to_vec())
            .unwrap_or_default();
        let views_left = xhr
            .get_response_header("x-views-left")
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok());
        Ok(Answer {
            status,
            body,
            views_left,
        })
    }
}

#[cfg(feature = "hydrate")]
pub use transport::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_round_trips_padded_and_cuts_long_names_on_a_character() {
        let e = envelope("plan.pdf", b"%PDF", FILE_PADDING);
        assert_eq!(e.len(), FILE_PADDING);
        assert_eq!(
            open_envelope(&e),
            Some(("plan.pdf".into(), b"%PDF".to_vec()))
        );
        // Two passwords of different lengths make envelopes of one size.
        let short = envelope("", b"hunter2", TEXT_PADDING);
        let long = envelope("", b"correct horse battery staple", TEXT_PADDING);
        assert_eq!((short.len(), long.len()), (TEXT_PADDING, TEXT_PADDING));
        assert_eq!(
            open_envelope(&short),
            Some((String::new(), b"hunter2".to_vec()))
        );
        assert_eq!(
            envelope("", &[1; 1020], TEXT_PADDING).len(),
            2 * TEXT_PADDING
        );
        let name = "é".repeat(200);
        let (name, _) = open_envelope(&envelope(&name, b"x", 1)).unwrap();
        assert!(name.len() <= MAX_NAME_BYTES && name.chars().all(|c| c == 'é'));
        assert_eq!(
            open_envelope(&[0, 0, 1, 0]),
            None,
            "a name longer than allowed"
        );
        assert_eq!(
            open_envelope(&[0, 0, 0, 0, 0, 0, 0, 9, 1]),
            None,
            "content past the end"
        );
        assert_eq!(open_envelope(&[0, 0]), None);
    }

    #[test]
    fn saved_file_names_cannot_hide_their_extension_or_leave_the_folder() {
        assert_eq!(safe_file_name("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
        assert_eq!(safe_file_name("../../etc/passwd"), "etcpasswd");
        assert_eq!(safe_file_name("a\\b\nc.txt"), "abc.txt");
        assert_eq!(safe_file_name(" .. "), "secret");
        assert_eq!(safe_file_name("Plan 2026.pdf"), "Plan 2026.pdf");
    }

    /// The browser's and the server's figures are one contract.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_format_agrees_with_the_server() {
        use backend::domain::secrets as server;
        assert_eq!(CODE_ITERATIONS, server::CODE_ITERATIONS);
        assert_eq!(MAX_NAME_BYTES, server::MAX_NAME_BYTES);
        assert_eq!(TEXT_PADDING, server::TEXT_PADDING);
        assert_eq!(FILE_PADDING, server::FILE_PADDING);
        assert_eq!(
            crate::SECRET_LINK_PREFIX,
            backend::services::secrets::LINK_PREFIX
        );
        // The largest file, in its envelope with the longest name, fits the server's limit.
        let name = "n".repeat(MAX_NAME_BYTES);
        let biggest = envelope(&name, &vec![0; server::MAX_FILE_BYTES], FILE_PADDING).len() + 16;
        assert_eq!(biggest, server::SecretKind::File.max_ciphertext());
    }

    #[test]
    fn codes_have_a_hundred_bits_and_forgive_how_they_are_typed() {
        let code = code_from(&(0u8..20).collect::<Vec<_>>());
        assert_eq!(code, "01234-56789-ABCDE-FGHJK");
        assert!(code_is_well_formed(&code));
        assert!(code_is_well_formed(" o1234 56789 abcde fghjk "));
        assert_eq!(
            normalise_code("o1234-56789-abcde-fghjk"),
            "0123456789ABCDEFGHJK"
        );
        assert!(!code_is_well_formed("01234-56789"));
        assert!(
            !code_is_well_formed("01234-56789-ABCDE-FGHJU"),
            "U is not in the alphabet"
        );
    }

    #[test]
    fn base64url_is_unpadded_and_forgiving_of_padding() {
        assert_eq!(b64url(&[255, 254]), "__4");
        assert_eq!(from_b64url("__4="), Some(vec![255, 254]));
        assert_eq!(from_b64url("not base64!"), None);
    }
}
