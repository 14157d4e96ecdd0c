//! The wasm entry point: hydrate the server-rendered page, nothing else.
// Leptos view types of the console tables nest deeply; the wasm build needs more room.
#![recursion_limit = "256"]
#![forbid(unsafe_code)]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
