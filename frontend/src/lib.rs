//! The wasm entry point: hydrate the server-rendered page, nothing else. Built once per app
//! (`app::Bundle`): as is for the console, with the `landing` feature for a link's landing
//! page, `secret` for a secret's page, `portal` for the guest's content and home. Link-time optimisation drops what
//! the entry point does not reach, so each bundle holds its own app's code only.
// Leptos view types of the console tables nest deeply; the wasm build needs more room.
#![recursion_limit = "256"]
#![forbid(unsafe_code)]

use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(any(
    all(feature = "landing", feature = "portal"),
    all(feature = "landing", feature = "secret"),
    all(feature = "portal", feature = "secret"),
))]
compile_error!("build one bundle at a time: `landing`, `secret` or `portal`");

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    #[cfg(not(any(feature = "landing", feature = "portal", feature = "secret")))]
    leptos::mount::hydrate_body(app::ConsoleApp);
    #[cfg(any(feature = "landing", feature = "portal", feature = "secret"))]
    {
        // The guest's pages are split between two bundles: a server function's redirect
        // (the landing page's "continue", the home's "view") loads the next page in full,
        // with its own bundle, rather than drawing it with a router that does not know it.
        // Set before the router's own hook, which then stays unset.
        let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
            let _ = leptos::prelude::window().location().set_href(to);
        });
        #[cfg(feature = "landing")]
        leptos::mount::hydrate_body(app::LandingApp);
        #[cfg(feature = "portal")]
        leptos::mount::hydrate_body(app::PortalApp);
        #[cfg(feature = "secret")]
        leptos::mount::hydrate_body(app::SecretApp);
    }
}
