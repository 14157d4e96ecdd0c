use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::components::{zone_label_signal, CsrfField, RedirectTo};

use crate::server_fns::auth::{get_current_user, SignOut};
use crate::types::CurrentUser;

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) => view! { <Shell user=u sign_out/> }.into_any(),
                    Ok(None) => view! { <RedirectTo path="/login"/> }.into_any(),
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Shell(user: CurrentUser, sign_out: ServerAction<SignOut>) -> impl IntoView {
    let who = format!("{} · {}", user.email, user.role);
    let pages = user.pages;
    provide_context(user);
    // The server renders the zone the browser last told it; the browser corrects it if
    // that has changed since (see `components::time_zone`).
    let zone = zone_label_signal();
    // The console's live channel, once a page follows something (`live::hold_console`),
    // ends with the console.
    on_cleanup(crate::live::release);
    view! {
        <header class="topbar">
            <A href="/console" attr:class="brand">"Liaison"</A>
            <nav>
                <A href="/console" exact=true>"Active shares"</A>
                <A href="/console/shares/new">"Share"</A>
                <A href="/console/documents">"Documents"</A>
                <A href="/console/records">"Records"</A>
                <A href="/console/secrets">"Secrets"</A>
                <A href="/console/reviews">"Reviews"</A>
                <A href="/console/renewals">"Renewals"</A>
                <A href="/console/intelligence">"Intelligence"</A>
                {pages.audit.then(|| view! { <A href="/console/audit">"Audit log"</A> })}
                {pages.outbox.then(|| view! { <A href="/console/outbox">"Outbox"</A> })}
                <A href="/console/portals">"Portals"</A>
                {pages.partners.then(|| view! { <A href="/console/partners">"Partners"</A> })}
                {pages.users.then(|| view! { <A href="/console/users">"Users"</A> })}
                <A href="/console/keys">"API keys"</A>
                <A href="/console/settings">"Settings"</A>
            </nav>
            <div class="who">
                <span class="muted">{who}</span>
                <ActionForm action=sign_out attr:class="inline">
                    <CsrfField/>
                    <button type="submit" class="btn btn-link">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
        <main class="console">
            <Outlet/>
        </main>
        <footer class="console-foot">
            <p class="muted small" data-testid="time-zone">{move || format!("Times are shown in {}.", zone.get())}</p>
        </footer>
    }
}
