//! A portal's members on the Portals page: each with their role and the day their
//! membership ends, changed in place; adding one; and the domains managers may add
//! members from.

use leptos::prelude::*;

use crate::components::{CsrfField, FieldError};
use crate::server_fns::portals::{
    AddPortalMember, ChangePortalMember, RemovePortalMember, SaveMemberDomains,
};
use crate::types::PortalMemberView;

/// The member forms' actions, shared by every portal on the page.
#[derive(Clone, Copy)]
pub struct MemberActions {
    pub add: ServerAction<AddPortalMember>,
    pub change: ServerAction<ChangePortalMember>,
    pub remove: ServerAction<RemovePortalMember>,
    pub domains: ServerAction<SaveMemberDomains>,
}

impl MemberActions {
    pub fn new() -> Self {
        Self {
            add: ServerAction::new(),
            change: ServerAction::new(),
            remove: ServerAction::new(),
            domains: ServerAction::new(),
        }
    }

    /// Changes whenever any of them completes (to reload the list).
    pub fn version(&self) -> (usize, usize, usize, usize) {
        (
            self.add.version().get(),
            self.change.version().get(),
            self.remove.version().get(),
            self.domains.version().get(),
        )
    }

    /// The last refusal of any of them.
    pub fn error(&self) -> Option<crate::error::AppError> {
        [
            self.add.value().get().and_then(|r| r.err()),
            self.change.value().get().and_then(|r| r.err()),
            self.remove.value().get().and_then(|r| r.err()),
            self.domains.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

fn role_label(role: &str) -> &'static str {
    match role {
        "manager" => "Manager",
        _ => "Member",
    }
}

const DOMAIN_FIELDS: &[&str] = &["member_domains"];

#[component]
pub fn Members(
    portal_id: String,
    members: Vec<PortalMemberView>,
    member_domains_text: String,
    actions: MemberActions,
) -> impl IntoView {
    let domains_error = Signal::derive(move || actions.domains.value().get().and_then(|r| r.err()));
    let domains_field = format!("member-domains-{portal_id}");
    let (add_portal, domains_portal) = (portal_id.clone(), portal_id.clone());
    let domains_open = !member_domains_text.is_empty();
    view! {
        <h3>"Members"</h3>
        {if members.is_empty() {
            view! { <p class="empty">"No members yet."</p> }.into_any()
        } else {
            view! {
                <table class="members">
                    <thead><tr>
                        <th scope="col">"Member"</th>
                        <th scope="col">"Role and end date"</th>
                        <th scope="col"><span class="sr-only">"Remove"</span></th>
                    </tr></thead>
                    <tbody>{members.into_iter().map(|m| view! {
                        <Member portal_id=portal_id.clone() member=m actions/>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
        <details class="panel-inner">
            <summary>"Add a member"</summary>
            <ActionForm action=actions.add>
                <CsrfField/>
                <input type="hidden" name="portal_id" value=add_portal/>
                <label>"Name" <input type="text" name="name" required data-testid="member-name"/></label>
                <label>"Email" <input type="email" name="email" required data-testid="member-email"/></label>
                <label>"Role"
                    <select name="role" data-testid="member-role">
                        <option value="member" selected>"Member — sees what is shared with them"</option>
                        <option value="manager">"Manager — may also add members from the domains below"</option>
                    </select>
                </label>
                <label>"Membership ends (optional)"
                    <input type="date" name="expires_on" data-testid="member-expires"/>
                </label>
                <button type="submit" class="btn" data-testid="add-member">"Add member"</button>
            </ActionForm>
        </details>
        <details class="panel-inner" open=domains_open>
            <summary>"Domains managers may add members from"</summary>
            <ActionForm action=actions.domains>
                <CsrfField/>
                <input type="hidden" name="portal_id" value=domains_portal/>
                <label>"Email domains, one per line (none: managers add no one)"
                    <textarea name="domains" rows="3" data-testid="member-domains"
                        aria-describedby=domains_field.clone()
                        placeholder="agency.example">{member_domains_text}</textarea>
                    <FieldError error=domains_error fields=DOMAIN_FIELDS id=domains_field/>
                </label>
                <button type="submit" class="btn" data-testid="save-member-domains">"Save domains"</button>
            </ActionForm>
        </details>
    }
}

/// One member's row: who, their role and end date (changed in place), and removal.
#[component]
fn Member(portal_id: String, member: PortalMemberView, actions: MemberActions) -> impl IntoView {
    let role_id = format!("role-{}", member.id);
    let end_id = format!("end-{}", member.id);
    let (role_for, end_for) = (role_id.clone(), end_id.clone());
    let is_manager = member.role == "manager";
    let (change_portal, change_member) = (portal_id.clone(), member.id.clone());
    let PortalMemberView {
        id,
        name,
        email,
        expires_on,
        added_by_manager,
        ..
    } = member;
    let row_email = email.clone();
    view! {
        <tr data-testid="member" data-email=row_email>
            <td data-label="Member">
                <strong>{name}</strong><br/>
                <span class="muted">{email}</span>
                {added_by_manager.map(|by| view! { <br/><span class="muted small">{format!("Added by {by}")}</span> })}
            </td>
            <td data-label="Role and end date">
                <ActionForm action=actions.change attr:class="change">
                    <CsrfField/>
                    <input type="hidden" name="portal_id" value=change_portal/>
                    <input type="hidden" name="member_id" value=change_member/>
                    <label for=role_for>"Role"
                        <select id=role_id name="role" data-testid="member-role-change">
                            <option value="member" selected=!is_manager>{role_label("member")}</option>
                            <option value="manager" selected=is_manager>{role_label("manager")}</option>
                        </select>
                    </label>
                    <label for=end_for>"Ends"
                        <input id=end_id type="date" name="expires_on" value=expires_on.unwrap_or_default() data-testid="member-expires-change"/>
                    </label>
                    <button type="submit" class="btn" data-testid="change-member">"Save"</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=actions.remove attr:class="inline">
                    <CsrfField/>
                    <input type="hidden" name="portal_id" value=portal_id/>
                    <input type="hidden" name="member_id" value=id/>
                    <button type="submit" class="btn" data-testid="remove-member">"Remove and revoke"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
