use leptos::prelude::*;

use crate::components::{invalid as invalid_when, message_for, CsrfField, FieldError};
use leptos_meta::Title;

use crate::server_fns::documents::list_documents;
use crate::server_fns::packages::list_packages;
use crate::server_fns::portals::list_portals;
use crate::server_fns::portals::list_terms_choices;
use crate::server_fns::shares::CreateShare;

// The service's names for what each input of the form carries (`AppError::field`).
const ITEM: &[&str] = &["item"];
const RECIPIENTS: &[&str] = &["recipients", "recipient.name", "recipient.email"];
const METHOD: &[&str] = &["method"];
const PORTAL: &[&str] = &["portal_id"];
const TLP: &[&str] = &["tlp"];
const PERMISSION: &[&str] = &["settings.permission"];
const EXPIRY: &[&str] = &["expires_on", "expires_at", "expires_in_days"];
const OPENS: &[&str] = &["max_access_count"];
const PASSWORD: &[&str] = &["password"];
const NETWORKS: &[&str] = &["settings.allowed_networks"];
const INSTRUCTIONS: &[&str] = &["settings.instructions"];
const TERMS: &[&str] = &["terms_id"];
/// Every field this form marks; a refusal about anything else is shown at the top.
const ALL_FIELDS: &[&str] = &[
    "item",
    "recipients",
    "recipient.name",
    "recipient.email",
    "method",
    "portal_id",
    "tlp",
    "settings.permission",
    "expires_on",
    "expires_at",
    "expires_in_days",
    "max_access_count",
    "password",
    "settings.allowed_networks",
    "settings.instructions",
    "terms_id",
];

/// Share a document with one or more recipients (one share and link each), with every
/// setting the policy allows.
#[component]
pub fn NewSharePage() -> impl IntoView {
    let docs = Resource::new(|| (), |_| list_documents());
    let portals = Resource::new(|| (), |_| list_portals());
    let bundles = Resource::new(|| (), |_| list_packages());
    let terms = Resource::new(|| (), |_| list_terms_choices());
    // "Share with guest" on a document's page names it.
    let chosen = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("document");
    let action = ServerAction::<CreateShare>::new();
    let default_expiry = default_expiry_date();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    // An input is marked while the last refusal is about it.
    let invalid = move |fields| invalid_when(error, fields);
    view! {
        <Title text="Share a document · Liaison"/>
        <h1>"Share a document"</h1>
        {move || action.value().get().map(|r| match r {
            Ok(created) => view! {
                <section class="created" data-testid="created-share">
                    <h2>{if created.len() == 1 { "Link created".to_owned() } else { format!("{} links created", created.len()) }}</h2>
                    <p>"Each recipient has their own link. You can copy a link again later from the active shares table."</p>
                    {created.into_iter().map(|c| view! {
                        <label>{c.recipient_name}
                            <input class="link" readonly value=c.url data-testid="share-url"/>
                        </label>
                    }).collect_view()}
                    <p><a href="/console">"Back to active shares"</a></p>
                </section>
            }.into_any(),
            // A refusal about one input is shown under it; any other at the top.
            Err(e) if message_for(Some(e.clone()), ALL_FIELDS).is_some() => ().into_any(),
            Err(e) => view! { <p class="error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                let default_expiry = default_expiry.clone();
                let chosen = chosen.clone();
                async move {
                let docs = match docs.await {
                    Ok(d) => d,
                    Err(e) => return view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                };
                let portals = portals.await.unwrap_or_default();
                let bundles = bundles.await.unwrap_or_default();
                let terms = terms.await.unwrap_or_default();
                let has_portals = portals.iter().any(|p| !p.members.is_empty());
                if docs.is_empty() {
                    return view! { <p class="empty">"Upload a document first: " <a href="/console/documents">"Documents"</a></p> }.into_any();
                }
                view! {
                    <ActionForm action=action attr:class="form-grid">
                        <CsrfField/>
                        <label>"What to share"
                            <select name="document_id" required data-testid="item" aria-invalid=invalid(ITEM) aria-describedby="item-error">
                                <optgroup label="Documents">
                                    {docs.into_iter().map(|d| {
                                        let selected = chosen.as_deref() == Some(d.id.as_str());
                                        view! { <option value=d.id selected=selected>{d.title}</option> }
                                    }).collect_view()}
                                </optgroup>
                                {(!bundles.packages.is_empty()).then(|| view! {
                                    <optgroup label="Document packages">
                                        {bundles.packages.into_iter().map(|p| view! {
                                            <option value=format!("package:{}", p.id)>{format!("{} ({} documents)", p.name, p.documents.len())}</option>
                                        }).collect_view()}
                                    </optgroup>
                                })}
                                {(!bundles.work_packages.is_empty()).then(|| view! {
                                    <optgroup label="Work packages (every document of a project)">
                                        {bundles.work_packages.into_iter().map(|w| view! {
                                            <option value=format!("work_package:{}", w.id)>{format!("{} ({} documents)", w.name, w.documents)}</option>
                                        }).collect_view()}
                                    </optgroup>
                                })}
                            </select>
                            <FieldError error fields=ITEM id="item-error"/>
                        </label>
                        <label>"Recipients (one per line: Name <email>) — each gets their own link"
                            <textarea name="recipients_text" required rows="3" data-testid="recipients"
                                aria-invalid=invalid(RECIPIENTS) aria-describedby="recipients-error"
                                placeholder="Jane Counsel <jane@lawfirm.example>"></textarea>
                            <FieldError error fields=RECIPIENTS id="recipients-error"/>
                        </label>
                        <label>"How they prove who they are"
                            <select name="method" data-testid="method" aria-invalid=invalid(METHOD) aria-describedby="method-error">
                                <option value="link">"Anyone with the link"</option>
                                <option value="invitation">"Invited person: email verification code on open"</option>
                                {has_portals.then(|| view! { <option value="portal">"Portal members: members of the portal below, with a verification code"</option> })}
                                <option value="federated">"Partner staff: sign in with their organisation's account"</option>
                            </select>
                            <FieldError error fields=METHOD id="method-error"/>
                        </label>
                        <label>"Portal (the guest sees its brand, disclaimer and terms; a portal-members share admits its members)"
                            <select name="portal_id" data-testid="portal" aria-invalid=invalid(PORTAL) aria-describedby="portal-error">
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
                            <select name="terms_id" data-testid="terms" aria-invalid=invalid(TERMS) aria-describedby="terms-error">
                                <option value="">"The portal's terms, if it has any"</option>
                                {terms.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                            </select>
                            <FieldError error fields=TERMS id="terms-error"/>
                        </label>
                        <label>"Classification"
                            <select name="tlp" data-testid="tlp" aria-invalid=invalid(TLP) aria-describedby="tlp-error">
                                <option value="CLEAR">"TLP:CLEAR"</option>
                                <option value="GREEN">"TLP:GREEN"</option>
                                <option value="AMBER" selected>"TLP:AMBER"</option>
                                <option value="AMBER+STRICT">"TLP:AMBER+STRICT (verified recipients only)"</option>
                                <option value="RED">"TLP:RED (verified, no download, watermarked)"</option>
                            </select>
                            <FieldError error fields=TLP id="tlp-error"/>
                        </label>
                        <label>"Permission"
                            <select name="permission" aria-invalid=invalid(PERMISSION) aria-describedby="permission-error">
                                <option value="view">"View"</option>
                                <option value="comment">"View and comment"</option>
                                <option value="edit">"View, comment and respond"</option>
                            </select>
                            <FieldError error fields=PERMISSION id="permission-error"/>
                        </label>
                        <label>"Expires at the end of (UTC; empty = policy default)"
                            <input type="date" name="expires_on" value=default_expiry aria-invalid=invalid(EXPIRY) aria-describedby="expiry-error"/>
                            <FieldError error fields=EXPIRY id="expiry-error"/>
                        </label>
                        <label>"Maximum number of opens (0 = unlimited; empty = policy default)"
                            <input type="number" name="max_access_count" min="0" aria-invalid=invalid(OPENS) aria-describedby="opens-error"/>
                            <FieldError error fields=OPENS id="opens-error"/>
                        </label>
                        <label>"Password (optional, at least 8 characters; send it separately)"
                            <input type="password" name="password" autocomplete="new-password" aria-invalid=invalid(PASSWORD) aria-describedby="password-error"/>
                            <FieldError error fields=PASSWORD id="password-error"/>
                        </label>
                        <label>"Allowed networks (optional, one CIDR per line)"
                            <textarea name="allowed_networks_text" rows="2" placeholder="203.0.113.0/24" aria-invalid=invalid(NETWORKS) aria-describedby="networks-error"></textarea>
                            <FieldError error fields=NETWORKS id="networks-error"/>
                        </label>
                        <label>"Instructions for the recipient (optional)"
                            <textarea name="instructions" rows="3" maxlength="4000" aria-invalid=invalid(INSTRUCTIONS) aria-describedby="instructions-error"></textarea>
                            <FieldError error fields=INSTRUCTIONS id="instructions-error"/>
                        </label>
                        <fieldset class="checks">
                            <label class="check"><input type="checkbox" name="require_acknowledgement" checked/>" Require the recipient to accept an acknowledgement first"</label>
                            <label class="check"><input type="checkbox" name="allow_download"/>" Allow download"</label>
                            <label class="check"><input type="checkbox" name="allow_print"/>" Allow printing"</label>
                            <label class="check"><input type="checkbox" name="watermark" checked/>" Watermark with the recipient's name"</label>
                            <label class="check"><input type="checkbox" name="approved_devices_only"/>" Approved devices only (new browsers wait for your approval)"</label>
                            <label class="check"><input type="checkbox" name="notify_on_revoke"/>" Tell the recipient if I revoke it"</label>
                        </fieldset>
                        <button type="submit" class="btn btn-primary">"Create links"</button>
                    </ActionForm>
                }.into_any()
            }})}
        </Suspense>
    }
}

/// Fourteen days from today, as the date input expects.
fn default_expiry_date() -> String {
    #[cfg(feature = "ssr")]
    {
        let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(14);
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let now = js_sys::Date::new_0();
        let later = js_sys::Date::new(&(now.get_time() + 14.0 * 86_400_000.0).into());
        format!(
            "{:04}-{:02}-{:02}",
            later.get_utc_full_year(),
            later.get_utc_month() + 1,
            later.get_utc_date()
        )
    }
}
