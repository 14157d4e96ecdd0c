use leptos::prelude::*;

use crate::components::GuestFrame;
use crate::server_fns::portal::{load_home, OpenFromHome, SignOutGuest};
use crate::types::{short_time, HomeShareView, HomeView};

/// `/portal/home`: "Shared with you" — every share of the guest's that stands now — and
/// signing out, here or everywhere.
#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| load_home());
    view! {
        <Suspense fallback=|| view! { <main class="portal"><p class="loading">"Loading…"</p></main> }>
            {move || Suspend::new(async move {
                match home.await {
                    Err(e) => view! { <main class="portal"><p class="error">{crate::error_text(&e)}</p></main> }.into_any(),
                    Ok(HomeView::Closed { brand }) => view! {
                        <GuestFrame brand title="Shared with you"><main class="guest-card">
                            <h1 data-testid="portal-closed">"Open the link you were sent to see what is shared with you."</h1>
                        </main></GuestFrame>
                    }.into_any(),
                    Ok(HomeView::Open { brand, recipient_name, recipient_email, proven, shares }) => view! {
                        <GuestFrame brand title="Shared with you"><main class="portal">
                            <header class="portal-head">
                                <h1>"Shared with you"</h1>
                                <span class="muted who-guest">{format!("{recipient_name} · {recipient_email}")}</span>
                            </header>
                            {(!proven).then(|| view! {
                                <p class="notice" data-testid="home-unproven">"This link does not say who you are, so only what it shares is listed here."</p>
                            })}
                            <HomeTable shares/>
                            <SignOut proven/>
                        </main></GuestFrame>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HomeTable(shares: Vec<HomeShareView>) -> impl IntoView {
    let open = ServerAction::<OpenFromHome>::new();
    if shares.is_empty() {
        return view! { <p class="muted" data-testid="home-empty">"Nothing is shared with you now."</p> }.into_any();
    }
    view! {
        <table class="home" data-testid="home-shares">
            <caption class="sr-only">"Shares you can open now"</caption>
            <thead><tr><th scope="col">"Shared"</th><th scope="col">"Marking"</th><th scope="col">"Expires"</th><th scope="col">"Asked of you"</th><th scope="col"><span class="sr-only">"Open"</span></th></tr></thead>
            <tbody>
                {shares.into_iter().map(|s| {
                    let asked = match (s.acknowledge, s.respond) {
                        (true, true) => "Acknowledge, then respond",
                        (true, false) => "Acknowledge",
                        (false, true) => "Respond",
                        (false, false) => "Review",
                    };
                    view! {
                        <tr data-testid="home-share">
                            <td data-label="Shared"><span>{s.title.clone()}{s.current.then(|| view! { <span class="muted small">" (open now)"</span> })}</span></td>
                            <td data-label="Marking"><span class="tlp">{s.tlp}</span></td>
                            <td data-label="Expires">{s.expires_at.as_deref().map(short_time).unwrap_or_else(|| "No expiry".into())}</td>
                            <td data-label="Asked of you">{asked}</td>
                            <td>
                                {if s.current {
                                    view! { <a class="btn" href="/portal">"View"</a> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=open attr:class="inline">
                                            <input type="hidden" name="share_id" value=s.share_id/>
                                            <button type="submit" class="btn" data-testid="home-open">"Open"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn SignOut(proven: bool) -> impl IntoView {
    let sign_out = ServerAction::<SignOutGuest>::new();
    view! {
        <section class="sign-out" aria-label="Sign out">
            <ActionForm action=sign_out attr:class="inline">
                <button type="submit" class="btn" data-testid="guest-sign-out">"Sign out"</button>
            </ActionForm>
            {proven.then(|| view! {
                <ActionForm action=sign_out attr:class="inline">
                    <input type="hidden" name="everywhere" value="1"/>
                    <button type="submit" class="btn btn-danger-outline" data-testid="guest-sign-out-everywhere">"Sign out everywhere"</button>
                </ActionForm>
                <p class="muted small">"“Sign out everywhere” ends your sessions in every browser and device; open a link again to come back."</p>
            })}
        </section>
    }
}
