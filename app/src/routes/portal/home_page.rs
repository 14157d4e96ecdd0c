use leptos::prelude::*;

use crate::components::{local_time, FieldError, GuestFrame};
use crate::server_fns::portal::{load_home, AddMemberAsManager, OpenFromHome, SignOutGuest};
use crate::types::{HomeGroupView, HomeShareView, HomeView, ManagerView};

/// `/portal/home`: "Shared with you" — every share of the guest's that stands now, by the
/// portal's sections — signing out, here or everywhere, and for a portal's manager the
/// members they added and a form to add more.
#[component]
pub fn HomePage() -> impl IntoView {
    let add = ServerAction::<AddMemberAsManager>::new();
    let home = Resource::new(move || add.version().get(), |_| load_home());
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
                    Ok(HomeView::Open { brand, recipient_name, recipient_email, proven, groups, manager }) => view! {
                        <GuestFrame brand title="Shared with you"><main class="portal">
                            <header class="portal-head">
                                <h1>"Shared with you"</h1>
                                <span class="muted who-guest">{format!("{recipient_name} · {recipient_email}")}</span>
                            </header>
                            {(!proven).then(|| view! {
                                <p class="notice" data-testid="home-unproven">"This link does not say who you are, so only what it shares is listed here."</p>
                            })}
                            <Groups groups/>
                            {manager.map(|m| view! { <Members manager=m add/> })}
                            <SignOut proven/>
                        </main></GuestFrame>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The shares, under their sections' headings once the portal has sections.
#[component]
fn Groups(groups: Vec<HomeGroupView>) -> impl IntoView {
    let open = ServerAction::<OpenFromHome>::new();
    if groups.is_empty() {
        return view! { <p class="muted" data-testid="home-empty">"Nothing is shared with you now."</p> }.into_any();
    }
    if let [only] = groups.as_slice() {
        if only.section.is_none() {
            return view! { <HomeTable shares=only.shares.clone() open/> }.into_any();
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let name = g.section.unwrap_or_else(|| "Other shares".into());
            let attr = name.clone();
            view! {
                <section class="home-section" data-testid="home-section" data-section=attr>
                    <h2>{name}</h2>
                    <HomeTable shares=g.shares open/>
                </section>
            }
        })
        .collect_view()
        .into_any()
}

#[component]
fn HomeTable(shares: Vec<HomeShareView>, open: ServerAction<OpenFromHome>) -> impl IntoView {
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
                            <td data-label="Expires">{s.expires_at.as_deref().map(local_time).unwrap_or_else(|| "No expiry".into())}</td>
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
}

const MEMBER_FIELDS: &[&str] = &["name"];
const EMAIL_FIELDS: &[&str] = &["email"];

/// A manager's members: whom they added, and adding another.
#[component]
fn Members(manager: ManagerView, add: ServerAction<AddMemberAsManager>) -> impl IntoView {
    let error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let other_error = move || {
        error
            .get()
            .filter(|e| !matches!(e.field.as_deref(), Some("name" | "email")))
            .map(|e| crate::error_text(&e))
    };
    let added = move || matches!(add.value().get(), Some(Ok(())));
    let domains = manager.domains.join(", ");
    view! {
        <section class="panel home-members" aria-labelledby="home-members-h" data-testid="home-members">
            <h2 id="home-members-h">"Members you added"</h2>
            {if manager.added.is_empty() {
                view! { <p class="muted">"You have not added anyone yet."</p> }.into_any()
            } else {
                view! {
                    <table class="home">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Added"</th><th scope="col">"Until"</th></tr></thead>
                        <tbody>{manager.added.into_iter().map(|m| view! {
                            <tr data-testid="home-member">
                                <td data-label="Name">{m.name}</td>
                                <td data-label="Email">{m.email}</td>
                                <td data-label="Added">"By you"</td>
                                <td data-label="Until">{m.expires_on.unwrap_or_else(|| "No end date".into())}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            {if manager.domains.is_empty() {
                view! { <p class="muted" data-testid="home-members-closed">"This portal does not let its managers add members; ask its administrators."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=add>
                        <p class="muted small">{format!("You may add colleagues with an address at {domains}. They see only what is shared with them, and their membership ends when yours does.")}</p>
                        <label>"Name"
                            <input type="text" name="name" required maxlength="200" autocomplete="off" data-testid="home-member-name" aria-describedby="home-member-name-error"/>
                            <FieldError error fields=MEMBER_FIELDS id="home-member-name-error"/>
                        </label>
                        <label>"Email"
                            <input type="email" name="email" required autocomplete="off" data-testid="home-member-email" aria-describedby="home-member-email-error"/>
                            <FieldError error fields=EMAIL_FIELDS id="home-member-email-error"/>
                        </label>
                        {move || other_error().map(|e| view! { <p class="error" role="alert" data-testid="home-member-error">{e}</p> })}
                        {move || added().then(|| view! { <p class="notice" role="status" data-testid="home-member-added">"Member added; they have been told by email."</p> })}
                        <button type="submit" class="btn btn-primary" data-testid="home-member-add">"Add member"</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>
    }
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
