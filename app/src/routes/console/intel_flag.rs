//! The "Criminal intelligence (28 CFR Part 23)" panel of a document's or record's console
//! page: the item's flag (submitting agency, source reliability, content validity,
//! submission and review dates) and the form that sets or changes it.

use leptos::prelude::*;

use crate::components::{invalid, local_time, CsrfField, FieldError};
use crate::server_fns::intelligence::{RemoveFlag, SaveFlag};
use crate::types::FlagRowView;

const RELIABILITY: [(&str, &str); 4] = [
    ("A", "A: reliable"),
    ("B", "B: usually reliable"),
    ("C", "C: unreliable"),
    ("D", "D: reliability unknown"),
];
const VALIDITY: [(&str, &str); 4] = [
    ("1", "1: confirmed"),
    ("2", "2: probably true"),
    ("3", "3: doubtfully true"),
    ("4", "4: cannot be judged"),
];

const AGENCY: &[&str] = &["submitting_agency"];
const SUBMITTED: &[&str] = &["submitted_at"];
const REASON: &[&str] = &["reason"];

/// The panel for item `id` of `kind` (document or record), starting from its `flag` as
/// the page loaded it (the panel makes no resource of its own: it lives inside the page's
/// async block, where hydration could not find one).
#[component]
pub fn IntelFlagPanel(kind: &'static str, id: String, flag: Option<FlagRowView>) -> impl IntoView {
    let save = ServerAction::<SaveFlag>::new();
    let remove = ServerAction::<RemoveFlag>::new();
    // The flag as it stands: the page's, then what the last save or removal left.
    let current = RwSignal::new(flag);
    Effect::new(move |_| {
        if let Some(Ok(f)) = save.value().get() {
            current.set(Some(f));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            current.set(None);
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let remove_error = Signal::derive(move || remove.value().get().and_then(Result::err));
    let stored = StoredValue::new(id);
    view! {
        <section class="panel" data-testid="intel-panel" aria-labelledby="intel-heading">
            <h2 id="intel-heading">"Criminal intelligence (28 CFR Part 23)"</h2>
            {move || {
                let f = current.get();
                let id = stored.get_value();
                let purged = f.as_ref().is_some_and(|f| f.purged_at.is_some());
                view! {
                    {flag_facts(f.clone())}
                    {(!purged).then(|| view! {
                        <details class="panel-inner">
                            <summary data-testid="intel-open">{if f.is_some() { "Change the flags" } else { "Flag as criminal intelligence" }}</summary>
                            <FlagForm kind id=id.clone() current=f.clone() save error/>
                        </details>
                    })}
                    {(f.is_some() && !purged).then(|| view! {
                        <details class="panel-inner">
                            <summary>"Take the flag off (flagged in error)"</summary>
                            <ActionForm action=remove attr:class="form-grid">
                                <CsrfField/>
                                <input type="hidden" name="kind" value=kind/>
                                <input type="hidden" name="id" value=id/>
                                <label>"Reason (kept in the audit log)"
                                    <textarea name="reason" rows="2" required aria-invalid=invalid(remove_error, REASON)></textarea>
                                </label>
                                <FieldError error=remove_error fields=REASON id="unflag-reason-error"/>
                                <button type="submit" class="btn btn-danger-outline">"Take the flag off"</button>
                                {move || remove_error.get().filter(|e| e.field.is_none()).map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
                            </ActionForm>
                        </details>
                    })}
                }
            }}
        </section>
    }
}

fn flag_facts(f: Option<FlagRowView>) -> AnyView {
    match f {
        None => view! {
            <p class="muted small" data-testid="intel-none">"Not flagged. Flagged items are shared only with law-enforcement partners, under a written justification, and reviewed every five years."</p>
        }
        .into_any(),
        Some(f) => view! {
            <dl class="facts" data-testid="intel-flag">
                <dt>"Submitting agency"</dt><dd>{f.submitting_agency.clone()}</dd>
                <dt>"Source reliability"</dt><dd>{f.reliability_label.clone()}</dd>
                <dt>"Content validity"</dt><dd>{f.validity_label.clone()}</dd>
                <dt>"Submitted"</dt><dd>{local_time(&f.submitted_at)}</dd>
                <dt>"Review due"</dt><dd>{local_time(&f.review_due)}
                    {f.due.then(|| view! { " " <span class="badge badge-warn">"due"</span> })}</dd>
                {f.purged_at.clone().map(|p| view! { <dt>"Purged"</dt><dd>{local_time(&p)}</dd> })}
            </dl>
        }
        .into_any(),
    }
}

#[component]
fn FlagForm(
    kind: &'static str,
    id: String,
    current: Option<FlagRowView>,
    save: ServerAction<SaveFlag>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let c = current.clone();
    let reliability = c.as_ref().map_or("D".to_owned(), |f| f.reliability.clone());
    let validity = c.as_ref().map_or("4".to_owned(), |f| f.validity.clone());
    view! {
        <ActionForm action=save attr:class="form-grid" attr:data-testid="intel-form">
            <CsrfField/>
            <input type="hidden" name="kind" value=kind/>
            <input type="hidden" name="id" value=id/>
            <label>"Submitting agency"
                <input type="text" name="submitting_agency" required maxlength="200" data-testid="intel-agency"
                    value=c.as_ref().map(|f| f.submitting_agency.clone()).unwrap_or_default()
                    aria-invalid=invalid(error, AGENCY)/>
            </label>
            <FieldError error fields=AGENCY id="intel-agency-error"/>
            <fieldset class="choices" data-testid="intel-reliability">
                <legend>"Source reliability"</legend>
                {RELIABILITY.into_iter().map(|(v, label)| view! {
                    <label class="check"><input type="radio" name="reliability" value=v checked=reliability == v/><span>{label}</span></label>
                }).collect_view()}
            </fieldset>
            <fieldset class="choices" data-testid="intel-validity">
                <legend>"Content validity"</legend>
                {VALIDITY.into_iter().map(|(v, label)| view! {
                    <label class="check"><input type="radio" name="validity" value=v checked=validity == v/><span>{label}</span></label>
                }).collect_view()}
            </fieldset>
            <label>"Submitted on (blank: today)"
                <span class="hint">"The review falls five years after it."</span>
                <input type="date" name="submitted_on" data-testid="intel-submitted"
                    value=c.as_ref().map(|f| f.submitted_at.get(..10).unwrap_or_default().to_owned()).unwrap_or_default()
                    aria-invalid=invalid(error, SUBMITTED)/>
            </label>
            <FieldError error fields=SUBMITTED id="intel-submitted-error"/>
            <button type="submit" class="btn btn-primary" data-testid="intel-save">
                {if current.is_some() { "Save the flags" } else { "Flag as criminal intelligence" }}
            </button>
            {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
        </ActionForm>
    }
}
