use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::auth::SignIn;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::error_text(&e))
    };
    view! {
        <Title text="Sign in · Liaison"/>
        <main class="auth-card">
            <h1 class="brand">"Liaison"</h1>
            <p class="muted">"Secure external sharing"</p>
            <ActionForm action=action>
                <label>"Email" <input type="email" name="email" required autocomplete="username" autofocus/></label>
                <label>"Password" <input type="password" name="password" required autocomplete="current-password"/></label>
                <button type="submit" class="btn btn-primary">"Sign in"</button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </main>
    }
}
