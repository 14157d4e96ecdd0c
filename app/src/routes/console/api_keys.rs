use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{
    invalid, local_time, CopyButton, CsrfField, FieldError, LocalTime, StatusBadge,
};
use crate::server_fns::keys::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::types::{ApiKeyRowView, ApiKeysView};

/// API keys: create one (name, scope, expiry; the secret shown once), see each key's
/// prefix, owner, scope and last use, revoke. Everyone manages their own keys;
/// administrators see and revoke everyone's.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let create_error = Signal::derive(move || create.value().get().and_then(Result::err));
    let revoke_error = move || revoke.value().get().and_then(Result::err);
    view! {
        <Title text="API keys · Liaison"/>
        <h1>"API keys"</h1>
        <p class="muted">"A key acts as the person who created it, with their role, for the REST API: "<code>"Authorization: Bearer lsn_…"</code>". A read key changes nothing. Every use is recorded with its time and address."</p>
        <p class="muted">"Every endpoint, its inputs and its answers: the "<a href="/api/v1/reference" rel="external" data-testid="api-reference">"API reference"</a>" (and the same as OpenAPI 3.1: "<a href="/api/v1/openapi.json" rel="external">"openapi.json"</a>")."</p>
        {move || create.value().get().and_then(|r| r.ok()).map(|k| view! {
            <section class="created" role="status" data-testid="key-created">
                <h2>{format!("Key \u{201c}{}\u{201d} created", k.name)}</h2>
                <p>"Copy it now: it is shown only this once and stored only as a hash."</p>
                <div class="secret">
                    <code data-testid="key-secret">{k.secret.clone()}</code>
                    <CopyButton text=k.secret label="Copy key" testid="copy-key"/>
                </div>
            </section>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Err(e) => view! { <p class="error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(v) => view! { <KeysBody v create create_error revoke/> }.into_any(),
                }
            })}
        </Transition>
        {move || revoke_error().map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
    }
}

#[component]
fn KeysBody(
    v: ApiKeysView,
    create: ServerAction<CreateApiKey>,
    create_error: Signal<Option<crate::error::AppError>>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    let ApiKeysView {
        keys,
        may_write,
        everyone,
    } = v;
    view! {
        <section class="panel">
            <h2>"Create a key"</h2>
            <ActionForm action=create>
                <CsrfField/>
                <label>"Name"
                    <input type="text" name="name" required maxlength="100" placeholder="CRM sync"
                        aria-invalid=invalid(create_error, &["name"])
                        aria-describedby="key-name-error" data-testid="key-name"/>
                    <FieldError error=create_error fields=&["name"] id="key-name-error"/>
                </label>
                <fieldset class="choices">
                    <legend>"Scope"</legend>
                    <label class="check">
                        <input type="radio" name="scope" value="read" checked=!may_write data-testid="key-scope-read"/>
                        <span><strong>"Read"</strong>" — lists and reads; changes nothing"</span>
                    </label>
                    {may_write.then(|| view! {
                        <label class="check">
                            <input type="radio" name="scope" value="admin" checked=true data-testid="key-scope-admin"/>
                            <span><strong>"Admin"</strong>" — everything your role may do"</span>
                        </label>
                    })}
                    <FieldError error=create_error fields=&["scope"] id="key-scope-error"/>
                </fieldset>
                <label>"Expires"
                    <select name="expires_in_days" aria-invalid=invalid(create_error, &["expires_in_days"])
                        aria-describedby="key-expiry-error" data-testid="key-expiry">
                        <option value="7">"In 7 days"</option>
                        <option value="30">"In 30 days"</option>
                        <option value="90" selected=true>"In 90 days"</option>
                        <option value="365">"In a year"</option>
                        {everyone.then(|| view! { <option value="">"Never"</option> })}
                    </select>
                    <FieldError error=create_error fields=&["expires_in_days"] id="key-expiry-error"/>
                </label>
                <button type="submit" class="btn btn-primary" data-testid="create-key">"Create key"</button>
            </ActionForm>
        </section>
        {if keys.is_empty() {
            view! { <p class="empty">"No API keys yet."</p> }.into_any()
        } else {
            view! {
                <table class="stacked" data-testid="keys-table">
                    <thead><tr>
                        <th scope="col">"Key"</th>
                        {everyone.then(|| view! { <th scope="col">"Owner"</th> })}
                        <th scope="col">"Scope"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>{keys.into_iter().map(|k| view! { <KeyRow k everyone revoke/> }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
    }
}

#[component]
fn KeyRow(k: ApiKeyRowView, everyone: bool, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let last_used = match (&k.last_used_at, &k.last_used_ip) {
        (Some(at), Some(ip)) => format!("{} from {ip}", local_time(at)),
        (Some(at), None) => local_time(at),
        _ => "Never".into(),
    };
    let active = k.status == "active";
    view! {
        <tr data-testid="key-row" data-name=k.name.clone()>
            <td data-label="Key"><strong>{k.name.clone()}</strong><br/><code>{format!("{}…", k.prefix)}</code></td>
            {everyone.then(|| view! { <td data-label="Owner">{k.owner.clone()}</td> })}
            <td data-label="Scope">{if k.scope == "read" { "Read" } else { "Admin" }}</td>
            <td data-label="Created"><LocalTime at=k.created_at.clone()/></td>
            <td data-label="Expires">{k.expires_at.as_deref().map(local_time).unwrap_or_else(|| "Never".into())}</td>
            <td data-label="Last used" data-testid="key-last-used">{last_used}</td>
            <td data-label="Status"><StatusBadge status=k.status.clone()/></td>
            <td>
                {active.then(|| view! {
                    <ActionForm action=revoke attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="id" value=k.id.clone()/>
                        <button type="submit" class="btn btn-danger-outline" data-testid="revoke-key">"Revoke"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
