use leptos::html;
use leptos::prelude::*;

use super::secrets::Made;

/// The form that encrypts a secret in this browser and sends only ciphertext to
/// `POST /console/secrets`. Without scripts it says it needs them (the encryption is
/// the browser's). The policy's rules are shown where they apply and checked again by
/// the server, which names the field it refuses.
#[component]
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
pub(super) fn SecretForm(
    max_lifetime_hours: u32,
    code_required_from: String,
    markings: Vec<String>,
    allow_anyone: bool,
    allow_email: bool,
    set_created: WriteSignal<u32>,
    set_made: WriteSignal<Option<Made>>,
) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let (kind, set_kind) = signal("password".to_owned());
    let (label, set_label) = signal(String::new());
    let (text, set_text) = signal(String::new());
    let default_tlp = markings
        .iter()
        .find(|m| m.as_str() == "GREEN")
        .or(markings.first())
        .cloned()
        .unwrap_or_default();
    let (tlp, set_tlp) = signal(default_tlp);
    let (lifetime, set_lifetime) = signal("60".to_owned());
    let (custom_hours, set_custom_hours) = signal("2".to_owned());
    let (views, set_views) = signal("1".to_owned());
    let (delivery, set_delivery) = signal("link_key".to_owned());
    let (email, set_email) = signal(String::new());
    let (busy, set_busy) = signal(None::<String>);
    let (failed, set_failed) = signal(None::<(String, String)>);
    let file_input = NodeRef::<html::Input>::new();
    let order = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];
    let rank = move |m: &str| order.iter().position(|o| *o == m).unwrap_or(0);
    let code_from = rank(&code_required_from);
    let needs_code = move || rank(&tlp.get()) >= code_from;
    // A marking that needs a code, or a mailed recipient, rules out the key in the link.
    Effect::new(move |_| {
        if needs_code() || !email.get().trim().is_empty() {
            set_delivery.set("access_code".into());
        }
    });
    let hours_choices: Vec<(&str, &str)> =
        [("60", "1 hour"), ("1440", "24 hours"), ("10080", "7 days")]
            .into_iter()
            .filter(|(m, _)| m.parse::<u32>().unwrap_or(0) <= max_lifetime_hours * 60)
            .collect();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        set_failed.set(None);
        set_made.set(None);
        let minutes = match lifetime.get_untracked().as_str() {
            "custom" => match custom_hours.get_untracked().trim().parse::<f64>() {
                Ok(h) if h > 0.0 => (h * 60.0).round() as i64,
                _ => {
                    set_failed.set(Some((
                        "expires_in_minutes".into(),
                        "Give the lifetime in hours, such as 2 or 0.5.".into(),
                    )));
                    return;
                }
            },
            m => m.parse().unwrap_or(60),
        };
        let Ok(max_views) = views.get_untracked().trim().parse::<i64>() else {
            set_failed.set(Some((
                "max_views".into(),
                "Views is a whole number: 1 means view once.".into(),
            )));
            return;
        };
        let form = Draft {
            kind: kind.get_untracked(),
            label: label.get_untracked(),
            text: text.get_untracked(),
            tlp: tlp.get_untracked(),
            delivery: delivery.get_untracked(),
            email: email.get_untracked(),
            minutes,
            max_views,
        };
        #[cfg(feature = "hydrate")]
        {
            let csrf = use_context::<crate::types::CurrentUser>()
                .map(|u| u.csrf)
                .unwrap_or_default();
            let file = file_input
                .get_untracked()
                .and_then(|i| crate::picked_file::from_input(&i));
            leptos::task::spawn_local(async move {
                match browser::create(form, file, csrf, set_busy).await {
                    Ok(m) => {
                        set_made.set(Some(m));
                        set_text.set(String::new());
                        set_label.set(String::new());
                        set_created.update(|n| *n += 1);
                    }
                    Err(e) => set_failed.set(Some(e)),
                }
                set_busy.set(None);
            });
        }
    };
    let error_for = move |field: &'static str| {
        move || {
            failed
                .get()
                .filter(|(f, _)| f == field)
                .map(|(_, m)| view! { <p class="field-error" role="alert">{m}</p> })
        }
    };
    let other_error = move || {
        failed
            .get()
            .filter(|(f, _)| !FIELDS.contains(&f.as_str()))
            .map(
                |(_, m)| view! { <p class="error" role="alert" data-testid="secret-error">{m}</p> },
            )
    };
    let kinds = [
        ("password", "Password"),
        ("note", "Note"),
        ("api_secret", "API secret"),
        ("file", "File (up to 10 MB)"),
    ];
    let what = view! {
        <fieldset class="choices">
            <legend>"What to send"</legend>
            {kinds.into_iter().map(|(value, text)| view! {
                <label class="check">
                    <input type="radio" name="kind" value=value checked=value == "password"
                        on:change=move |_| set_kind.set(value.to_owned()) data-testid=format!("kind-{value}")/>
                    <span>{text}</span>
                </label>
            }).collect_view()}
        </fieldset>
        {move || match kind.get().as_str() {
            "file" => view! {
                <label>"File"
                    <input type="file" node_ref=file_input required data-testid="secret-file"/>
                </label>
            }.into_any(),
            "password" => view! {
                <label>"Password"
                    <input type="password" autocomplete="new-password" required data-testid="secret-content"
                        prop:value=move || text.get() on:input=move |ev| set_text.set(event_target_value(&ev))/>
                </label>
            }.into_any(),
            k => {
                let name = if k == "note" { "Note" } else { "API secret" };
                view! {
                    <label>{name}
                        <textarea rows="5" required spellcheck="false" class=if k == "note" { "" } else { "mono" } data-testid="secret-content"
                            prop:value=move || text.get() on:input=move |ev| set_text.set(event_target_value(&ev))></textarea>
                    </label>
                }.into_any()
            }
        }}
        {error_for("ciphertext")}
        <label>"Label"
            <span class="hint">"For your organisation's list and audit log only; the recipient does not see it and it is not encrypted, so do not put the secret here."</span>
            <input type="text" required maxlength="200" placeholder="Wi-Fi for the audit team" data-testid="secret-label"
                prop:value=move || label.get() on:input=move |ev| set_label.set(event_target_value(&ev))/>
        </label>
        {error_for("label")}
    }
    .into_any();
    let terms = view! {
        <label>"Marking"
            <select data-testid="secret-tlp" on:change=move |ev| set_tlp.set(event_target_value(&ev))>
                {markings.iter().map(|m| {
                    let m = m.clone();
                    view! { <option value=m.clone() selected=m == tlp.get_untracked()>{format!("TLP:{m}")}</option> }
                }).collect_view()}
            </select>
            <span class="hint">{format!("From TLP:{code_required_from} on, the organisation's policy requires an access code.")}</span>
        </label>
        {error_for("tlp")}
        <fieldset class="choices">
            <legend>"Available for"</legend>
            {hours_choices.into_iter().map(|(value, text)| view! {
                <label class="check">
                    <input type="radio" name="lifetime" value=value checked=value == "60"
                        on:change=move |_| set_lifetime.set(value.to_owned()) data-testid=format!("lifetime-{value}")/>
                    <span>{text}</span>
                </label>
            }).collect_view()}
            <label class="check">
                <input type="radio" name="lifetime" value="custom" on:change=move |_| set_lifetime.set("custom".into()) data-testid="lifetime-custom"/>
                <span>"Another lifetime"</span>
            </label>
        </fieldset>
        <label>"Lifetime in hours"
            <span class="hint">{format!("For another lifetime: at most {max_lifetime_hours} hours, as the organisation's policy says.")}</span>
            <input type="number" min="0.1" step="0.1" max=max_lifetime_hours
                disabled=move || lifetime.get() != "custom" data-testid="lifetime-hours"
                prop:value=move || custom_hours.get() on:input=move |ev| set_custom_hours.set(event_target_value(&ev))/>
        </label>
        {error_for("expires_in_minutes")}
        <label>"Views"
            <span class="hint">"1 means view once: the secret is deleted as soon as it is revealed."</span>
            <input type="number" min="1" max="100" required data-testid="secret-views"
                prop:value=move || views.get() on:input=move |ev| set_views.set(event_target_value(&ev))/>
        </label>
        {error_for("max_views")}
    }
    .into_any();
    let delivery_part = view! {
        <fieldset class="choices">
            <legend>"Delivery"</legend>
            {allow_anyone.then(|| view! {
                <label class="check">
                    <input type="radio" name="delivery" value="link_key" data-testid="delivery-link"
                        prop:checked=move || delivery.get() == "link_key"
                        disabled=move || needs_code() || !email.get().trim().is_empty()
                        on:change=move |_| set_delivery.set("link_key".into())/>
                    <span><strong>"Key in the link"</strong>" — one link carries everything; whoever has it can open the secret"</span>
                </label>
            })}
            <label class="check">
                <input type="radio" name="delivery" value="access_code" data-testid="delivery-code"
                    prop:checked=move || delivery.get() == "access_code"
                    on:change=move |_| set_delivery.set("access_code".into())/>
                <span><strong>"Link and access code"</strong>" — you send the code by another channel; the key is derived from it"</span>
            </label>
        </fieldset>
        {error_for("delivery")}
        {allow_email.then(|| view! {
            <label>"Mail the link to (optional)"
                <span class="hint">"Liaison mails the link; you give the code yourself. Leave empty to copy the link."</span>
                <input type="email" autocomplete="off" data-testid="secret-email"
                    prop:value=move || email.get() on:input=move |ev| set_email.set(event_target_value(&ev))/>
            </label>
        })}
        {error_for("recipient_email")}
        {error_for("recipient")}
    }
    .into_any();
    view! {
        <section class="panel">
            <h2>"Send a secret"</h2>
            <noscript><p class="notice-warn">"Sending a secret needs JavaScript: your browser encrypts it before it leaves. Allow scripts for this site and reload."</p></noscript>
            <form class="form-grid" on:submit=submit data-testid="secret-form">
                {what}
                {terms}
                {delivery_part}
                <button type="submit" class="btn btn-primary" data-testid="create-secret"
                    disabled=move || !hydrated.get() || busy.get().is_some()>"Encrypt and create"</button>
                {move || busy.get().map(|b| view! { <p class="loading" role="status" data-testid="secret-busy">{b}</p> })}
                {other_error}
            </form>
        </section>
    }
}

/// The fields whose errors show beside them; any other shows under the button.
const FIELDS: [&str; 8] = [
    "ciphertext",
    "label",
    "tlp",
    "expires_in_minutes",
    "max_views",
    "delivery",
    "recipient_email",
    "recipient",
];

/// The form's values, read when it is submitted (and used in the browser only).
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Draft {
    kind: String,
    label: String,
    text: String,
    tlp: String,
    delivery: String,
    email: String,
    minutes: i64,
    max_views: i64,
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;

    use super::{Draft, Made};
    use crate::secret_client::{self as client, b64url, envelope};

    /// (field, message): what went wrong, and where the form shows it.
    type Refusal = (String, String);

    fn here(message: impl Into<String>) -> Refusal {
        (String::new(), message.into())
    }

    /// Encrypts the draft, sends the ciphertext, and returns the link (with the key, for
    /// link-key delivery) and the code.
    pub async fn create(
        d: Draft,
        file: Option<web_sys::File>,
        csrf: String,
        busy: WriteSignal<Option<String>>,
    ) -> Result<Made, Refusal> {
        busy.set(Some("Encrypting in this browser…".into()));
        let plaintext = if d.kind == "file" {
            let file =
                file.ok_or_else(|| ("ciphertext".to_owned(), "Choose a file to send.".to_owned()))?;
            if file.size() > 10.0 * 1024.0 * 1024.0 {
                return Err((
                    "ciphertext".into(),
                    format!(
                        "The file is {}; a secret file may be at most 10 MB.",
                        client::human_size(file.size())
                    ),
                ));
            }
            envelope(
                &file.name(),
                &crate::picked_file::bytes(&file).await.map_err(here)?,
                client::FILE_PADDING,
            )
        } else {
            if d.text.is_empty() {
                return Err(("ciphertext".into(), "Type the secret to send.".into()));
            }
            envelope("", d.text.as_bytes(), client::TEXT_PADDING)
        };
        let nonce = client::random_bytes(12).map_err(here)?;
        let (key, proof, salt, code) = if d.delivery == "access_code" {
            let code = client::code_from(&client::random_bytes(20).map_err(here)?);
            let salt = client::random_bytes(16).map_err(here)?;
            busy.set(Some(
                "Deriving the key from a new access code (a few seconds)…".into(),
            ));
            let (key, proof) = client::derive_from_code(&code, &salt).await.map_err(here)?;
            (key, proof, Some(salt), Some(code))
        } else {
            let key = client::random_bytes(32).map_err(here)?;
            let proof = client::proof_of_key(&key).await.map_err(here)?;
            (key, proof, None, None)
        };
        let ciphertext = client::encrypt(&key, &nonce, &plaintext)
            .await
            .map_err(here)?;
        let email = d.email.trim().to_owned();
        let body = serde_json::json!({
            "kind": d.kind,
            "label": d.label,
            "tlp": d.tlp,
            "delivery": d.delivery,
            "recipient_email": (!email.is_empty()).then_some(&email),
            "expires_in_minutes": d.minutes,
            "max_views": d.max_views,
            "ciphertext": b64url(&ciphertext),
            "nonce": b64url(&nonce),
            "salt": salt.as_deref().map(b64url),
            "proof": b64url(&proof),
            "csrf": csrf,
        })
        .to_string();
        busy.set(Some("Sending the ciphertext…".into()));
        let report: Box<dyn Fn(f64, f64)> = Box::new(move |sent, total| {
            if total > 0.0 {
                busy.set(Some(format!(
                    "Sending the ciphertext… {:.0}%",
                    sent / total * 100.0
                )));
            }
        });
        let answer = client::post_json(crate::CONSOLE_SECRETS_PATH, &body, Some(report))
            .await
            .map_err(here)?;
        if answer.status != 201 {
            let field = serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| v["error"]["field"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err((field, answer.error_message()));
        }
        let link = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| v["link"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                here("The server did not say where the secret is. Look for it in the list.")
            })?;
        let link = match &code {
            Some(_) => link,
            None => format!("{link}#{}", b64url(&key)),
        };
        Ok(Made {
            link,
            code,
            mailed_to: (!email.is_empty()).then_some(email),
        })
    }
}
