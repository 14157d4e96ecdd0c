use leptos::prelude::*;

use super::CsrfField;

use crate::server_fns::shares::RevokeShare;

/// "Revoke" asks for confirmation before it acts. The first button is `type="button"` and
/// only works once the page has hydrated; the confirm step is a real form.
#[component]
pub fn RevokeButton(
    action: ServerAction<RevokeShare>,
    id: String,
    recipient: String,
) -> impl IntoView {
    let (confirming, set_confirming) = signal(false);
    move || {
        if confirming.get() {
            let id = id.clone();
            view! {
                <div class="confirm" role="alertdialog" aria-label="Confirm revocation">
                    <span>{format!("Revoke {recipient}'s access now?")}</span>
                    <ActionForm action=action attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="btn btn-danger" data-testid="confirm-revoke">"Confirm revoke"</button>
                    </ActionForm>
                    <button type="button" class="btn" on:click=move |_| set_confirming.set(false)>"Cancel"</button>
                </div>
            }
            .into_any()
        } else {
            view! {
                <button type="button" class="btn btn-danger-outline" data-testid="revoke"
                    on:click=move |_| set_confirming.set(true)>
                    "Revoke"
                </button>
            }
            .into_any()
        }
    }
}
