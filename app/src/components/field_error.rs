use leptos::prelude::*;

use crate::error::AppError;

/// The message of `error` when it is about one of `fields` (the service's names for what
/// this form input carries), or `None`.
pub fn message_for(error: Option<AppError>, fields: &[&str]) -> Option<String> {
    error
        .filter(|e| e.field.as_deref().is_some_and(|f| fields.contains(&f)))
        .map(|e| e.message)
}

/// `aria-invalid` for an input while the last submission's refusal is about one of
/// `fields`: `aria-invalid=invalid(error, FIELDS)`.
pub fn invalid(
    error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
) -> impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static {
    move || message_for(error.get(), fields).map(|_| "true")
}

/// The last submission's refusal shown under the input it is about: `id` is what the
/// input names in `aria-describedby`, and the input is marked `aria-invalid` while it
/// shows (see [`message_for`]).
#[component]
pub fn FieldError(
    error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
    #[prop(into)] id: String,
) -> impl IntoView {
    move || {
        message_for(error.get(), fields).map(|m| {
            view! { <span class="field-error" id=id.clone() role="alert" data-testid=id.clone()>{m}</span> }
        })
    }
}
