use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{invalid, local_time, CsrfField, FieldError};
use crate::server_fns::staff::{list_staff, ChangeStaff, InviteStaff};
use crate::types::StaffRowView;

const ROLES: [(&str, &str, &str); 3] = [
    (
        "admin",
        "Administrator",
        "everything, including staff, keys, policy and portals",
    ),
    (
        "controller",
        "Document controller",
        "shares documents, sees and revokes every share",
    ),
    (
        "auditor",
        "Auditor",
        "reads everything, including the audit log; changes nothing",
    ),
];

/// Users (administrators): invite staff, change roles, disable and enable, reset
/// passwords. The last active administrator cannot be demoted or disabled.
#[component]
pub fn UsersPage() -> impl IntoView {
    let invite = ServerAction::<InviteStaff>::new();
    let change = ServerAction::<ChangeStaff>::new();
    let staff = Resource::new(
        move || (invite.version().get(), change.version().get()),
        |_| list_staff(),
    );
    let invite_error = Signal::derive(move || invite.value().get().and_then(Result::err));
    let change_error = move || change.value().get().and_then(Result::err);
    view! {
        <Title text="Users · Liaison"/>
        <h1>"Users"</h1>
        <p class="muted">"Staff of your organisation who use this console. Changes take effect on their next request; disabling someone or resetting their password signs them out everywhere."</p>
        <section class="panel">
            <h2>"Invite a staff member"</h2>
            <ActionForm action=invite>
                <CsrfField/>
                <label>"Email"
                    <input type="email" name="email" required autocomplete="off"
                        aria-invalid=invalid(invite_error, &["email"])
                        aria-describedby="invite-email-error" data-testid="invite-email"/>
                    <FieldError error=invite_error fields=&["email"] id="invite-email-error"/>
                </label>
                <label>"Name"
                    <input type="text" name="name" required maxlength="120"
                        aria-invalid=invalid(invite_error, &["name"])
                        aria-describedby="invite-name-error" data-testid="invite-name"/>
                    <FieldError error=invite_error fields=&["name"] id="invite-name-error"/>
                </label>
                <fieldset class="choices">
                    <legend>"Role"</legend>
                    {ROLES.into_iter().map(|(value, label, what)| view! {
                        <label class="check">
                            <input type="radio" name="role" value=value checked={value == "controller"}
                                data-testid=format!("invite-role-{value}")/>
                            <span><strong>{label}</strong>" — "{what}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                <fieldset class="choices">
                    <legend>"Signs in with"</legend>
                    <label class="check">
                        <input type="radio" name="sign_in" value="password" checked=true data-testid="invite-password"/>
                        <span>"A password: we mail a one-time link to choose it (valid 7 days)"</span>
                    </label>
                    <label class="check">
                        <input type="radio" name="sign_in" value="idp" data-testid="invite-idp"/>
                        <span>"Your organisation's identity provider (no password)"</span>
                    </label>
                </fieldset>
                <FieldError error=invite_error fields=&["sign_in", "role"] id="invite-sign-in-error"/>
                <button type="submit" class="btn btn-primary" data-testid="invite-staff">"Send invitation"</button>
            </ActionForm>
            {move || invite.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="notice" role="status" data-testid="invite-sent">"Invitation queued. It is in the outbox until delivered."</p>
            })}
        </section>
        {move || change_error().map(|e| view! { <p class="error" role="alert" data-testid="staff-error">{crate::error_text(&e)}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match staff.await {
                    Err(e) => view! { <p class="error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(list) => view! { <StaffTable list change/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StaffTable(list: Vec<StaffRowView>, change: ServerAction<ChangeStaff>) -> impl IntoView {
    view! {
        <table class="stacked" data-testid="staff-table">
            <thead><tr><th scope="col">"Person"</th><th scope="col">"Role"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th></tr></thead>
            <tbody>{list.into_iter().map(|s| view! { <StaffRow s change/> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn StaffRow(s: StaffRowView, change: ServerAction<ChangeStaff>) -> impl IntoView {
    let role_id = format!("role-{}", s.id);
    let disabled = s.status == "disabled";
    let sign_in = if s.sign_in == "idp" {
        "Identity provider"
    } else {
        "Password"
    };
    let status = match &s.link_expires_at {
        Some(until) => format!("{} · link until {}", s.status_label, local_time(until)),
        None => s.status_label.clone(),
    };
    let (id_role, id_toggle, id_reset) = (s.id.clone(), s.id.clone(), s.id.clone());
    let may_reset = s.sign_in == "password" && !disabled;
    let role_for = role_id.clone();
    view! {
        <tr data-testid="staff-row" data-email=s.email.clone()>
            <td data-label="Person">
                <strong>{s.name.clone()}</strong>{s.you.then_some(" (you)")}<br/>
                <span class="muted">{s.email.clone()}</span><br/>
                <span class="muted small">{sign_in}</span>
            </td>
            <td data-label="Role">
                <ActionForm action=change attr:class="change">
                    <CsrfField/>
                    <input type="hidden" name="id" value=id_role/>
                    <input type="hidden" name="change" value="role"/>
                    <label for=role_for>"Role"
                        <select id=role_id name="role" data-testid="staff-role">
                            {ROLES.into_iter().map(|(value, label, _)| view! {
                                <option value=value selected={s.role == value}>{label}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="btn" data-testid="staff-role-save">"Change"</button>
                </ActionForm>
            </td>
            <td data-label="Status" data-testid="staff-status">{status}</td>
            <td data-label="Actions"><div class="actions">
                <ActionForm action=change attr:class="inline">
                    <CsrfField/>
                    <input type="hidden" name="id" value=id_toggle/>
                    <input type="hidden" name="change" value={if disabled { "enable" } else { "disable" }}/>
                    <button type="submit" class="btn" data-testid="staff-toggle">{if disabled { "Enable" } else { "Disable" }}</button>
                </ActionForm>
                {may_reset.then(|| view! {
                    <ActionForm action=change attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id_reset/>
                        <input type="hidden" name="change" value="reset_password"/>
                        <button type="submit" class="btn" data-testid="staff-reset">
                            {if s.status == "active" { "Reset password" } else { "Send a new link" }}
                        </button>
                    </ActionForm>
                })}
            </div></td>
        </tr>
    }
}
