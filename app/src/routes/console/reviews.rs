use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{
    current_offset_signal, invalid as invalid_when, offset_at, zone_label_signal, CsrfField,
    FieldError, LocalTime,
};
use crate::error::AppError;
use crate::server_fns::reviews::{list_reviews, StartReview};
use crate::types::{CampaignRowView, ReviewFormOptions};

/// "12 of 40 decided" with a bar; the numbers are the bar's accessible name.
#[component]
pub fn ReviewProgress(items: i64, pending: i64) -> impl IntoView {
    let decided = items - pending;
    let label = format!("{decided} of {items} decided");
    view! {
        <span class="review-progress">
            <progress max=items.max(1) value=decided aria-label=label.clone()></progress>
            <span class="small" data-testid="review-progress">{label}</span>
        </span>
    }
}

pub fn default_action_label(action: &str) -> &'static str {
    match action {
        "revoke" => "Revoke undecided shares",
        _ => "Keep undecided shares",
    }
}

pub fn recurrence_label(recurrence: &str) -> &'static str {
    match recurrence {
        "monthly" => "Every month",
        "quarterly" => "Every quarter",
        _ => "Once",
    }
}

/// `/console/reviews`: access review campaigns — open ones by due date, then closed —
/// and, for administrators, the form that starts one.
#[component]
pub fn ReviewsPage() -> impl IntoView {
    let start = ServerAction::<StartReview>::new();
    let page = Resource::new(move || start.version().get(), |_| list_reviews());
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = start.value().get() {
            navigate(&format!("/console/reviews/{id}"), Default::default());
        }
    });
    view! {
        <Title text="Access reviews · Liaison"/>
        <h1>"Access reviews"</h1>
        <p class="muted">"Each share in a review goes to a reviewer, who keeps, extends or revokes it with a reason. At the due date, undecided shares get the review's default action."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(p) => view! {
                        {p.form.map(|options| view! { <StartForm options start/> })}
                        <Campaigns campaigns=p.campaigns/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Campaigns(campaigns: Vec<CampaignRowView>) -> impl IntoView {
    if campaigns.is_empty() {
        return view! { <p class="empty">"No access review yet."</p> }.into_any();
    }
    view! {
        <table class="stacked" data-testid="reviews-table">
            <thead><tr>
                <th>"Review"</th><th>"Shares"</th><th>"Reviewers"</th><th>"Due"</th>
                <th>"Progress"</th><th>"Status"</th>
            </tr></thead>
            <tbody>{campaigns.into_iter().map(|c| view! {
                <tr data-testid="review-row" data-status=c.status.clone()>
                    <td data-label="Review"><a href=format!("/console/reviews/{}", c.id) data-testid="review-link">{c.name.clone()}</a>
                        <div class="muted small">{format!("{} · {}", recurrence_label(&c.recurrence), default_action_label(&c.default_action))}</div></td>
                    <td data-label="Shares" class="small">{c.scope_text.clone()}</td>
                    <td data-label="Reviewers" class="small">{c.reviewer_text.clone()}</td>
                    <td data-label="Due" class="small"><LocalTime at=c.due_at.clone()/></td>
                    <td data-label="Progress"><ReviewProgress items=c.items pending=c.pending/></td>
                    <td data-label="Status">{if c.status == "open" { "Open" } else { "Closed" }}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

const NAME: &[&str] = &["name"];
const DUE: &[&str] = &["due_at"];
const REVIEWER: &[&str] = &["reviewer_id", "reviewer_rule"];
const SCOPE: &[&str] = &[
    "scope.project_id",
    "scope.partner_id",
    "scope.tlp",
    "scope.created_by",
    "scope.created_before",
];

/// The form an administrator starts a campaign with.
#[component]
fn StartForm(options: ReviewFormOptions, start: ServerAction<StartReview>) -> impl IntoView {
    let error = Signal::derive(move || start.value().get().and_then(|r| r.err()));
    let other_error = move || {
        error.get().filter(|e: &AppError| {
            !e.field.as_deref().is_some_and(|f| {
                [NAME, DUE, REVIEWER, SCOPE]
                    .iter()
                    .any(|set| set.contains(&f))
            })
        })
    };
    let tz_offset = current_offset_signal();
    let tz_label = zone_label_signal();
    let select = |name: &'static str,
                  testid: &'static str,
                  none: &'static str,
                  items: Vec<(String, String)>| {
        view! {
            <select name=name data-testid=testid>
                <option value="">{none}</option>
                {items.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
            </select>
        }
    };
    let (rule, set_rule) = signal("creator".to_owned());
    view! {
        <details class="panel" open=false data-testid="start-review-panel">
            <summary><strong>"Start a review"</strong></summary>
            <ActionForm action=start attr:class="form-grid">
                <CsrfField/>
                <label>"Name"
                    <input name="name" required maxlength="200" placeholder="Quarterly external access" data-testid="review-name"
                        aria-invalid=invalid_when(error, NAME) aria-describedby="review-name-error"/>
                    <FieldError error fields=NAME id="review-name-error"/>
                </label>
                <fieldset>
                    <legend>"Which active shares"</legend>
                    <p class="hint">"All active shares, narrowed by any of these."</p>
                    <label>"Project" {select("project_id", "scope-project", "Any project", options.projects)}</label>
                    <label>"Recipients at partner" {select("partner_id", "scope-partner", "Any recipient", options.partners)}</label>
                    <label>"TLP marking"
                        <select name="tlp" data-testid="scope-tlp">
                            <option value="">"Any marking"</option>
                            {["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"].into_iter().map(|t| view! {
                                <option value=t>{format!("TLP:{t}")}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Created by" {select("created_by", "scope-creator", "Anyone", options.staff)}</label>
                    <label>"Created before"
                        <input type="date" name="created_before" data-testid="scope-before"/>
                    </label>
                    <FieldError error fields=SCOPE id="review-scope-error"/>
                </fieldset>
                <fieldset>
                    <legend>"Reviewers"</legend>
                    <div class="choices" role="radiogroup" aria-label="Who reviews">
                        <label class="check"><input type="radio" name="reviewer_rule" value="creator" checked
                            on:change=move |_| set_rule.set("creator".into())/>" Each share's creator"</label>
                        <label class="check"><input type="radio" name="reviewer_rule" value="project_controllers" data-testid="rule-project"
                            on:change=move |_| set_rule.set("project_controllers".into())/>" The controllers of each share's project"</label>
                        <label class="check"><input type="radio" name="reviewer_rule" value="named" data-testid="rule-named"
                            on:change=move |_| set_rule.set("named".into())/>" One person"</label>
                    </div>
                    <label hidden=move || rule.get() != "named">"Reviewer" {select("reviewer_id", "review-reviewer", "Choose…", options.reviewers)}</label>
                    <p class="hint">"Where the rule finds nobody (a disabled creator, a document in no project), you review the share."</p>
                    <FieldError error fields=REVIEWER id="review-reviewer-error"/>
                </fieldset>
                <label>{move || format!("Due (your time: {})", tz_label.get())}
                    <input type="datetime-local" name="due_at_local" required data-testid="review-due"
                        aria-invalid=invalid_when(error, DUE) aria-describedby="review-due-error"
                        on:input=move |ev| {
                            if let Some(offset) = offset_at(&event_target_value(&ev)) {
                                tz_offset.set(offset.to_string());
                            }
                        }/>
                    <FieldError error fields=DUE id="review-due-error"/>
                </label>
                <input type="hidden" name="tz_offset_minutes" value=tz_offset/>
                <label>"At the due date, undecided shares are"
                    <select name="default_action" data-testid="review-default">
                        <option value="keep">"Kept"</option>
                        <option value="revoke">"Revoked"</option>
                    </select>
                </label>
                <label>"Runs"
                    <select name="recurrence" data-testid="review-recurrence">
                        <option value="once">"Once"</option>
                        <option value="monthly">"Every month"</option>
                        <option value="quarterly">"Every quarter"</option>
                    </select>
                </label>
                <label>"Flag shares without a response after (days)"
                    <input type="number" name="no_response_days" min="1" max="365" value="14"/>
                </label>
                {move || other_error().map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
                <button type="submit" class="btn btn-primary" data-testid="start-review">"Start the review"</button>
            </ActionForm>
        </details>
    }
}
