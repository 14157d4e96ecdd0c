use leptos::prelude::*;
use leptos_meta::Title;

use super::settings::{PolicyNav, METHODS, SCOPES, TLPS};
use crate::components::CsrfField;
use crate::server_fns::policy::{
    list_projects, CreateProject, SaveProject, SaveProjectControllers,
};
use crate::types::{PolicyView, ProjectView};

/// Projects and their policy overrides: a project may tighten the organisation's External
/// Access settings for its documents, never loosen them (the server refuses, naming the
/// setting). Each field shows the organisation's value beside it.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    // Bumped by a project's form when it saved: the list (and what is in effect) reloads.
    let saved = RwSignal::new(0u32);
    let data = Resource::new(
        move || (create.version().get(), saved.get()),
        |_| list_projects(),
    );
    let create_error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| crate::error_text(&e))
    };
    view! {
        <Title text="Projects · Liaison"/>
        <h1>"Projects"</h1>
        <PolicyNav/>
        <p class="muted">"A project's override tightens the organisation's settings for the documents filed under it. Empty fields follow the organisation."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let v = match data.await {
                    Ok(v) => v,
                    Err(e) => return view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                };
                let admin = v.organisation.is_admin;
                view! {
                    {admin.then(|| view! {
                        <ActionForm action=create attr:class="inline">
                            <CsrfField/>
                            <label>"New project " <input name="name" required maxlength="200" data-testid="project-name"/></label>
                            <button type="submit" class="btn" data-testid="create-project">"Create project"</button>
                        </ActionForm>
                    })}
                    {move || create_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    {v.projects.is_empty().then(|| view! { <p class="empty">"No projects yet."</p> })}
                    {v.projects.into_iter().map(|p| view! {
                        <Project project=p org=v.organisation.clone() saved reviewers=v.reviewers.clone()/>
                    }).collect_view()}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Project(
    project: ProjectView,
    org: PolicyView,
    saved: RwSignal<u32>,
    reviewers: Vec<(String, String)>,
) -> impl IntoView {
    let controllers = view! { <Controllers project=project.clone() reviewers saved/> };
    let save = ServerAction::<SaveProject>::new();
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok()) {
            saved.update(|n| *n += 1);
        }
    });
    let error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .map(|e| crate::error_text(&e))
    };
    let readonly = !org.is_admin;
    let yes_no = |v: Option<bool>, org_value: bool| {
        let org_label = if org_value { "yes" } else { "no" };
        [
            (
                "",
                format!("As the organisation ({org_label})"),
                v.is_none(),
            ),
            ("yes", "Yes".to_owned(), v == Some(true)),
            ("no", "No".to_owned(), v == Some(false)),
        ]
    };
    let number = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let effective = project.effective.clone();
    let has = |list: &[String], v: &str| list.iter().any(|x| x == v);
    view! {
        <section class="panel" data-testid="project">
            <h2>{project.name.clone()}</h2>
            <p class="muted small" data-testid="project-effective">{format!(
                "In effect: expiry {} days by default, at most {}; {} opens by default; up to TLP:{}.",
                effective.default_expiry_days, effective.max_expiry_days,
                if effective.default_max_access_count == 0 { "unlimited".to_owned() } else { effective.default_max_access_count.to_string() },
                effective.tlp_ceiling,
            )}</p>
            {move || error().map(|e| view! { <p class="error" role="alert" data-testid="project-error">{e}</p> })}
            <ActionForm action=save attr:class="form-grid policy">
                <CsrfField/>
                <input type="hidden" name="id" value=project.id.clone()/>
                <fieldset disabled=readonly>
                    <legend>"Expiry and opens"</legend>
                    <label>{format!("Default expiry in days (organisation: {})", org.default_expiry_days)}
                        <input type="number" name="default_expiry_days" min="1" value=number(project.default_expiry_days.map(i64::from))/>
                    </label>
                    <label>{format!("Longest expiry in days (organisation: at most {})", org.max_expiry_days)}
                        <input type="number" name="max_expiry_days" min="1" value=number(project.max_expiry_days.map(i64::from)) data-testid="project-max-expiry"/>
                    </label>
                    <label>{format!("Default opens, 0 = unlimited (organisation: {})", org.default_max_access_count)}
                        <input type="number" name="default_max_access_count" min="0" value=number(project.default_max_access_count)/>
                    </label>
                    <label>"Creators may choose another expiry"
                        <select name="allow_custom_expiry">
                            {yes_no(project.allow_custom_expiry, org.allow_custom_expiry).into_iter().map(|(v, l, s)| view! { <option value=v selected=s>{l}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Document controllers may override the defaults"
                        <select name="allow_controller_override">
                            {yes_no(project.allow_controller_override, org.allow_controller_override).into_iter().map(|(v, l, s)| view! { <option value=v selected=s>{l}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Every share shows the acknowledgement screen"
                        <select name="require_acknowledgement">
                            {yes_no(project.require_acknowledgement, org.require_acknowledgement).into_iter().map(|(v, l, s)| view! { <option value=v selected=s>{l}</option> }).collect_view()}
                        </select>
                    </label>
                </fieldset>
                <fieldset disabled=readonly>
                    <legend>"What may be shared, and how (only what the organisation allows is offered)"</legend>
                    {SCOPES.into_iter().filter(|(_, v, _)| has(&org.allowed_scopes, v)).map(|(field, value, label)| view! {
                        <label class="check"><input type="checkbox" name=field checked=has(&effective.allowed_scopes, value)/>" " {label}</label>
                    }).collect_view()}
                    {METHODS.into_iter().filter(|(_, v, _)| has(&org.allowed_methods, v)).map(|(field, value, label)| view! {
                        <label class="check"><input type="checkbox" name=field checked=has(&effective.allowed_methods, value)/>" " {label}</label>
                    }).collect_view()}
                    <label>{format!("Most sensitive marking allowed out (organisation: TLP:{})", org.tlp_ceiling)}
                        <select name="tlp_ceiling">
                            <option value="" selected=project.tlp_ceiling.is_none()>"As the organisation"</option>
                            {TLPS.into_iter().map(|t| view! {
                                <option value=t selected=project.tlp_ceiling.as_deref() == Some(t)>{format!("TLP:{t}")}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"A revoked link shows"
                        <select name="revoked_link">
                            <option value="" selected=project.revoked_link.is_none()>"As the organisation"</option>
                            <option value="message" selected=project.revoked_link.as_deref() == Some("message")>"\"This link has been revoked\""</option>
                            <option value="not_found" selected=project.revoked_link.as_deref() == Some("not_found")>"A plain \"not found\""</option>
                        </select>
                    </label>
                </fieldset>
                {(!readonly).then(|| view! { <button type="submit" class="btn btn-primary" data-testid="save-project">"Save project"</button> })}
            </ActionForm>
            {controllers}
        </section>
    }
}

/// Who reviews the project's shares when an access review says "the project's
/// controllers": administrators tick them; everyone else reads the names.
#[component]
fn Controllers(
    project: ProjectView,
    reviewers: Vec<(String, String)>,
    saved: RwSignal<u32>,
) -> impl IntoView {
    let save = ServerAction::<SaveProjectControllers>::new();
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok()) {
            saved.update(|n| *n += 1);
        }
    });
    let error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .map(|e| crate::error_text(&e))
    };
    let names = if project.controllers.is_empty() {
        "None named: its shares are reviewed by whoever starts the review.".to_owned()
    } else {
        project
            .controllers
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if reviewers.is_empty() {
        return view! { <p class="small" data-testid="project-controllers">"Controllers: " {names}</p> }.into_any();
    }
    let chosen: Vec<String> = project
        .controllers
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    view! {
        <ActionForm action=save attr:class="project-controllers">
            <CsrfField/>
            <input type="hidden" name="project_id" value=project.id.clone()/>
            <fieldset>
                <legend>"Controllers (they review this project's shares when a review says so)"</legend>
                {reviewers.into_iter().enumerate().map(|(n, (id, name))| {
                    let checked = chosen.contains(&id);
                    view! {
                        <label class="check"><input type="checkbox" name=format!("controllers[{n}]") value=id checked=checked
                            data-testid="project-controller"/>" " {name}</label>
                    }
                }).collect_view()}
            </fieldset>
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button type="submit" class="btn" data-testid="save-controllers">"Save controllers"</button>
        </ActionForm>
    }
    .into_any()
}
