use leptos::prelude::*;

use crate::components::CsrfField;
use leptos_meta::Title;

use crate::server_fns::policy::{get_policy, SavePolicy};
use crate::types::PolicyView;

/// Org settings → External access: the limits every share is checked against at creation
/// and at each access (administrators edit, everyone else reads).
#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SavePolicy>::new();
    let policy = Resource::new(move || save.version().get(), |_| get_policy());
    view! {
        <Title text="External access · Liaison"/>
        <h1>"External access"</h1>
        <PolicyNav/>
        <p class="muted">"Every share is held to these limits when it is created and again at each access, so tightening them applies to existing shares at their next open."</p>
        {move || save.value().get().map(|r| match r {
            Ok(()) => view! { <p class="notice" role="status" data-testid="policy-saved">"Saved. Existing shares meet the new limits at their next access."</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" data-testid="policy-error">{crate::error_text(&e)}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                async move {
                    match policy.await {
                        Ok(p) => view! { <PolicyForm policy=p save/> }.into_any(),
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    }
                }
            })}
        </Suspense>
        <super::redaction_rules::RedactionRules/>
    }
}

/// The scope boxes of the policy forms: (form field, API name, label).
pub(super) const SCOPES: [(&str, &str, &str); 4] = [
    (
        "scope_single_revision",
        "single_revision",
        "A single document revision",
    ),
    (
        "scope_document_package",
        "document_package",
        "Document packages",
    ),
    ("scope_work_package", "work_package", "Work packages"),
    ("scope_record", "record", "Data records"),
];

/// The method boxes of the policy forms: (form field, API name, label).
pub(super) const METHODS: [(&str, &str, &str); 4] = [
    ("method_link", "link", "Anyone with the link"),
    (
        "method_invitation",
        "invitation",
        "Invited person (email code)",
    ),
    ("method_portal", "portal", "Portal members"),
    (
        "method_federated",
        "federated",
        "Partner staff (their own sign-in)",
    ),
];

/// The markings, least to most sensitive.
pub(super) const TLPS: [&str; 5] = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];

#[component]
fn PolicyForm(policy: PolicyView, save: ServerAction<SavePolicy>) -> impl IntoView {
    let preset = [7, 14, 30].contains(&policy.default_expiry_days);
    let has = |list: &[String], v: &str| list.iter().any(|x| x == v);
    let readonly = !policy.is_admin;
    view! {
        <ActionForm action=save attr:class="form-grid policy">
            <CsrfField/>
            <fieldset disabled=readonly>
                <legend>"Expiry"</legend>
                <label>"Default expiry"
                    <select name="default_expiry" data-testid="default-expiry">
                        {[7u32, 14, 30].into_iter().map(|d| view! {
                            <option value=d.to_string() selected=policy.default_expiry_days == d>{format!("{d} days")}</option>
                        }).collect_view()}
                        <option value="custom" selected=!preset>"Custom"</option>
                    </select>
                </label>
                <label>"Custom default (days)"
                    <input type="number" name="custom_expiry_days" min="1" value=policy.default_expiry_days.to_string()/>
                </label>
                <label>"Longest allowed expiry (days)"
                    <input type="number" name="max_expiry_days" min="1" required value=policy.max_expiry_days.to_string() data-testid="max-expiry"/>
                </label>
                <label class="check"><input type="checkbox" name="allow_custom_expiry" checked=policy.allow_custom_expiry/>" Creators may choose another expiry"</label>
                <label>"Default access count (0 = unlimited)"
                    <input type="number" name="default_max_access_count" min="0" required value=policy.default_max_access_count.to_string()/>
                </label>
                <label class="check"><input type="checkbox" name="allow_controller_override" checked=policy.allow_controller_override/>" Document controllers may override the defaults"</label>
            </fieldset>
            <fieldset disabled=readonly>
                <legend>"What may be shared, and how"</legend>
                {SCOPES.into_iter().map(|(field, value, label)| view! {
                    <label class="check"><input type="checkbox" name=field checked=has(&policy.allowed_scopes, value)/>" " {label}</label>
                }).collect_view()}
                {METHODS.into_iter().map(|(field, value, label)| view! {
                    <label class="check"><input type="checkbox" name=field checked=has(&policy.allowed_methods, value) data-testid=field/>" " {label}</label>
                }).collect_view()}
                <label class="check"><input type="checkbox" name="require_acknowledgement" checked=policy.require_acknowledgement/>" Every share shows the acknowledgement screen"</label>
                <label>"Most sensitive marking allowed out"
                    <select name="tlp_ceiling">
                        {TLPS.into_iter().map(|t| view! {
                            <option value=t selected=policy.tlp_ceiling == t>{format!("TLP:{t}")}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"A revoked link shows"
                    <select name="revoked_link">
                        <option value="message" selected=policy.revoked_link == "message">"\"This link has been revoked\""</option>
                        <option value="not_found" selected=policy.revoked_link == "not_found">"A plain \"not found\" (reveals nothing)"</option>
                    </select>
                </label>
            </fieldset>
            <SecretsPolicy policy=policy.clone() readonly/>
            <fieldset disabled=readonly>
                <legend>"Watermark"</legend>
                <p class="hint">"Baked into every page a guest is served, with their name, address, the time and the share; TLP:RED and shares with a watermark cannot be seen without it."</p>
                <label>"Opacity (percent)"
                    <input type="number" name="watermark_opacity" min="12" max="60" required
                        value=policy.watermark_opacity.to_string() data-testid="watermark-opacity"/>
                </label>
                <label>"Density (lines of text across a page)"
                    <input type="number" name="watermark_density" min="4" max="24" required
                        value=policy.watermark_density.to_string() data-testid="watermark-density"/>
                </label>
            </fieldset>
            {(!readonly).then(|| view! { <button type="submit" class="btn btn-primary" data-testid="save-policy">"Save"</button> })}
        </ActionForm>
    }
}

/// The secrets part of the policy form.
#[component]
fn SecretsPolicy(policy: PolicyView, readonly: bool) -> impl IntoView {
    let has = |v: &str| policy.secret_recipients.iter().any(|x| x == v);
    view! {
        <fieldset disabled=readonly>
            <legend>"Secrets"</legend>
            <input type="hidden" name="secret_fields" value="1"/>
            <label>"Longest lifetime of a secret (hours)"
                <input type="number" name="secret_max_lifetime_hours" min="1" max="720" required
                    value=policy.secret_max_lifetime_hours.to_string() data-testid="secret-max-hours"/>
            </label>
            <label>"An access code is required from"
                <select name="secret_code_required_from" data-testid="secret-code-from">
                    {TLPS.into_iter().take(3).map(|t| view! {
                        <option value=t selected=policy.secret_code_required_from == t>{format!("TLP:{t}")}</option>
                    }).collect_view()}
                </select>
                <span class="hint">"Secrets with this marking or a stricter one travel as a link plus a code sent separately."</span>
            </label>
            <label class="check"><input type="checkbox" name="secret_recipient_anyone" checked=has("anyone")/>" Anyone the sender gives the link to"</label>
            <label class="check"><input type="checkbox" name="secret_recipient_email" checked=has("email")/>" A named address Liaison mails the link to"</label>
        </fieldset>
    }
}

/// The policy pages' own navigation: the organisation's settings, projects, legal terms.
#[component]
pub fn PolicyNav() -> impl IntoView {
    use leptos_router::components::A;
    view! {
        <nav class="tabs" aria-label="Policy">
            <A href="/console/settings">"External access"</A>
            <A href="/console/projects">"Projects"</A>
            <A href="/console/terms">"Legal terms"</A>
        </nav>
    }
}
