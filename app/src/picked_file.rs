//! A file the person picked with an `<input type="file">`, read in the browser: nothing
//! leaves it until the caller sends what it read. Browser only (`hydrate`).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The file picked in the input a `change` event came from, if there is one.
pub fn from_event(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|input| from_input(&input))
}

/// The (first) file picked in `input`, if there is one.
pub fn from_input(input: &web_sys::HtmlInputElement) -> Option<web_sys::File> {
    input.files().and_then(|files| files.get(0))
}

/// The file's bytes; the error, shown to the person, names the file.
pub async fn bytes(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| unreadable(file))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The file as text (UTF-8; a byte sequence that is not becomes U+FFFD).
pub async fn text(file: &web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| unreadable(file))
}

fn unreadable(file: &web_sys::File) -> String {
    format!(
        "The browser could not read {}: it may have been moved or changed. Choose it again.",
        file.name()
    )
}
