use leptos::prelude::*;

use crate::components::CsrfField;
use leptos_meta::Title;

use crate::server_fns::partners::{
    list_partners, AddIdentityProvider, CreatePartner, SetAttributeMap, SetFederationEnabled,
    SetLawEnforcement, TestIdentityProvider,
};
use crate::types::{IdpRowView, PartnerRowView};

/// Partner organisations: email domains for home-realm discovery, their SAML / OIDC
/// identity providers (what to register at each), "Test connection"; and the
/// organisation's own IdP for staff sign-in.
#[component]
pub fn PartnersPage() -> impl IntoView {
    let create = ServerAction::<CreatePartner>::new();
    let add_idp = ServerAction::<AddIdentityProvider>::new();
    let test = ServerAction::<TestIdentityProvider>::new();
    let toggle = ServerAction::<SetFederationEnabled>::new();
    provide_context(toggle);
    let mapping = ServerAction::<SetAttributeMap>::new();
    provide_context(mapping);
    let law = ServerAction::<SetLawEnforcement>::new();
    provide_context(law);
    let partners = Resource::new(
        move || {
            (
                create.version().get(),
                add_idp.version().get(),
                toggle.version().get(),
                mapping.version().get(),
                law.version().get(),
            )
        },
        |_| list_partners(),
    );
    let error = move || {
        [
            create.value().get(),
            add_idp.value().get(),
            test.value().get(),
            mapping.value().get(),
            law.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .map(|e| crate::error_text(&e))
    };
    view! {
        <Title text="Partners · Liaison"/>
        <h1>"Partner organisations"</h1>
        <p class="muted">"Partner staff sign in to federated shares through their own organisation's identity provider. A recipient's email domain picks the partner."</p>
        {move || error().map(|e| view! { <p class="error" role="alert" data-testid="partners-error">{e}</p> })}
        <details class="panel">
            <summary>"Add a partner"</summary>
            <ActionForm action=create>
                <CsrfField/>
                <label>"Name" <input type="text" name="name" required data-testid="partner-name"/></label>
                <label>"Email domains" <input type="text" name="domains" placeholder="agency.example, agency.gov.example" data-testid="partner-domains"/></label>
                <label class="check"><input type="checkbox" name="law_enforcement" data-testid="partner-law-enforcement"/>
                    <span>"A law-enforcement agency: its staff may receive criminal intelligence (28 CFR Part 23)"</span></label>
                <button type="submit" class="btn btn-primary">"Add partner"</button>
            </ActionForm>
        </details>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                async move {
                    match partners.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(list) => list
                            .into_iter()
                            .map(|p| view! { <Partner partner=p add_idp test/> })
                            .collect_view()
                            .into_any(),
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Partner(
    partner: PartnerRowView,
    add_idp: ServerAction<AddIdentityProvider>,
    test: ServerAction<TestIdentityProvider>,
) -> impl IntoView {
    let partner_id = partner.id.clone().unwrap_or_default();
    let is_staff = partner.id.is_none();
    view! {
        <section class="panel partner" data-testid="partner">
            <h2>{partner.name.clone()} {(!partner.enabled).then(|| view! { <span class="badge">"disabled"</span> })}
                {partner.law_enforcement.then(|| view! { <span class="badge" data-testid="law-enforcement">"law enforcement"</span> })}</h2>
            {partner.id.clone().map(|id| view! {
                <div class="actions">
                    <Toggle kind="partner" id=id.clone() enabled=partner.enabled/>
                    <LawEnforcement id registered=partner.law_enforcement/>
                </div>
            })}
            {(!is_staff).then(|| view! { <p class="muted">"Domains: " {partner.domains.join(", ")}</p> })}
            {if partner.idps.is_empty() {
                view! { <p class="empty">"No identity provider yet."</p> }.into_any()
            } else {
                view! {
                    <table class="idps">
                        <thead><tr><th>"Identity provider"</th><th>"Register at the IdP"</th><th></th></tr></thead>
                        <tbody>{partner.idps.into_iter().map(|i| view! { <Idp idp=i test/> }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            <details>
                <summary>"Add an identity provider"</summary>
                <ActionForm action=add_idp>
                    <CsrfField/>
                    <input type="hidden" name="partner_id" value=partner_id/>
                    <label>"Name" <input type="text" name="name" required/></label>
                    <label>"Protocol"
                        <select name="kind">
                            <option value="saml">"SAML 2.0"</option>
                            <option value="oidc">"OpenID Connect"</option>
                        </select>
                    </label>
                    <fieldset>
                        <legend>"SAML: the IdP's metadata"</legend>
                        <label>"Metadata URL" <input type="url" name="metadata_url"/></label>
                        <label>"or metadata XML" <textarea name="metadata_xml" rows="3"></textarea></label>
                        <label class="check"><input type="checkbox" name="allow_idp_initiated"/>" Allow sign-ins started at the IdP"</label>
                    </fieldset>
                    <fieldset>
                        <legend>"OpenID Connect"</legend>
                        <label>"Issuer" <input type="url" name="issuer"/></label>
                        <label>"Client id" <input type="text" name="client_id"/></label>
                        <label>"Client secret" <input type="password" name="client_secret" autocomplete="off"/></label>
                    </fieldset>
                    <button type="submit" class="btn btn-primary">"Add identity provider"</button>
                </ActionForm>
            </details>
        </section>
    }
}

#[component]
fn Idp(idp: IdpRowView, test: ServerAction<TestIdentityProvider>) -> impl IntoView {
    let register = match (&idp.sp_entity_id, &idp.sp_acs_url, &idp.redirect_uri) {
        (Some(entity), Some(acs), _) => view! {
            <div class="small">"SP entity id / metadata: " <code>{entity.clone()}</code></div>
            <div class="small">"ACS (HTTP-POST): " <code>{acs.clone()}</code></div>
        }
        .into_any(),
        (_, _, Some(redirect)) => view! {
            <div class="small">"Redirect URI: " <code>{redirect.clone()}</code></div>
        }
        .into_any(),
        _ => ().into_any(),
    };
    view! {
        <tr data-testid="idp">
            <td>
                <strong>{idp.name}</strong> " " <span class="badge">{idp.kind.to_uppercase()}</span>
                {(!idp.enabled).then(|| view! { <span class="badge">"disabled"</span> })}
                <div class="small muted">{idp.detail}</div>
                <AttributeMapForm id=idp.id.clone() map=idp.attribute_map/>
            </td>
            <td>{register}</td>
            <td>
                <Toggle kind="idp" id=idp.id.clone() enabled=idp.enabled/>
                <ActionForm action=test>
                    <CsrfField/>
                    <input type="hidden" name="id" value=idp.id/>
                    <button type="submit" class="btn" data-testid="test-connection">"Test connection"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// Registers the partner as a law-enforcement agency, or takes that off.
#[component]
fn LawEnforcement(id: String, registered: bool) -> impl IntoView {
    let set = expect_context::<ServerAction<SetLawEnforcement>>();
    view! {
        <ActionForm action=set attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="registered" value=(!registered).to_string()/>
            <button type="submit" class="btn btn-small" data-testid="toggle-law-enforcement">
                {if registered { "Not a law-enforcement agency" } else { "Register as law enforcement" }}
            </button>
        </ActionForm>
    }
}

/// Enable / disable button for a partner or an IdP.
#[component]
fn Toggle(kind: &'static str, id: String, enabled: bool) -> impl IntoView {
    let toggle = expect_context::<ServerAction<SetFederationEnabled>>();
    view! {
        <ActionForm action=toggle>
            <CsrfField/>
            <input type="hidden" name="kind" value=kind/>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="enabled" value=(!enabled).to_string()/>
            <button type="submit" class="btn" data-testid=format!("toggle-{kind}")>
                {if enabled { "Disable" } else { "Enable" }}
            </button>
        </ActionForm>
    }
}

/// Which attributes (SAML) or claims (OIDC) give email, name, organisation and groups.
#[component]
fn AttributeMapForm(id: String, map: [String; 4]) -> impl IntoView {
    let mapping = expect_context::<ServerAction<SetAttributeMap>>();
    let [email, display_name, organisation, groups] = map;
    view! {
        <details class="attribute-map">
            <summary>"Attribute mapping"</summary>
            <ActionForm action=mapping>
                <CsrfField/>
                <input type="hidden" name="id" value=id/>
                <p class="small muted">"Names to look for, comma-separated; the first one present wins."</p>
                <label>"Email" <input type="text" name="email" value=email required data-testid="map-email"/></label>
                <label>"Display name" <input type="text" name="display_name" value=display_name/></label>
                <label>"Organisation" <input type="text" name="organisation" value=organisation/></label>
                <label>"Groups" <input type="text" name="groups" value=groups/></label>
                <button type="submit" class="btn" data-testid="save-mapping">"Save mapping"</button>
            </ActionForm>
        </details>
    }
}
