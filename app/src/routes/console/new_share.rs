use leptos::prelude::*;

use crate::components::{
    current_offset_signal, invalid as invalid_when, message_for, offset_at, zone_label_signal,
    CopyButton, CsrfField, FieldError,
};
use leptos_meta::Title;

use crate::error::AppError;
use crate::server_fns::documents::list_documents;
use crate::server_fns::packages::list_packages;
use crate::server_fns::policy::get_policy;
use crate::server_fns::portals::{list_portals, list_terms_choices};
use crate::server_fns::records::{list_records, preview_record};
use crate::server_fns::shares::CreateShare;
use crate::types::{CurrentUser, PolicyView, RecordPreviewView};

// The service's names for what each input of the form carries (`AppError::field`).
const ITEM: &[&str] = &["item"];
const RECIPIENTS: &[&str] = &["recipients", "recipient.name", "recipient.email"];
const METHOD: &[&str] = &["method"];
const PORTAL: &[&str] = &["portal_id"];
const TLP: &[&str] = &["tlp"];
const PERMISSION: &[&str] = &["settings.permission"];
const EXPIRY: &[&str] = &[
    "expiry",
    "expires_at",
    "expires_in_days",
    "expires_in_hours",
];
const OPENS: &[&str] = &["max_access_count"];
const PASSWORD: &[&str] = &["password"];
const NETWORKS: &[&str] = &["settings.allowed_networks"];
const COUNTRIES: &[&str] = &["settings.allowed_countries"];
const INSTRUCTIONS: &[&str] = &["settings.instructions"];
const REMINDER: &[&str] = &["settings.expiry_reminder_days"];
const TERMS: &[&str] = &["terms_id"];
const JUSTIFICATION: &[&str] = &["justification"];
/// Every field this form marks; a refusal about anything else is shown at the top.
const ALL_FIELDS: &[&[&str]] = &[
    ITEM,
    RECIPIENTS,
    METHOD,
    PORTAL,
    TLP,
    PERMISSION,
    EXPIRY,
    OPENS,
    PASSWORD,
    NETWORKS,
    COUNTRIES,
    INSTRUCTIONS,
    REMINDER,
    TERMS,
    JUSTIFICATION,
];

/// Share a document, a bundle or a data record with one or more recipients (one share and
/// link each). The form offers what the organisation's policy allows and shows its
/// defaults and limits beside the fields; the server checks again (a project may be
/// stricter) and names the field. A record chosen, the form shows exactly what its guest
/// will see and warns of sensitive-looking fields nothing withholds.
#[component]
pub fn NewSharePage() -> impl IntoView {
    let docs = Resource::new(|| (), |_| list_documents());
    let records = Resource::new(|| (), |_| list_records(String::new(), String::new()));
    let portals = Resource::new(|| (), |_| list_portals());
    let bundles = Resource::new(|| (), |_| list_packages());
    let terms = Resource::new(|| (), |_| list_terms_choices());
    let policy = Resource::new(|| (), |_| get_policy());
    let action = ServerAction::<CreateShare>::new();
    // "Share with a guest" on a document's or a record's page names it.
    let query = leptos_router::hooks::use_query_map().read_untracked();
    let chosen = query
        .get("record")
        .map(|id| format!("record:{id}"))
        .or_else(|| query.get("document"));
    let (item, set_item) = signal(chosen.clone().unwrap_or_default());
    let preview = Resource::new(
        move || item.get().strip_prefix("record:").map(str::to_owned),
        |id| async move {
            match id {
                Some(id) => preview_record(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let may_override_as_admin = use_context::<CurrentUser>().is_some_and(|u| u.pages.policy);
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="Share · Liaison"/>
        <h1>"Share a document or record"</h1>
        {move || action.value().get().map(|r| match r {
            Ok(created) => view! {
                <section class="created" data-testid="created-share">
                    <h2>{if created.len() == 1 { "Link created".to_owned() } else { format!("{} links created", created.len()) }}</h2>
                    <p>"Each recipient has their own link. You can copy a link again later from the active shares table."</p>
                    {created.into_iter().map(|c| view! {
                        <label>{c.recipient_name}
                            <input class="link" readonly value=c.url.clone() data-testid="share-url"/>
                        </label>
                        <CopyButton text=c.url label="Copy link" testid="copy-created-link"/>
                    }).collect_view()}
                    <p><a href="/console">"Back to active shares"</a></p>
                </section>
            }.into_any(),
            // A refusal about one input is shown under it; any other at the top.
            Err(e) if ALL_FIELDS.iter().any(|f| message_for(Some(e.clone()), f).is_some()) => ().into_any(),
            Err(e) => view! { <p class="error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                let chosen = chosen.clone();
                async move {
                let (docs, policy) = match (docs.await, policy.await) {
                    (Ok(d), Ok(p)) => (d, p),
                    (Err(e), _) | (_, Err(e)) => return view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                };
                let allows = |list: &[String], v: &str| list.iter().any(|x| x == v);
                let records = if allows(&policy.allowed_scopes, "record") { records.await.unwrap_or_default() } else { Vec::new() };
                if docs.is_empty() && records.is_empty() {
                    return view! { <p class="empty">"Upload a document or create a record first: " <a href="/console/documents">"Documents"</a>", "<a href="/console/records">"Data records"</a></p> }.into_any();
                }
                let portals = portals.await.unwrap_or_default();
                let bundles = bundles.await.unwrap_or_default();
                let terms = terms.await.unwrap_or_default();
                let packages = if allows(&policy.allowed_scopes, "document_package") { bundles.packages } else { Vec::new() };
                let work_packages = if allows(&policy.allowed_scopes, "work_package") { bundles.work_packages } else { Vec::new() };
                let may_override = may_override_as_admin || policy.allow_controller_override;
                let has_portals = portals.iter().any(|p| !p.members.is_empty());
                view! {
                    <ActionForm action=action attr:class="form-grid share-form">
                        <CsrfField/>
                        <fieldset>
                            <legend>"What, to whom, how"</legend>
                            <label>"What to share"
                                <select name="document_id" required data-testid="item" aria-invalid=invalid_when(error, ITEM) aria-describedby="item-error"
                                    on:change=move |ev| set_item.set(event_target_value(&ev))>
                                    {allows(&policy.allowed_scopes, "single_revision").then(|| view! {
                                        <optgroup label="Documents">
                                            {docs.into_iter().map(|d| {
                                                let selected = chosen.as_deref() == Some(d.id.as_str());
                                                view! { <option value=d.id selected=selected>{d.title}</option> }
                                            }).collect_view()}
                                        </optgroup>
                                    })}
                                    {(!packages.is_empty()).then(|| view! {
                                        <optgroup label="Document packages">
                                            {packages.into_iter().map(|p| view! {
                                                <option value=format!("package:{}", p.id)>{format!("{} ({} documents)", p.name, p.documents.len())}</option>
                                            }).collect_view()}
                                        </optgroup>
                                    })}
                                    {(!work_packages.is_empty()).then(|| view! {
                                        <optgroup label="Work packages (every document of a project)">
                                            {work_packages.into_iter().map(|w| view! {
                                                <option value=format!("work_package:{}", w.id)>{format!("{} ({} documents)", w.name, w.documents)}</option>
                                            }).collect_view()}
                                        </optgroup>
                                    })}
                                    {(!records.is_empty()).then(|| view! {
                                        <optgroup label="Data records (with their history, links and documents)">
                                            {records.into_iter().map(|r| {
                                                let value = format!("record:{}", r.id);
                                                let selected = chosen.as_deref() == Some(value.as_str());
                                                let label = match &r.reference {
                                                    Some(reference) => format!("{} · {}", r.title, reference),
                                                    None => r.title.clone(),
                                                };
                                                view! { <option value=value selected=selected>{label}</option> }
                                            }).collect_view()}
                                        </optgroup>
                                    })}
                                </select>
                                <FieldError error fields=ITEM id="item-error"/>
                            </label>
                            <label>"Recipients (one per line: Name <email>) — each gets their own link"
                                <textarea name="recipients_text" required rows="3" data-testid="recipients"
                                    aria-invalid=invalid_when(error, RECIPIENTS) aria-describedby="recipients-error"
                                    placeholder="Jane Counsel <jane@lawfirm.example>"></textarea>
                                <FieldError error fields=RECIPIENTS id="recipients-error"/>
                            </label>
                            <label>"How they prove who they are"
                                <select name="method" data-testid="method" aria-invalid=invalid_when(error, METHOD) aria-describedby="method-error">
                                    {[
                                        ("link", "Anyone with the link", true),
                                        ("invitation", "Invited person: email verification code on open", true),
                                        ("portal", "Portal members: members of the portal below, with a verification code", has_portals),
                                        ("federated", "Partner staff: sign in with their organisation's account", true),
                                    ].into_iter().filter(|(v, _, shown)| *shown && allows(&policy.allowed_methods, v)).map(|(v, label, _)| view! {
                                        <option value=v>{label}</option>
                                    }).collect_view()}
                                </select>
                                <span class="hint">"Only the methods the sharing policy allows are offered. Invitations, portal and partner shares are mailed to the recipient."</span>
                                <FieldError error fields=METHOD id="method-error"/>
                            </label>
                            <label class="check"><input type="checkbox" name="send_link" checked data-testid="send-link"/>
                                " Email a link share's link to the recipient now, with the instructions"</label>
                            <label>"Portal (the guest sees its brand, disclaimer and terms; a portal-members share admits its members)"
                                <select name="portal_id" data-testid="portal" aria-invalid=invalid_when(error, PORTAL) aria-describedby="portal-error">
                                    {portals.into_iter().map(|p| {
                                        let label = if p.is_default {
                                            format!("{} (default)", p.name)
                                        } else {
                                            format!("{} ({} members)", p.name, p.members.len())
                                        };
                                        view! { <option value=p.id selected=p.is_default>{label}</option> }
                                    }).collect_view()}
                                </select>
                                <FieldError error fields=PORTAL id="portal-error"/>
                            </label>
                            <label>"Legal terms the recipient accepts before opening"
                                <select name="terms_id" data-testid="terms" aria-invalid=invalid_when(error, TERMS) aria-describedby="terms-error">
                                    <option value="">"The portal's terms, if it has any"</option>
                                    {terms.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                                </select>
                                <FieldError error fields=TERMS id="terms-error"/>
                            </label>
                            <label>"Justification (required for criminal intelligence, 28 CFR Part 23)"
                                <span class="hint">"Why each recipient needs this information and may have it: their agency's task, the case, the purpose. It is kept in the dissemination record."</span>
                                <textarea name="justification" rows="3" maxlength="2000" data-testid="justification"
                                    aria-invalid=invalid_when(error, JUSTIFICATION) aria-describedby="justification-error"></textarea>
                                <FieldError error fields=JUSTIFICATION id="justification-error"/>
                            </label>
                        </fieldset>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                match preview.await {
                                    Ok(Some(p)) => view! { <RecordPreview preview=p/> }.into_any(),
                                    Ok(None) => ().into_any(),
                                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                                }
                            })}
                        </Transition>
                        <Limits policy=policy.clone() may_override error/>
                        <Protection policy error/>
                        <button type="submit" class="btn btn-primary">"Create links"</button>
                    </ActionForm>
                }.into_any()
            }})}
        </Suspense>
    }
}

/// Exactly what a record share's guest will see, and a warning where fields that look
/// personal or secret are shared as they are.
#[component]
fn RecordPreview(preview: RecordPreviewView) -> impl IntoView {
    let RecordPreviewView {
        record,
        documents,
        unredacted_sensitive,
    } = preview;
    view! {
        <section class="panel preview" data-testid="record-preview" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"What the guest will see"</h2>
            {(!unredacted_sensitive.is_empty()).then(|| view! {
                <p class="notice-warn" role="note" data-testid="preview-sensitive">
                    "Nothing withholds these fields, which look personal or secret: "
                    {unredacted_sensitive.join(", ")}
                    ". Withhold them on the record's page before sharing if the guest should not see them."
                </p>
            })}
            <crate::routes::portal::SharedRecord record allow_download=false preview=true/>
            <h4>"Documents"</h4>
            {if documents.is_empty() {
                view! { <p class="muted small">"No documents are shown (private ones never are)."</p> }.into_any()
            } else {
                view! {
                    <ul class="linked" data-testid="preview-documents">
                        {documents.into_iter().map(|(title, sha)| view! {
                            <li>{title}<div class="muted small hash">"SHA-256 "<code>{sha}</code></div></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Expiry and opens: the presets the policy's ceiling allows, a custom date and time in
/// the viewer's time zone where custom expiries are allowed, the policy's defaults shown.
#[component]
fn Limits(
    policy: PolicyView,
    may_override: bool,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    // The viewer's offset (JavaScript's getTimezoneOffset): the zone the server knows from
    // the browser's last page, then the browser's own once the script has loaded.
    let tz_offset = current_offset_signal();
    let tz_label = zone_label_signal();
    let days = policy.max_expiry_days;
    let presets: Vec<(&str, String)> = [
        ("1h", "1 hour".to_owned(), 1),
        ("24h", "24 hours".to_owned(), 1),
        ("7d", "7 days".to_owned(), 7),
        ("14d", "14 days".to_owned(), 14),
        ("30d", "30 days".to_owned(), 30),
    ]
    .into_iter()
    .filter(|(_, _, need)| *need <= days)
    .map(|(v, l, _)| (v, l))
    .collect();
    let opens = if policy.default_max_access_count == 0 {
        "unlimited".to_owned()
    } else {
        policy.default_max_access_count.to_string()
    };
    view! {
        <fieldset disabled=!may_override data-testid="limits">
            <legend>"Expiry and opens"</legend>
            {(!may_override).then(|| view! { <p class="hint">"The sharing policy sets these for document controllers."</p> })}
            <div class="choices" role="radiogroup" aria-label="Expires">
                <label class="check"><input type="radio" name="expiry" value="" checked/>
                    {format!(" Policy default ({} days)", policy.default_expiry_days)}</label>
                {presets.into_iter().map(|(v, l)| view! {
                    <label class="check"><input type="radio" name="expiry" value=v data-testid=format!("expiry-{v}")/>" " {l}</label>
                }).collect_view()}
                {policy.allow_custom_expiry.then(|| view! {
                    <label class="check"><input type="radio" name="expiry" value="custom" data-testid="expiry-custom"/>" A date and time"</label>
                })}
            </div>
            {policy.allow_custom_expiry.then(|| view! {
                <label>{move || format!("Expires at (your time: {})", tz_label.get())}
                    <input type="datetime-local" name="expires_at_local" data-testid="expires-at"
                        aria-invalid=invalid_when(error, EXPIRY) aria-describedby="expiry-error"
                        on:input=move |ev| {
                            // The offset of the chosen date (daylight saving may differ from today's).
                            if let Some(offset) = offset_at(&event_target_value(&ev)) {
                                tz_offset.set(offset.to_string());
                            }
                        }/>
                </label>
            })}
            <input type="hidden" name="tz_offset_minutes" value=tz_offset/>
            <span class="hint">{format!("The policy allows at most {days} days.")}</span>
            <FieldError error fields=EXPIRY id="expiry-error"/>
            <label>{format!("Maximum number of opens (0 = unlimited; empty = the policy's default, {opens})")}
                <input type="number" name="max_access_count" min="0" aria-invalid=invalid_when(error, OPENS) aria-describedby="opens-error"/>
                <FieldError error fields=OPENS id="opens-error"/>
            </label>
            <label>"Remind the recipient this many days before it expires (empty or 0: no reminder)"
                <input type="number" name="expiry_reminder_days" min="0" max="365" data-testid="reminder-days"
                    aria-invalid=invalid_when(error, REMINDER) aria-describedby="reminder-error"/>
                <FieldError error fields=REMINDER id="reminder-error"/>
            </label>
        </fieldset>
    }
    .into_any()
}

/// Marking, permission, password, networks, countries, instructions and the switches.
#[component]
fn Protection(policy: PolicyView, error: Signal<Option<AppError>>) -> impl IntoView {
    let ceiling = super::settings::TLPS
        .iter()
        .position(|t| *t == policy.tlp_ceiling)
        .unwrap_or(super::settings::TLPS.len() - 1);
    let tlp_label = |t: &str| match t {
        "AMBER+STRICT" => "TLP:AMBER+STRICT (verified recipients only)".to_owned(),
        "RED" => "TLP:RED (verified, no download, watermarked)".to_owned(),
        t => format!("TLP:{t}"),
    };
    view! {
        <fieldset>
            <legend>"Protection"</legend>
            <label>"Classification"
                <select name="tlp" data-testid="tlp" aria-invalid=invalid_when(error, TLP) aria-describedby="tlp-error">
                    {super::settings::TLPS[..=ceiling].iter().map(|t| view! {
                        <option value=*t selected=*t == "AMBER">{tlp_label(t)}</option>
                    }).collect_view()}
                </select>
                <span class="hint">{format!("The policy allows up to TLP:{}.", policy.tlp_ceiling)}</span>
                <FieldError error fields=TLP id="tlp-error"/>
            </label>
            <label>"Permission"
                <select name="permission" aria-invalid=invalid_when(error, PERMISSION) aria-describedby="permission-error">
                    <option value="view">"View"</option>
                    <option value="comment">"View and comment"</option>
                    <option value="edit">"View, comment and respond with files"</option>
                </select>
                <FieldError error fields=PERMISSION id="permission-error"/>
            </label>
            <label>"Password (optional, at least 8 characters; send it separately)"
                <input type="password" name="password" autocomplete="new-password" aria-invalid=invalid_when(error, PASSWORD) aria-describedby="password-error"/>
                <FieldError error fields=PASSWORD id="password-error"/>
            </label>
            <label>"Allowed networks (optional, one CIDR per line)"
                <textarea name="allowed_networks_text" rows="2" placeholder="203.0.113.0/24" aria-invalid=invalid_when(error, NETWORKS) aria-describedby="networks-error"></textarea>
                <FieldError error fields=NETWORKS id="networks-error"/>
            </label>
            <label>"Allowed countries (optional, ISO codes such as DE, FR)"
                <input name="allowed_countries_text" placeholder="DE, FR, NL" data-testid="countries"
                    aria-invalid=invalid_when(error, COUNTRIES) aria-describedby="countries-error"/>
                <FieldError error fields=COUNTRIES id="countries-error"/>
            </label>
            <label>"Instructions for the recipient (optional; in the mail and at the top of their page)"
                <textarea name="instructions" rows="3" maxlength="4000" aria-invalid=invalid_when(error, INSTRUCTIONS) aria-describedby="instructions-error"></textarea>
                <FieldError error fields=INSTRUCTIONS id="instructions-error"/>
            </label>
            <div class="choices">
                {if policy.require_acknowledgement {
                    view! { <label class="check"><input type="checkbox" name="require_acknowledgement" checked/>" The recipient accepts an acknowledgement first (required by the policy)"</label> }.into_any()
                } else {
                    view! { <label class="check"><input type="checkbox" name="require_acknowledgement" checked/>" The recipient accepts an acknowledgement first"</label> }.into_any()
                }}
                <label class="check"><input type="checkbox" name="allow_download"/>" Allow download"</label>
                <label class="check"><input type="checkbox" name="allow_print"/>" Allow printing"</label>
                <label class="check"><input type="checkbox" name="watermark" checked/>" Watermark with the recipient's name"</label>
                <label class="check"><input type="checkbox" name="approved_devices_only"/>" Approved devices only (new browsers wait for your approval)"</label>
                <label class="check"><input type="checkbox" name="notify_owner_on_first_open" data-testid="alert-first-open"/>" Tell me when it is first opened"</label>
                <label class="check"><input type="checkbox" name="notify_owner_on_response" data-testid="alert-response"/>" Tell me when the recipient responds"</label>
                <label class="check"><input type="checkbox" name="notify_on_revoke"/>" Tell the recipient if I revoke it"</label>
            </div>
        </fieldset>
    }
    .into_any()
}
