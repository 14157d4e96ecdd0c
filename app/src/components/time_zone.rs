//! The browser's time zone, for forms that take a local date and time: what its offset is
//! (as JavaScript's `getTimezoneOffset()` gives it) and how to name it.

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

/// The browser's offset from UTC as `getTimezoneOffset()` gives it, and a label such as
/// "Europe/Paris, UTC+01:00". `None` before hydration (on the server).
pub fn browser_time_zone() -> Option<(i32, String)> {
    #[cfg(feature = "hydrate")]
    {
        let offset = js_sys::Date::new_0().get_timezone_offset() as i32;
        let east = -offset;
        let sign = if east < 0 { '-' } else { '+' };
        let utc = format!("UTC{sign}{:02}:{:02}", east.abs() / 60, east.abs() % 60);
        let zone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
            .resolved_options();
        let name = js_sys::Reflect::get(&zone, &"timeZone".into())
            .ok()
            .and_then(|v| v.as_string());
        Some((offset, name.map_or(utc.clone(), |n| format!("{n}, {utc}"))))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}
