use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::reviews::{default_action_label, recurrence_label, ReviewProgress};
use crate::components::{invalid as invalid_when, local_time, CsrfField, FieldError};
use crate::server_fns::reviews::{load_review, DecideReview, EndReview};
use crate::types::{QueueRowView, ReviewView};

const REASON: &[&str] = &["reason"];
const EXTEND: &[&str] = &["extend", "expires_at"];

fn flag_label(flag: &str) -> &'static str {
    match flag {
        "never_opened" => "Never opened",
        "no_response" => "No response",
        "sensitive_marking" => "TLP AMBER+STRICT or RED",
        "outside_partners" => "Outside any partner",
        "nearly_used" => "Opens nearly used",
        _ => "Flag",
    }
}

fn decision_label(decision: &str) -> &'static str {
    match decision {
        "keep" => "Kept",
        "extend" => "Extended",
        "revoke" => "Revoked",
        _ => "Decided",
    }
}

/// `/console/reviews/{id}`: a campaign's state and a page of the reviewer's queue
/// (`?show=pending|decided|all`, `everyone=1` for every reviewer's shares, `after=` the
/// keyset cursor), each undecided row with its decision form.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    // Bumped by a row's decision once it is saved: the queue and the progress reload.
    let decided = RwSignal::new(0u32);
    let end = ServerAction::<EndReview>::new();
    let review = Resource::new(
        move || {
            let q = query.read();
            (
                params.read().get("id").unwrap_or_default(),
                q.get("show").unwrap_or_else(|| "pending".into()),
                q.get("everyone").unwrap_or_default(),
                q.get("after").unwrap_or_default(),
                decided.get(),
                end.version().get(),
            )
        },
        |(id, show, everyone, after, _, _)| load_review(id, show, everyone, after),
    );
    let error = move || {
        end.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::error_text(&e))
    };
    let ended = move || end.value().get().and_then(|r| r.ok());
    view! {
        <Title text="Access review · Liaison"/>
        <p><a href="/console/reviews">"← Access reviews"</a></p>
        {move || error().map(|e| view! { <p class="error" role="alert" data-testid="review-error">{e}</p> })}
        {move || ended().map(|closed| view! {
            <p class="notice" role="status" data-testid="review-ending">
                {if closed {
                    "Ended: the undecided shares got the default action and the review is closed."
                } else {
                    "Ending: the remaining undecided shares get the default action within a minute, then the review closes."
                }}
            </p>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match review.await {
                    Ok(r) => view! { <Review r decided end/> }.into_any(),
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Review(r: ReviewView, decided: RwSignal<u32>, end: ServerAction<EndReview>) -> impl IntoView {
    let query = use_query_map();
    let show = query
        .read_untracked()
        .get("show")
        .unwrap_or_else(|| "pending".into());
    let everyone = query
        .read_untracked()
        .get("everyone")
        .is_some_and(|v| v == "1");
    let c = r.campaign.clone();
    let open = c.status == "open";
    let id = c.id.clone();
    let next = r.next_after.clone().map(|after| {
        format!(
            "/console/reviews/{id}?show={show}{}&after={after}",
            if everyone { "&everyone=1" } else { "" }
        )
    });
    let option = |value: &'static str, label: &'static str, current: &str| {
        let selected = current == value;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let show_reviewer = everyone;
    view! {
        <h1>{c.name.clone()} " " <span class=if open { "badge badge-active" } else { "badge" } data-testid="review-status">{if open { "Open" } else { "Closed" }}</span></h1>
        <dl class="facts">
            <dt>"Shares"</dt><dd>{c.scope_text.clone()}</dd>
            <dt>"Reviewers"</dt><dd>{c.reviewer_text.clone()}</dd>
            <dt>"Due"</dt><dd>{local_time(&c.due_at)}</dd>
            <dt>"At the due date"</dt><dd>{default_action_label(&c.default_action)}</dd>
            <dt>"Runs"</dt><dd>{recurrence_label(&c.recurrence)}</dd>
            <dt>"Started by"</dt><dd>{c.created_by.clone()}</dd>
            <dt>"Progress"</dt><dd><ReviewProgress items=c.items pending=c.pending/></dd>
        </dl>
        <div class="button-row">
            {r.sees_everyone.then(|| view! {
                <a class="btn" rel="external" href=format!("/console/reviews/{}/report?format=csv", c.id) data-testid="report-csv">"Outcome report (CSV)"</a>
                <a class="btn" rel="external" href=format!("/console/reviews/{}/report?format=jsonl", c.id) data-testid="report-jsonl">"Outcome report (JSON Lines)"</a>
            })}
            {(r.may_manage && open).then(|| view! { <EndNow id=c.id.clone() end recurring=c.recurrence != "once"/> })}
        </div>
        <form method="get" class="filters" action=format!("/console/reviews/{}", c.id)>
            <label>"Show"
                <select name="show" data-testid="queue-show">
                    {option("pending", "Undecided", &show)}
                    {option("decided", "Decided", &show)}
                    {option("all", "All", &show)}
                </select>
            </label>
            {r.sees_everyone.then(|| view! {
                <label class="check"><input type="checkbox" name="everyone" value="1" checked=everyone data-testid="queue-everyone"/>" Every reviewer's shares"</label>
            })}
            <button type="submit" class="btn">"Show"</button>
        </form>
        {if r.items.is_empty() {
            view! { <p class="empty" data-testid="queue-empty">{if show == "pending" { "Nothing left to decide here." } else { "No shares to show." }}</p> }.into_any()
        } else {
            view! {
                <table class="stacked queue" data-testid="review-queue">
                    <thead><tr>
                        <th>"Recipient"</th><th>"Document"</th><th>"Shared"</th><th>"Opens"</th>
                        <th>"Flags"</th>{show_reviewer.then(|| view! { <th>"Reviewer"</th> })}<th>"Decision"</th>
                    </tr></thead>
                    <tbody>{r.items.into_iter().map(|i| view! {
                        <Row i campaign_id=id.clone() decided show_reviewer/>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a class="btn" href=href data-testid="queue-next">"Next page →"</a></p> })}
    }
}

#[component]
fn Row(
    i: QueueRowView,
    campaign_id: String,
    decided: RwSignal<u32>,
    show_reviewer: bool,
) -> impl IntoView {
    // Each row its own action, so a refusal shows on the row (and field) it is about.
    let decide = ServerAction::<DecideReview>::new();
    Effect::new(move |_| {
        if decide.value().get().is_some_and(|r| r.is_ok()) {
            decided.update(|n| *n += 1);
        }
    });
    let error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    let other = move || {
        error
            .get()
            .filter(|e| {
                !e.field
                    .as_deref()
                    .is_some_and(|f| REASON.contains(&f) || EXTEND.contains(&f))
            })
            .map(|e| crate::error_text(&e))
    };
    let reason_error = format!("review-reason-error-{}", i.share_id);
    let extend_error = format!("review-extend-error-{}", i.share_id);
    let opens = if i.max_access_count == 0 {
        format!("{} / unlimited", i.access_count)
    } else {
        format!("{} / {}", i.access_count, i.max_access_count)
    };
    let expires = i
        .expires_at
        .as_deref()
        .map(local_time)
        .unwrap_or_else(|| "never".into());
    let outcome = i.decision.clone().map(|d| {
        let by = if i.auto_applied {
            "by the default action".to_owned()
        } else {
            i.decided_by.clone().map(|b| format!("by {b}")).unwrap_or_default()
        };
        view! {
            <strong data-testid="decision">{decision_label(&d)}</strong>
            <div class="muted small">{by}</div>
            {(!i.reason.is_empty()).then(|| view! { <div class="small reason">{i.reason.clone()}</div> })}
        }
    });
    let may_extend = i.may_extend;
    let form = i.may_decide.then(|| {
        let (campaign_id, share_id) = (campaign_id.clone(), i.share_id.clone());
        view! {
            <ActionForm action=decide attr:class="review-decision">
                <CsrfField/>
                <input type="hidden" name="campaign_id" value=campaign_id/>
                <input type="hidden" name="share_id" value=share_id/>
                <label>"Decision"
                    <select name="decision" data-testid="review-decision">
                        <option value="keep">"Keep"</option>
                        {may_extend.then(|| view! { <option value="extend">"Extend"</option> })}
                        <option value="revoke">"Revoke"</option>
                    </select>
                </label>
                {may_extend.then(|| view! {
                    <label>"Extend to"
                        <select name="extend" data-testid="review-extend"
                            aria-invalid=invalid_when(error, EXTEND) aria-describedby=extend_error.clone()>
                            <option value="7d">"7 days from now"</option>
                            <option value="14d">"14 days from now"</option>
                            <option value="30d" selected>"30 days from now"</option>
                        </select>
                        <FieldError error fields=EXTEND id=extend_error.clone()/>
                    </label>
                })}
                <label>"Reason (required to revoke)"
                    <input name="reason" maxlength="500" data-testid="review-reason"
                        aria-invalid=invalid_when(error, REASON) aria-describedby=reason_error.clone()/>
                    <FieldError error fields=REASON id=reason_error.clone()/>
                </label>
                {move || other().map(|e| view! { <p class="error" role="alert" data-testid="review-error">{e}</p> })}
                <button type="submit" class="btn btn-primary" data-testid="review-decide">"Decide"</button>
            </ActionForm>
        }
    });
    view! {
        <tr data-testid="queue-row" data-share=i.share_id.clone()>
            <td data-label="Recipient">
                <a href=format!("/console/share/{}", i.share_id)>{i.recipient_name.clone()}</a>
                <div class="muted small">{i.recipient_email.clone()}</div>
            </td>
            <td data-label="Document">{i.document_title.clone()}<div class="muted small">{i.tlp.clone()}</div></td>
            <td data-label="Shared" class="small">{local_time(&i.created_at)} " by " {i.created_by.clone()}
                <div class="muted small">{format!("expires {expires}")}</div></td>
            <td data-label="Opens" class="small">{opens}</td>
            <td data-label="Flags">
                <ul class="flags">{i.flags.iter().map(|f| view! {
                    <li class="flag" data-flag=f.clone()>{flag_label(f)}</li>
                }).collect_view()}</ul>
            </td>
            {show_reviewer.then(|| view! { <td data-label="Reviewer" class="small">{i.reviewer.clone()}</td> })}
            <td data-label="Decision">{outcome}{form}</td>
        </tr>
    }
}

/// "End now" asks for confirmation (a real form once confirmed), like revoking a share.
#[component]
fn EndNow(id: String, end: ServerAction<EndReview>, recurring: bool) -> impl IntoView {
    let (confirming, set_confirming) = signal(false);
    move || {
        if confirming.get() {
            let id = id.clone();
            view! {
                <div class="confirm" role="alertdialog" aria-label="Confirm ending the review">
                    <span>"Give every undecided share the default action now and close the review?"</span>
                    <ActionForm action=end attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        {recurring.then(|| view! {
                            <label class="check"><input type="checkbox" name="stop_series" data-testid="stop-series"/>" Start no further runs"</label>
                        })}
                        <button type="submit" class="btn btn-danger" data-testid="confirm-end-review">"End the review"</button>
                    </ActionForm>
                    <button type="button" class="btn" on:click=move |_| set_confirming.set(false)>"Cancel"</button>
                </div>
            }
            .into_any()
        } else {
            view! {
                <button type="button" class="btn btn-danger-outline" data-testid="end-review"
                    on:click=move |_| set_confirming.set(true)>"End now"</button>
            }
            .into_any()
        }
    }
}
