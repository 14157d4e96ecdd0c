use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Redirects: on the server with a real `302 Found` (leptos_axum sets only `Location`), in
/// the browser through the router.
#[component]
pub fn RedirectTo(path: &'static str) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::FOUND);
    }
    view! { <Redirect path=path/> }
}
