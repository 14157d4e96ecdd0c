use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{CopyButton, CsrfField, LocalTime, StatusBadge};
use crate::server_fns::secrets::{list_secrets, RevokeSecret};
use crate::types::{SecretRowView, SecretsPageView};

/// Secrets: send a password, note, API secret or file end-to-end encrypted (this browser
/// encrypts it; Liaison stores ciphertext it cannot read), and see every secret of the
/// organisation with its views and state; revoke one to delete it at once.
#[component]
pub fn SecretsPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeSecret>::new();
    let (created, set_created) = signal(0u32);
    // Above the list, which reloads once a secret is made: what was made stays shown.
    let (made, set_made) = signal(None::<Made>);
    let page = Resource::new(
        move || (revoke.version().get(), created.get()),
        |_| list_secrets(),
    );
    let revoke_error = move || revoke.value().get().and_then(Result::err);
    view! {
        <Title text="Secrets · Liaison"/>
        <h1>"Secrets"</h1>
        <p class="muted">"Send a password, a note, an API secret or a file that only its recipient can read. Your browser encrypts it before it leaves; Liaison keeps only ciphertext, deletes it after the last view, at expiry or when you revoke it, and records every view."</p>
        {move || made.get().map(|m| view! { <MadeSecret made=m/> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <p class="error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(v) => view! { <SecretsBody v revoke set_created set_made/> }.into_any(),
                }
            })}
        </Transition>
        {move || revoke_error().map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
    }
}

#[component]
fn SecretsBody(
    v: SecretsPageView,
    revoke: ServerAction<RevokeSecret>,
    set_created: WriteSignal<u32>,
    set_made: WriteSignal<Option<Made>>,
) -> impl IntoView {
    let SecretsPageView {
        secrets,
        may_create,
        max_lifetime_hours,
        code_required_from,
        markings,
        allow_anyone,
        allow_email,
    } = v;
    view! {
        {may_create.then(|| view! {
            <super::secret_form::SecretForm max_lifetime_hours code_required_from markings allow_anyone allow_email set_created set_made/>
        })}
        <h2>"Sent secrets"</h2>
        {use_context::<crate::types::CurrentUser>().filter(|u| u.pages.audit).map(|_| view! {
            <p class="muted small">"Every creation, view, failed attempt, revocation and expiry is in the "
                <a href="/console/audit?event_type=secrets" data-testid="secrets-audit">"audit log"</a>"."</p>
        })}
        {if secrets.is_empty() {
            view! { <p class="empty">"No secrets sent yet."</p> }.into_any()
        } else {
            view! {
                <table class="stacked" data-testid="secrets-table">
                    <thead><tr>
                        <th scope="col">"Secret"</th><th scope="col">"Marking"</th><th scope="col">"Delivery"</th>
                        <th scope="col">"Views"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th>
                        <th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>{secrets.into_iter().map(|s| view! { <SecretRow s revoke/> }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
    }
}

#[component]
fn SecretRow(s: SecretRowView, revoke: ServerAction<RevokeSecret>) -> impl IntoView {
    let delivery = match &s.recipient {
        Some(to) => format!("{} · mailed to {to}", s.delivery),
        None => s.delivery.clone(),
    };
    view! {
        <tr data-testid="secret-row" data-label-text=s.label.clone() data-state=s.state.clone()>
            <td data-label="Secret"><strong>{s.label.clone()}</strong><br/><span class="muted small">{format!("{} · by {}", s.kind, s.created_by)}</span></td>
            <td data-label="Marking">{s.tlp.clone()}</td>
            <td data-label="Delivery">{delivery}</td>
            <td data-label="Views" data-testid="secret-row-views">{format!("{} of {}", s.views, s.max_views)}</td>
            <td data-label="Created"><LocalTime at=s.created_at.clone()/></td>
            <td data-label="Expires"><LocalTime at=s.expires_at.clone()/></td>
            <td data-label="Status"><StatusBadge status=s.state.clone()/></td>
            <td>
                {s.may_revoke.then(|| view! {
                    <ActionForm action=revoke attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="id" value=s.id.clone()/>
                        <button type="submit" class="btn btn-danger-outline" data-testid="revoke-secret">"Revoke"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

/// What the create form made: the link (with the key, for link-key delivery) and the code.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Made {
    pub link: String,
    pub code: Option<String>,
    pub mailed_to: Option<String>,
}

/// The link and code of a secret just created, shown this once.
#[component]
pub(super) fn MadeSecret(made: Made) -> impl IntoView {
    let Made {
        link,
        code,
        mailed_to,
    } = made;
    view! {
        <section class="created" role="status" data-testid="secret-created">
            <h2>"Secret created"</h2>
            <p>"Copy what you need now: Liaison cannot show the link or the code again, and cannot read the secret."</p>
            {match &mailed_to {
                Some(to) => view! { <p data-testid="secret-mailed">{format!("Liaison has queued a mail with the link to {to}.")}</p> }.into_any(),
                None => view! {
                    <p class="label">"Link"</p>
                    <div class="secret">
                        <code data-testid="secret-link">{link.clone()}</code>
                        <CopyButton text=link.clone() label="Copy link" testid="copy-secret-link"/>
                    </div>
                }.into_any(),
            }}
            {code.map(|code| view! {
                <p class="label">"Access code"</p>
                <div class="secret">
                    <code data-testid="secret-code">{code.clone()}</code>
                    <CopyButton text=code label="Copy code" testid="copy-secret-code"/>
                </div>
                <p class="notice-warn">"Send the code by a different channel from the link — read it out by phone, or send it by text message — so that one intercepted message is not enough."</p>
            })}
        </section>
    }
}
