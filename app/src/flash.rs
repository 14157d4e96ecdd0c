//! Refusals carried across a plain form's redirect. The form's handler seals the message
//! into a short-lived HttpOnly cookie of the browser that posted and redirects to the page
//! with `?error=1`; the page's `components::FlashError` takes the message from that cookie,
//! once. A link can carry no message: `?error=` only says "look in your cookie", and the
//! cookie is the posting browser's own (host-only; `__Host-` on https), sealed under the
//! master key with the time it was made (a copied or stale value shows nothing). Only
//! compiled with `ssr`.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use backend::Liaison;

/// The query parameter that tells a page to look for a refusal.
pub const QUERY: &str = "error";
/// What the message is sealed under (a context of the master key's own).
const CONTEXT: &str = "flash-error";
/// How long a refusal waits to be shown.
const TTL_MS: i64 = 10 * 60_000;

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-liaison_flash"
    } else {
        "liaison_flash"
    }
}

/// The cookie carrying `message` to the next page (or with `None`, the one that clears it).
pub fn cookie(core: &Liaison, message: Option<&str>, secure: bool) -> Cookie<'static> {
    use base64::Engine;
    let value = message.map_or_else(String::new, |m| {
        let body = format!("{}\n{m}", core.now_ms());
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(core.sealer.seal(CONTEXT, body.as_bytes()))
    });
    Cookie::build((cookie_name(secure), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::milliseconds(if message.is_some() {
            TTL_MS
        } else {
            0
        }))
        .build()
}

/// The message the browser's flash cookie carries, if this server sealed it in the last
/// ten minutes.
pub fn message(core: &Liaison, jar: &CookieJar, secure: bool) -> Option<String> {
    use base64::Engine;
    use secrecy::ExposeSecret;
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jar.get(cookie_name(secure))?.value())
        .ok()?;
    let body = core.sealer.open(CONTEXT, &sealed).ok()?;
    let (at, message) = std::str::from_utf8(body.expose_secret())
        .ok()?
        .split_once('\n')?;
    let age = core.now_ms() - at.parse::<i64>().ok()?;
    (0..=TTL_MS).contains(&age).then(|| message.to_owned())
}
