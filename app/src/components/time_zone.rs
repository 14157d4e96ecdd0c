//! Times in the viewer's time zone, the same on both sides of hydration.
//!
//! The browser knows its zone; the server learns it from the `liaison_tz` cookie, which
//! every hydrated page writes ([`remember_time_zone`]) with the browser's IANA name. The
//! server renders a time in that zone and the browser in its own, so the two agree and
//! hydration changes nothing on screen. Before the cookie exists (a browser's very first
//! page, before any script ran) the server renders UTC and says so in the zone label.
//!
//! Forms that take a local date and time send JavaScript's `getTimezoneOffset()` with it
//! ([`offset_at`]), so what is stored never depends on the cookie.

use leptos::prelude::*;

/// The cookie holding the browser's IANA time zone name ("Europe/Paris"). Not a secret and
/// not trusted: the server only formats times with it, and ignores a name it cannot read.
pub const TIME_ZONE_COOKIE: &str = "liaison_tz";

/// The viewer's zone as the server knows it from [`TIME_ZONE_COOKIE`], provided by the
/// page shell for the whole render.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct ViewerZone(pub jiff::tz::TimeZone);

#[cfg(feature = "ssr")]
impl ViewerZone {
    /// The zone named by the request's cookie; UTC when there is none or it names no zone.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let name = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == TIME_ZONE_COOKIE)
            .map(|(_, v)| v.trim());
        let zone = name
            .filter(|n| is_zone_name(n))
            .and_then(|n| jiff::tz::TimeZone::get(n).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        Self(zone)
    }

    fn current() -> Self {
        use_context::<Self>().unwrap_or(Self(jiff::tz::TimeZone::UTC))
    }
}

/// An IANA zone name as browsers report them: short, letters, digits and `/_+-` only.
pub fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
}

/// An RFC 3339 timestamp as the date and minute in the viewer's zone ("2026-11-23 15:05");
/// anything unreadable unchanged.
pub fn local_time(rfc3339: &str) -> String {
    local_parts(rfc3339).map_or_else(
        || rfc3339.to_owned(),
        |(y, mo, d, h, mi)| format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"),
    )
}

/// An RFC 3339 timestamp as a `datetime-local` input's value in the viewer's zone
/// ("2026-11-23T15:05"); empty for anything unreadable.
pub fn local_input_value(rfc3339: &str) -> String {
    local_parts(rfc3339)
        .map(|(y, mo, d, h, mi)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}"))
        .unwrap_or_default()
}

/// A time in a table or a sentence: `<time>` with the exact instant, shown in the viewer's
/// zone, UTC on hover.
#[component]
pub fn LocalTime(#[prop(into)] at: String) -> impl IntoView {
    let shown = local_time(&at);
    let utc = match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => at.clone(),
    };
    view! { <time datetime=at title=utc>{shown}</time> }
}

/// (year, month, day, hour, minute) of `rfc3339` in the viewer's zone.
fn local_parts(rfc3339: &str) -> Option<(i32, u32, u32, u32, u32)> {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
        if d.get_time().is_nan() || rfc3339.len() < 16 {
            return None;
        }
        Some((
            d.get_full_year() as i32,
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes(),
        ))
    }
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    {
        let ts: jiff::Timestamp = rfc3339.parse().ok()?;
        let zone = ViewerZone::current().0;
        let dt = zone.to_offset(ts).to_datetime(ts);
        Some((
            dt.year().into(),
            dt.month() as u32,
            dt.day() as u32,
            dt.hour() as u32,
            dt.minute() as u32,
        ))
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = rfc3339;
        None
    }
}

/// Names the viewer's zone for labels: "Europe/Paris, UTC+01:00", or "UTC".
pub fn zone_label() -> String {
    #[cfg(feature = "hydrate")]
    {
        let offset = js_sys::Date::new_0().get_timezone_offset() as i32;
        label(zone_name().as_deref(), -offset)
    }
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    {
        let zone = ViewerZone::current().0;
        let east = zone.to_offset(jiff::Timestamp::now()).seconds() / 60;
        label(zone.iana_name(), east)
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        "UTC".to_owned()
    }
}

/// [`zone_label`] as a signal: the zone the server rendered, corrected by the browser once
/// hydrated (when the cookie was missing or stale).
pub fn zone_label_signal() -> ReadSignal<String> {
    let (label, set_label) = signal(zone_label());
    Effect::new(move |_| set_label.set(zone_label()));
    label
}

/// [`current_offset`] as a signal, for a form's hidden field: the server's, then the
/// browser's own once hydrated.
pub fn current_offset_signal() -> RwSignal<String> {
    let offset = RwSignal::new(current_offset().to_string());
    Effect::new(move |_| offset.set(current_offset().to_string()));
    offset
}

/// The viewer's `getTimezoneOffset()` now (minutes to add to local time for UTC), as a
/// form's hidden field starts with it; the browser's own once hydrated.
pub fn current_offset() -> i32 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::new_0().get_timezone_offset() as i32
    }
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    {
        -(ViewerZone::current()
            .0
            .to_offset(jiff::Timestamp::now())
            .seconds()
            / 60)
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        0
    }
}

/// The viewer's `getTimezoneOffset()` at the instant `rfc3339` (a date across a daylight
/// saving change has another offset than today); [`current_offset`] if unreadable.
pub fn offset_for(rfc3339: &str) -> i32 {
    #[cfg(feature = "hydrate")]
    {
        let offset =
            js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339)).get_timezone_offset();
        if offset.is_nan() {
            current_offset()
        } else {
            offset as i32
        }
    }
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    {
        match rfc3339.parse::<jiff::Timestamp>() {
            Ok(ts) => -(ViewerZone::current().0.to_offset(ts).seconds() / 60),
            Err(_) => current_offset(),
        }
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = rfc3339;
        0
    }
}

/// "Europe/Paris, UTC+01:00"; "UTC" for UTC itself (whatever the zone's name), so the
/// server and the browser name a zone alike.
fn label(name: Option<&str>, east_minutes: i32) -> String {
    match name {
        _ if east_minutes == 0 && name.is_none_or(|n| matches!(n, "UTC" | "Etc/UTC" | "GMT")) => {
            "UTC".to_owned()
        }
        Some(name) => format!("{name}, {}", utc_offset(east_minutes)),
        None => utc_offset(east_minutes),
    }
}

/// "UTC+01:00" for 60 minutes east of UTC.
fn utc_offset(east_minutes: i32) -> String {
    let sign = if east_minutes < 0 { '-' } else { '+' };
    let m = east_minutes.abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// Writes the browser's zone into [`TIME_ZONE_COOKIE`] when it is missing or stale, so the
/// server renders the next page in it. Runs in the browser only (call it from an effect).
pub fn remember_time_zone() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(name) = zone_name().filter(|n| is_zone_name(n)) else {
            return;
        };
        let Some(document) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        else {
            return;
        };
        let wanted = format!("{TIME_ZONE_COOKIE}={name}");
        let cookies = document.cookie().unwrap_or_default();
        if cookies.split(';').any(|c| c.trim() == wanted) {
            return;
        }
        let secure = web_sys::window()
            .and_then(|w| w.location().protocol().ok())
            .is_some_and(|p| p == "https:");
        let cookie = format!(
            "{wanted}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            if secure { "; Secure" } else { "" }
        );
        let _ = document.set_cookie(&cookie);
    }
}

/// The browser's IANA zone name, from `Intl.DateTimeFormat().resolvedOptions()`.
#[cfg(feature = "hydrate")]
fn zone_name() -> Option<String> {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
}

/// The browser's offset from UTC (as `getTimezoneOffset()` gives it) at the local date and
/// time `local` ("2026-12-31T17:00"). `None` before hydration or for an unreadable value.
pub fn offset_at(local: &str) -> Option<i32> {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
        let offset = d.get_timezone_offset();
        (!offset.is_nan()).then_some(offset as i32)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = local;
        None
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use axum::http::{header, HeaderMap, HeaderValue};

    fn zone_of(cookie: &str) -> Option<String> {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(cookie).expect("a header value"),
        );
        ViewerZone::from_headers(&h)
            .0
            .iana_name()
            .map(str::to_owned)
    }

    #[test]
    fn reads_the_zone_cookie_and_ignores_junk() {
        assert_eq!(
            zone_of("a=b; liaison_tz=Europe/Paris").as_deref(),
            Some("Europe/Paris")
        );
        assert_eq!(zone_of("liaison_tz=Mars/Olympus").as_deref(), Some("UTC"));
        assert_eq!(zone_of("liaison_tz=../../etc").as_deref(), Some("UTC"));
        assert_eq!(zone_of("other=1").as_deref(), Some("UTC"));
    }

    #[test]
    fn formats_in_the_viewer_zone() {
        let owner = Owner::new();
        owner.with(|| {
            assert_eq!(local_time("2026-11-23T14:05:09Z"), "2026-11-23 14:05");
            assert_eq!(zone_label(), "UTC");
            assert_eq!(label(Some("Etc/UTC"), 0), "UTC");
            assert_eq!(label(Some("Asia/Kolkata"), 330), "Asia/Kolkata, UTC+05:30");
            assert_eq!(label(None, -210), "UTC-03:30");
            provide_context(ViewerZone(
                jiff::tz::TimeZone::get("Europe/Paris").expect("the bundled zone database"),
            ));
            // Winter (UTC+1) and summer (UTC+2) in the same zone.
            assert_eq!(local_time("2026-11-23T14:05:09Z"), "2026-11-23 15:05");
            assert_eq!(local_time("2026-07-01T23:30:00.5Z"), "2026-07-02 01:30");
            assert_eq!(
                local_input_value("2026-07-01T23:30:00Z"),
                "2026-07-02T01:30"
            );
            assert_eq!(local_time("not a time"), "not a time");
            assert!(zone_label().starts_with("Europe/Paris, UTC+0"));
            assert_eq!(offset_for("2026-07-01T12:00:00Z"), -120);
            assert_eq!(offset_for("2026-12-01T12:00:00Z"), -60);
        });
    }
}
