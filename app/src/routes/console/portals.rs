use leptos::prelude::*;

use crate::components::CsrfField;
use leptos_meta::Title;

use crate::server_fns::portals::{list_portals, AddPortalMember, CreatePortal, RemovePortalMember};
use crate::types::PortalRowView;

/// Portals and their members: a "portal members" share admits only an active member, and
/// removing a member revokes their shares in that portal.
#[component]
pub fn PortalsPage() -> impl IntoView {
    let create = ServerAction::<CreatePortal>::new();
    let add = ServerAction::<AddPortalMember>::new();
    let remove = ServerAction::<RemovePortalMember>::new();
    let portals = Resource::new(
        move || {
            (
                create.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| list_portals(),
    );
    let error = move || {
        [
            create.value().get().and_then(|r| r.err()),
            add.value().get().and_then(|r| r.err()),
            remove.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| crate::error_text(&e))
    };
    let removed = move || remove.value().get().and_then(|r| r.ok());
    view! {
        <Title text="Portals · Liaison"/>
        <h1>"Portals"</h1>
        <p class="muted">"Share with a portal's members: each member proves their address with a code, and removing a member revokes their shares in that portal at once."</p>
        {move || error().map(|e| view! { <p class="error" role="alert" data-testid="portals-error">{e}</p> })}
        {move || removed().map(|n| view! { <p class="notice" role="status">{format!("Member removed; {n} share(s) revoked.")}</p> })}
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
                    match portals.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No portal yet."</p> }.into_any(),
                        Ok(list) => list
                            .into_iter()
                            .map(|p| view! { <Portal portal=p add remove/> })
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
    add: ServerAction<AddPortalMember>,
    remove: ServerAction<RemovePortalMember>,
) -> impl IntoView {
    let portal_id = portal.id.clone();
    view! {
        <section class="panel partner" data-testid="portal">
            <h2>{portal.name.clone()}</h2>
            {if portal.members.is_empty() {
                view! { <p class="empty">"No members yet."</p> }.into_any()
            } else {
                view! {
                    <table class="members">
                        <thead><tr><th>"Member"</th><th>"Email"</th><th></th></tr></thead>
                        <tbody>{portal.members.into_iter().map(|m| {
                            let portal_id = portal_id.clone();
                            view! {
                                <tr data-testid="member">
                                    <td>{m.name}</td>
                                    <td>{m.email}</td>
                                    <td>
                                        <ActionForm action=remove attr:class="inline">
                                            <CsrfField/>
                                            <input type="hidden" name="portal_id" value=portal_id/>
                                            <input type="hidden" name="member_id" value=m.id/>
                                            <button type="submit" class="btn" data-testid="remove-member">"Remove and revoke"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            <ActionForm action=add attr:class="inline-form">
                <CsrfField/>
                <input type="hidden" name="portal_id" value=portal_id.clone()/>
                <label>"Name" <input type="text" name="name" required data-testid="member-name"/></label>
                <label>"Email" <input type="email" name="email" required data-testid="member-email"/></label>
                <button type="submit" class="btn">"Add member"</button>
            </ActionForm>
        </section>
    }
}
