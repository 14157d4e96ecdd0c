//! Settings → the organisation's redaction rules: field names withheld from guests in
//! every record and custody event, whatever a single record marks.

use leptos::prelude::*;

use crate::components::{invalid, CsrfField, FieldError};
use crate::server_fns::records::{list_redaction_rules, AddRedactionRule, RemoveRedactionRule};

/// The rules, with add and remove for administrators (everyone else reads them).
#[component]
pub fn RedactionRules() -> impl IntoView {
    let add = ServerAction::<AddRedactionRule>::new();
    let remove = ServerAction::<RemoveRedactionRule>::new();
    let rules = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| list_redaction_rules(),
    );
    let add_error = Signal::derive(move || add.value().get().and_then(Result::err));
    let remove_error = move || remove.value().get().and_then(Result::err);
    view! {
        <section class="panel" data-testid="redaction-rules">
            <h2>"Fields withheld in every record"</h2>
            <p class="muted small">"A field of this name is never shown to a guest, in any record or custody event, at any depth — whatever the record itself marks. Names match without regard to case, spaces, dashes or underscores."</p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rules.await {
                        Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        Ok(v) => {
                            let may_change = v.may_change;
                            view! {
                                {if v.rules.is_empty() {
                                    view! { <p class="empty">"No rules: only each record's own marks withhold fields."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="rules" data-testid="rules-list">
                                            {v.rules.into_iter().map(|name| {
                                                let (shown, named) = (name.clone(), name.clone());
                                                view! {
                                                <li data-testid="rule" data-name=named>
                                                    <code>{shown}</code>
                                                    {may_change.then(move || view! {
                                                        <ActionForm action=remove attr:class="inline">
                                                            <CsrfField/>
                                                            <input type="hidden" name="field_name" value=name.clone()/>
                                                            <button type="submit" class="btn btn-link" data-testid="remove-rule"
                                                                aria-label=format!("Stop withholding {name}")>"Remove"</button>
                                                        </ActionForm>
                                                    })}
                                                </li>
                                            }}).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                {may_change.then(|| view! {
                                    <ActionForm action=add attr:class="form-grid">
                                        <CsrfField/>
                                        <label>"Field name"
                                            <input type="text" name="field_name" required maxlength="64" placeholder="informant"
                                                aria-invalid=invalid(add_error, &["field_name"]) data-testid="rule-name"/>
                                        </label>
                                        <FieldError error=add_error fields=&["field_name"] id="rule-name-error"/>
                                        <button type="submit" class="btn btn-primary" data-testid="add-rule">"Withhold everywhere"</button>
                                    </ActionForm>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            {move || remove_error().map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
        </section>
    }
}
