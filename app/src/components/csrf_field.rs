use leptos::prelude::*;

use crate::types::CurrentUser;

/// The hidden CSRF field every console form carries: the session's token, read from the
/// signed-in user the console shell provides as context, so no component threads it
/// through its props. Outside the console (no user) the field is empty and the server
/// refuses the form.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = use_context::<CurrentUser>()
        .map(|u| u.csrf)
        .unwrap_or_default();
    view! { <input type="hidden" name="csrf" value=token/> }
}
