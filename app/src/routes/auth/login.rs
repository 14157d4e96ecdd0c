use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::auth::{list_staff_sign_ins, SignIn};

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let sso = Resource::new(|| (), |_| list_staff_sign_ins());
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
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let idps = sso.await.unwrap_or_default();
                    (!idps.is_empty()).then(|| view! {
                        <div class="sso">
                            <p class="muted">"Or sign in with your organisation's account"</p>
                            {idps.into_iter().map(|(id, name)| view! {
                                <a class="btn" rel="external" data-testid="staff-sso" href=format!("/auth/staff/{id}")>{name}</a>
                            }).collect_view()}
                        </div>
                    })
                })}
            </Suspense>
        </main>
    }
}
