use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::{local_time, CopyButton, GuestFrame};
use crate::server_fns::secrets::secret_overview;
use crate::types::{SecretPageState, SecretPageView, SecretReadyView};

/// `/secret/{token}`: what was sent and how many views are left; the reveal, decrypted in
/// this browser; or why the secret is gone. Loading the page takes no view: only "Reveal"
/// does, once the browser has proven the key or the code.
#[component]
pub fn SecretPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let page = Resource::new(token, secret_overview);
    view! {
        <Suspense fallback=|| view! { <main class="guest-card"><p class="loading">"Loading…"</p></main> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <main class="guest-card"><p class="error">{crate::error_text(&e)}</p></main> }.into_any(),
                    Ok(SecretPageView { brand, state: SecretPageState::Gone { code, message } }) => view! {
                        <GuestFrame brand title="Secret"><main class="guest-card">
                            <h1 data-testid="secret-gone" data-code=code>{message}</h1>
                            <p class="muted">"If you still need it, ask the person who sent it to send it again."</p>
                        </main></GuestFrame>
                    }.into_any(),
                    Ok(SecretPageView { brand, state: SecretPageState::Ready(ready) }) => view! {
                        <GuestFrame brand title="Secret"><main class="guest-card">
                            <Reveal token=token() ready/>
                        </main></GuestFrame>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What a reveal ended in (made in the browser only).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Shown {
    Text(String),
    File { name: String, bytes: usize },
}

/// The reveal form and what it shows. Its handlers act in the browser only; the server
/// renders the form as it stands before the reveal.
#[component]
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn Reveal(token: String, ready: SecretReadyView) -> impl IntoView {
    let SecretReadyView {
        organisation,
        kind,
        kind_label,
        tlp,
        access_code,
        salt,
        views_left,
        max_views,
        expires_at,
    } = ready;
    let (hydrated, set_hydrated) = signal(false);
    // The link's key, taken out of the address bar (and so out of the tab's history) as
    // soon as the page runs; kept in memory for the reveal.
    let key = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            key.set_value(crate::secret_client::fragment());
            crate::secret_client::forget_fragment();
        }
        set_hydrated.set(true);
    });
    let (code, set_code) = signal(String::new());
    let (busy, set_busy) = signal(None::<&'static str>);
    let (failed, set_failed) = signal(None::<String>);
    let (gone, set_gone) = signal(None::<String>);
    let (shown, set_shown) = signal(None::<Shown>);
    let (left, set_left) = signal(views_left);
    let (masked, set_masked) = signal(true);
    let file_bytes = StoredValue::new(None::<(String, Vec<u8>)>);
    let secret = StoredValue::new((token, salt, kind.clone()));
    let reveal = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        set_failed.set(None);
        #[cfg(feature = "hydrate")]
        {
            let (token, salt, kind) = secret.get_value();
            let typed = code.get_untracked();
            leptos::task::spawn_local(async move {
                let link_key = key.get_value();
                let outcome = browser::reveal(
                    &token,
                    salt.as_deref(),
                    link_key.as_deref(),
                    &typed,
                    set_busy,
                )
                .await;
                set_busy.set(None);
                match outcome {
                    Ok(browser::Revealed {
                        name,
                        content,
                        views_left,
                    }) => {
                        set_left.set(views_left);
                        if kind == "file" {
                            set_shown.set(Some(Shown::File {
                                name: name.clone(),
                                bytes: content.len(),
                            }));
                            let _ = crate::secret_client::offer_download(&name, &content);
                            file_bytes.set_value(Some((name, content)));
                        } else {
                            set_shown.set(Some(Shown::Text(
                                String::from_utf8_lossy(&content).into_owned(),
                            )));
                        }
                    }
                    Err(browser::Refused::Gone(message)) => set_gone.set(Some(message)),
                    Err(browser::Refused::Retry(message)) => set_failed.set(Some(message)),
                }
            });
        }
    };
    let download_again = move |_| {
        #[cfg(feature = "hydrate")]
        file_bytes.with_value(|f| {
            if let Some((name, bytes)) = f {
                let _ = crate::secret_client::offer_download(name, bytes);
            }
        });
    };
    let last_view = views_left == 1;
    let what = kind_label.clone();
    let button = match kind.as_str() {
        "file" => "Reveal and download the file",
        "password" => "Reveal the password",
        "api_secret" => "Reveal the API secret",
        _ => "Reveal the note",
    };
    let kind_shown = kind.clone();
    view! {
        {(!tlp.is_empty()).then(|| view! { <p class="tlp" data-testid="tlp">{tlp.clone()}</p> })}
        <p class="muted">{format!("Sent by {organisation}")}</p>
        <h1>{format!("Someone sent you {what}")}</h1>
        <p>"It is end-to-end encrypted: it is decrypted here, in your browser. Not even Liaison can read it."</p>
        <dl class="facts" data-testid="secret-limits">
            <dt>"Views left"</dt>
            <dd data-testid="views-left">{move || format!("{} of {max_views}", left.get())}</dd>
            <dt>"Available until"</dt>
            <dd>{local_time(&expires_at)}</dd>
        </dl>
        <noscript>
            <p class="notice-warn" data-testid="needs-script">
                "This secret is decrypted in your browser, so this page needs JavaScript. Allow scripts for this site and reload the page: nothing has been used up."
            </p>
        </noscript>
        {move || gone.get().map(|message| view! {
            <p class="error" role="alert" data-testid="secret-gone">{message}</p>
        })}
        {move || match shown.get() {
            None if gone.get().is_none() => view! {
                <form class="reveal" on:submit=reveal data-testid="reveal-form">
                    {access_code.then(|| view! {
                        <label for="secret-code">"Access code"</label>
                        <p class="hint" id="secret-code-hint">"The sender gives you this code separately from the link, for example by phone."</p>
                        <input id="secret-code" type="text" autocomplete="off" spellcheck="false" required
                            aria-describedby="secret-code-hint" data-testid="access-code"
                            prop:value=move || code.get()
                            on:input=move |ev| set_code.set(event_target_value(&ev))/>
                    })}
                    {last_view.then(|| view! {
                        <p class="notice-warn" data-testid="last-view">"This is the last view. Once revealed, the secret is deleted from Liaison: keep this page open until you have saved it."</p>
                    })}
                    <button type="submit" class="btn btn-primary" data-testid="reveal"
                        disabled=move || !hydrated.get() || busy.get().is_some()>{button}</button>
                    {move || busy.get().map(|b| view! { <p class="loading" role="status">{b}</p> })}
                    {move || failed.get().map(|m| view! { <p class="error" role="alert" data-testid="reveal-error">{m}</p> })}
                </form>
            }.into_any(),
            None => ().into_any(),
            Some(Shown::Text(text)) => {
                let copy = text.clone();
                match kind_shown.as_str() {
                    "password" => view! {
                        <div class="secret-value" data-testid="revealed">
                            <label for="secret-password">"Password"</label>
                            <input id="secret-password" class="mono" readonly data-testid="secret-password"
                                type=move || if masked.get() { "password" } else { "text" } prop:value=text.clone()/>
                            <div class="actions">
                                <button type="button" class="btn" on:click=move |_| set_masked.update(|m| *m = !*m)
                                    data-testid="toggle-mask">{move || if masked.get() { "Show" } else { "Hide" }}</button>
                                <CopyButton text=copy label="Copy password" testid="copy-secret"/>
                            </div>
                        </div>
                    }.into_any(),
                    "api_secret" => view! {
                        <div class="secret-value" data-testid="revealed">
                            <p class="label">"API secret"</p>
                            <pre class="mono secret-box" data-testid="secret-text">{text.clone()}</pre>
                            <div class="actions"><CopyButton text=copy label="Copy API secret" testid="copy-secret"/></div>
                        </div>
                    }.into_any(),
                    _ => view! {
                        <div class="secret-value" data-testid="revealed">
                            <p class="label">"Note"</p>
                            <pre class="secret-box secret-note" data-testid="secret-text">{text.clone()}</pre>
                            <div class="actions"><CopyButton text=copy label="Copy note" testid="copy-secret"/></div>
                        </div>
                    }.into_any(),
                }
            }
            Some(Shown::File { name, bytes }) => view! {
                <div class="secret-value" data-testid="revealed">
                    <p><strong data-testid="file-name">{name}</strong>{format!(" · {}", crate::secret_client::human_size(bytes as f64))}</p>
                    <p class="muted">"Your browser saved the file. If it did not, save it again:"</p>
                    <button type="button" class="btn" on:click=download_again data-testid="download-again">"Save the file again"</button>
                </div>
            }.into_any(),
        }}
        {move || (shown.get().is_some() && left.get() == 0).then(|| view! {
            <p class="notice-warn" data-testid="burned">"That was the last view: the secret is now deleted from Liaison. Save it before you leave this page."</p>
        })}
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;

    use crate::secret_client::{self as client, b64url, from_b64url, open_envelope};

    pub struct Revealed {
        pub name: String,
        pub content: Vec<u8>,
        pub views_left: i64,
    }

    pub enum Refused {
        /// The secret is gone for good; the page says so instead of the form.
        Gone(String),
        /// Something the recipient can fix or retry (a wrong code, the network).
        Retry(String),
    }

    /// Proves the key or the code, takes one view, decrypts.
    pub async fn reveal(
        token: &str,
        salt: Option<&str>,
        link_key: Option<&str>,
        typed_code: &str,
        busy: WriteSignal<Option<&'static str>>,
    ) -> Result<Revealed, Refused> {
        let (key, proof) = match salt {
            Some(salt) => {
                if !client::code_is_well_formed(typed_code) {
                    return Err(Refused::Retry(
                        "An access code has 20 letters and digits, such as ABCDE-FGHJK-MNPQR-STVWX. Check the one you were given.".into(),
                    ));
                }
                let salt = from_b64url(salt)
                    .ok_or_else(|| Refused::Retry("This page is damaged: reload it.".into()))?;
                busy.set(Some("Checking the code (a few seconds)…"));
                client::derive_from_code(typed_code, &salt)
                    .await
                    .map_err(Refused::Retry)?
            }
            None => {
                let key = link_key
                    .and_then(from_b64url)
                    .filter(|k| k.len() == 32)
                    .ok_or_else(|| {
                        Refused::Retry("This link is missing its key, the part after “#”. Copy the whole link you were sent and open it again.".into())
                    })?;
                let proof = client::proof_of_key(&key).await.map_err(Refused::Retry)?;
                (key, proof)
            }
        };
        busy.set(Some("Fetching and decrypting…"));
        let body = serde_json::json!({ "token": token, "proof": b64url(&proof) }).to_string();
        let answer = client::post_json(crate::SECRET_OPEN_PATH, &body, None)
            .await
            .map_err(Refused::Retry)?;
        match answer.status {
            200 => {}
            404 | 410 => return Err(Refused::Gone(answer.error_message())),
            _ => return Err(Refused::Retry(answer.error_message())),
        }
        let views_left = answer.views_left.unwrap_or(0);
        if answer.body.len() < 12 + 16 {
            return Err(Refused::Gone(
                "The server sent something that is not a secret.".into(),
            ));
        }
        let (nonce, ciphertext) = answer.body.split_at(12);
        let plain = client::decrypt(&key, nonce, ciphertext)
            .await
            .map_err(|_| Refused::Gone("The secret could not be decrypted: the key does not fit it. Ask the sender to send it again.".into()))?;
        let (name, content) = open_envelope(&plain).ok_or_else(|| {
            Refused::Gone("The decrypted secret is not in the expected form.".into())
        })?;
        Ok(Revealed {
            name,
            content,
            views_left,
        })
    }
}
