use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{invalid, local_time, FieldError};
use crate::server_fns::staff::{check_password_link, SetPassword};
use crate::types::PasswordLinkView;

/// `/password/{token}`: a staff member chooses their password through the one-time link
/// an invitation or a reset mailed them, and is signed in.
#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let link = Resource::new(token, check_password_link);
    let action = ServerAction::<SetPassword>::new();
    view! {
        <Title text="Choose your password · Liaison"/>
        <main class="auth-card">
            <h1 class="brand">"Liaison"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match link.await {
                        Ok(l) => view! { <PasswordForm l token=token() action/> }.into_any(),
                        Err(e) => view! {
                            <p class="error" role="alert" data-testid="link-refused">{crate::error_text(&e)}</p>
                            <p><a href="/login">"Go to sign-in"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn PasswordForm(
    l: PasswordLinkView,
    token: String,
    action: ServerAction<SetPassword>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let other = move || {
        error
            .get()
            .filter(|e| !matches!(e.field.as_deref(), Some("password" | "confirm")))
            .map(|e| crate::error_text(&e))
    };
    let intro = if l.purpose == "reset" {
        format!("Choose a new password for {}.", l.organisation)
    } else {
        format!(
            "Welcome, {}. Choose a password for {}'s console.",
            l.name, l.organisation
        )
    };
    view! {
        <p>{intro}</p>
        <p class="muted small">{format!("This link works once, until {}.", local_time(&l.expires_at))}</p>
        <ActionForm action=action>
            <input type="hidden" name="token" value=token/>
            <input type="email" name="email" value=l.email.clone() autocomplete="username" hidden readonly/>
            <label>"New password (at least 12 characters)"
                <input type="password" name="password" required minlength="12" maxlength="256"
                    autocomplete="new-password" aria-invalid=invalid(error, &["password"])
                    aria-describedby="password-error" data-testid="new-password"/>
                <FieldError error fields=&["password"] id="password-error"/>
            </label>
            <label>"The same password again"
                <input type="password" name="confirm" required minlength="12" maxlength="256"
                    autocomplete="new-password" aria-invalid=invalid(error, &["confirm"])
                    aria-describedby="confirm-error" data-testid="confirm-password"/>
                <FieldError error fields=&["confirm"] id="confirm-error"/>
            </label>
            <button type="submit" class="btn btn-primary" data-testid="set-password">"Set password and sign in"</button>
        </ActionForm>
        {move || other().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}
