use leptos::prelude::*;

use crate::components::{CsrfField, FieldError};
use leptos_meta::Title;

use super::portal_members::{MemberActions, Members};
use crate::error::AppError;
use crate::server_fns::portals::{
    list_portals, list_terms_choices, AddDomain, CreatePortal, RemoveDomain, SaveBranding,
    VerifyDomain,
};
use crate::types::{BrandingFormView, DomainRowView, PortalRowView};

/// Portals: each has its brand (what its guests see on every screen) and its members (a
/// "portal members" share admits only an active member, and removing a member revokes
/// their shares in that portal). Every share belongs to a portal, the default one unless
/// its creator chose another.
#[component]
pub fn PortalsPage() -> impl IntoView {
    let create = ServerAction::<CreatePortal>::new();
    let members = MemberActions::new();
    let domain_actions = DomainActions {
        add: ServerAction::new(),
        verify: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let portals = Resource::new(
        move || {
            (
                create.version().get(),
                members.version(),
                domain_actions.add.version().get(),
                domain_actions.verify.version().get(),
                domain_actions.remove.version().get(),
            )
        },
        |_| list_portals(),
    );
    let terms = Resource::new(|| (), |_| list_terms_choices());
    let query = leptos_router::hooks::use_query_map();
    let logo_saved = move || query.read().get("logo").is_some();

    let error = move || {
        [
            create.value().get().and_then(|r| r.err()),
            members.error(),
            domain_actions.add.value().get().and_then(|r| r.err()),
            domain_actions.verify.value().get().and_then(|r| r.err()),
            domain_actions.remove.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| crate::error_text(&e))
    };
    let removed = move || members.remove.value().get().and_then(|r| r.ok());
    view! {
        <Title text="Portals · Liaison"/>
        <h1>"Portals"</h1>
        <p class="muted">"Every share belongs to a portal, and its guests see that portal's brand, disclaimer and terms on every screen — on your own domain once it is verified. Portal members prove their address with a code; a manager may also add members from the domains you allow. Removing a member, or their end date passing, revokes their shares in that portal at once."</p>
        {move || error().map(|e| view! { <p class="error" role="alert" data-testid="portals-error">{e}</p> })}
        {move || removed().map(|n| view! { <p class="notice" role="status">{format!("Member removed; {n} share(s) revoked.")}</p> })}
        <crate::components::FlashError testid="logo-error"/>
        {move || logo_saved().then(|| view! { <p class="notice" role="status" data-testid="logo-saved">"Logo saved."</p> })}

        <details class="panel">
            <summary>"Create a portal"</summary>
            <ActionForm action=create>
                <CsrfField/>
                <label>"Name" <input type="text" name="name" required data-testid="portal-name"/></label>
                <button type="submit" class="btn btn-primary">"Create portal"</button>
            </ActionForm>
        </details>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                async move {
                    let terms = terms.await.unwrap_or_default();
                    match portals.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(list) => list
                            .into_iter()
                            .map(|p| view! { <Portal portal=p members domain_actions terms=terms.clone()/> })
                            .collect_view()
                            .into_any(),
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Portal(
    portal: PortalRowView,
    members: MemberActions,
    domain_actions: DomainActions,
    terms: Vec<(String, String)>,
) -> impl IntoView {
    let portal_id = portal.id.clone();
    view! {
        <section class="panel partner" data-testid="portal" data-portal=portal.name.clone()>
            <h2>{portal.name.clone()}{portal.is_default.then(|| view! { " " <span class="badge badge-active">"Default"</span> })}</h2>
            <p class="actions">
                <a href=format!("/console/portals/{portal_id}/sections") data-testid="portal-sections">"Sections: arrange what guests see"</a>
                <a href=format!("/console/portals/{portal_id}/analytics") data-testid="portal-analytics">"Analytics"</a>
            </p>
            <Branding portal_id=portal_id.clone() form=portal.branding terms/>
            <Domains portal_id=portal_id.clone() domains=portal.domains actions=domain_actions/>
            <Members portal_id members=portal.members member_domains_text=portal.member_domains_text actions=members/>
        </section>
    }
}

/// Fields whose refusal shows beside them; any other shows above the button.
const BESIDE_FIELDS: &[&str] = &[
    "primary",
    "accent",
    "support_contact",
    "footer_links",
    "footer_links.label",
    "footer_links.url",
];

/// The brand form (text fields and colours, through a server function) and the logo form
/// (a plain multipart post, so the file never passes through wasm).
#[component]
fn Branding(
    portal_id: String,
    form: BrandingFormView,
    terms: Vec<(String, String)>,
) -> impl IntoView {
    // One action per portal, so a refusal shows beside the form that caused it.
    let brand = ServerAction::<SaveBranding>::new();
    let error = Signal::derive(move || {
        brand
            .value()
            .get()
            .and_then(|r: Result<(), AppError>| r.err())
    });
    let saved = move || matches!(brand.value().get(), Some(Ok(())));
    let chosen_terms = form.terms_id.clone();
    let [primary_err, accent_err, support_err, links_err] =
        ["primary", "accent", "support", "links"].map(|f| format!("{f}-error-{portal_id}"));
    let logo_action = format!("/console/portals/{portal_id}/logo");
    view! {
        <details class="panel-inner">
            <summary>"Brand, disclaimer and terms"</summary>
            <ActionForm action=brand attr:class="form-grid" attr:data-testid="branding-form">
                <CsrfField/>
                <input type="hidden" name="portal_id" value=portal_id/>
                <label>"Name guests see (empty: your organisation's name)"
                    <input type="text" name="display_name" maxlength="120" value=form.display_name data-testid="brand-display-name"/>
                </label>
                <fieldset class="colours">
                    <legend>"Colours (#rrggbb; all three, or none for Liaison's own)"</legend>
                    <label>"Primary (links, headings, buttons)"
                        <input type="text" name="primary" pattern="#[0-9a-fA-F]{6}" placeholder="#1d4ed8" value=form.primary data-testid="brand-primary" aria-describedby=primary_err.clone()/>
                        <FieldError error fields=&["primary"] id=primary_err/>
                    </label>
                    <label>"Accent (focus rings, rules)"
                        <input type="text" name="accent" pattern="#[0-9a-fA-F]{6}" placeholder="#1d4ed8" value=form.accent data-testid="brand-accent" aria-describedby=accent_err.clone()/>
                        <FieldError error fields=&["accent"] id=accent_err/>
                    </label>
                    <label>"Background"
                        <input type="text" name="background" pattern="#[0-9a-fA-F]{6}" placeholder="#f5f7fa" value=form.background data-testid="brand-background"/>
                    </label>
                </fieldset>
                <label>"Disclaimer (shown before a guest continues; **bold**, *italic*, lists and https links)"
                    <textarea name="disclaimer" rows="4" maxlength="4000" data-testid="brand-disclaimer">{form.disclaimer}</textarea>
                </label>
                <label>"Support contact (an email address or https:// page)"
                    <input type="text" name="support_contact" value=form.support_contact data-testid="brand-support-contact" aria-describedby=support_err.clone()/>
                    <FieldError error fields=&["support_contact"] id=support_err/>
                </label>
                <label>"Footer links (one per line: Label | https://…)"
                    <textarea name="footer_links_text" rows="2" data-testid="brand-footer-links" aria-describedby=links_err.clone()>{form.footer_links_text}</textarea>
                    <FieldError error fields=&["footer_links", "footer_links.label", "footer_links.url"] id=links_err/>
                </label>
                <label>"Legal terms guests accept (unless the share names its own)"
                    <select name="terms_id" data-testid="brand-terms">
                        <option value="">"None"</option>
                        {terms.into_iter().map(|(tid, label)| {
                            let selected = tid == chosen_terms;
                            view! { <option value=tid selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                {move || error.get().filter(|e| e.field.as_deref().is_none_or(|f| !BESIDE_FIELDS.contains(&f))).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
                {move || saved().then(|| view! { <p class="notice" role="status" data-testid="brand-saved">"Brand saved: guests see it on their next page."</p> })}
                <button type="submit" class="btn btn-primary" data-testid="save-brand">"Save brand"</button>
            </ActionForm>
            <form method="post" action=logo_action enctype="multipart/form-data" class="form-grid" data-testid="logo-form">
                <CsrfField/>
                {form.logo_url.map(|src| view! { <img class="logo-preview" src=src alt="Current logo" data-testid="logo-preview"/> })}
                <label>"Logo (PNG, JPEG or WebP, at most 1 MiB; re-encoded, metadata removed)"
                    <input type="file" name="logo" accept="image/png,image/jpeg,image/webp" data-testid="brand-logo-file"/>
                </label>
                <div class="actions">
                    <button type="submit" class="btn" data-testid="upload-logo">"Upload logo"</button>
                    <button type="submit" class="btn" name="remove" value="1">"Remove logo"</button>
                </div>
            </form>
        </details>
    }
}

/// The page's domain actions (one set: any of them refreshes the list).
#[derive(Clone, Copy)]
struct DomainActions {
    add: ServerAction<AddDomain>,
    verify: ServerAction<VerifyDomain>,
    remove: ServerAction<RemoveDomain>,
}

/// A portal's custom domains: the TXT record each must publish, its state, Verify and
/// Remove, and the form that adds one.
#[component]
fn Domains(
    portal_id: String,
    domains: Vec<DomainRowView>,
    actions: DomainActions,
) -> impl IntoView {
    let any = !domains.is_empty();
    view! {
        <details class="panel-inner" open=any>
            <summary>"Custom domains"</summary>
            <p class="muted small">"Guests reach this portal on your own domain once you publish the TXT record shown and verify it. From then on the links of this portal's shares — new, copied and re-sent — are made on that domain, which shows this portal only; the console stays at this address. Verified domains are checked daily; one whose record disappears is suspended, administrators are told, and links fall back to this address."</p>
            {any.then(|| view! {
                <ul class="domains" data-testid="domains">
                    {domains.into_iter().map(|d| {
                        let badge = match d.status.as_str() {
                            "verified" => "badge badge-active",
                            "suspended" => "badge badge-revoked",
                            _ => "badge badge-expired",
                        };
                        let (verify_id, remove_id) = (d.id.clone(), d.id.clone());
                        let name = d.domain.clone();
                        view! {
                            <li class="domain" data-testid="domain" data-domain=name>
                                <dl class="facts">
                                    <dt>"Domain"</dt><dd><strong>{d.domain}</strong></dd>
                                    <dt>"Status"</dt><dd><span class=badge data-testid="domain-status">{d.status}</span></dd>
                                    <dt>"TXT record"</dt><dd><code>{d.txt_name}</code></dd>
                                    <dt>"Value"</dt><dd><code data-testid="txt-value">{d.txt_value}</code></dd>
                                </dl>
                                <div class="actions">
                                    <ActionForm action=actions.verify attr:class="inline">
                                        <CsrfField/>
                                        <input type="hidden" name="id" value=verify_id/>
                                        <button type="submit" class="btn" data-testid="verify-domain">"Verify"</button>
                                    </ActionForm>
                                    <ActionForm action=actions.remove attr:class="inline">
                                        <CsrfField/>
                                        <input type="hidden" name="id" value=remove_id/>
                                        <button type="submit" class="btn">"Remove"</button>
                                    </ActionForm>
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <ActionForm action=actions.add attr:class="inline-form">
                <CsrfField/>
                <input type="hidden" name="portal_id" value=portal_id/>
                <label>"Domain (e.g. share.agency.example)" <input type="text" name="domain" required data-testid="domain-name"/></label>
                <button type="submit" class="btn" data-testid="add-domain">"Add domain"</button>
            </ActionForm>
        </details>
    }
}
