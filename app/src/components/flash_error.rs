use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::server_fns::flash::flash_message;

/// The refusal a plain form post came back with: the page's `?error=`, sealed by the
/// server, opened and shown as an alert. A token the server did not seal shows nothing, so
/// a crafted link cannot put words in the page's mouth.
#[component]
pub fn FlashError(#[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    let query = use_query_map();
    let message = Resource::new(
        move || query.read().get("error"),
        |token| async move {
            match token {
                Some(t) => flash_message(t).await.ok().flatten(),
                None => None,
            }
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                message.await.map(|m| view! { <p class="error" role="alert" data-testid=testid>{m}</p> })
            })}
        </Suspense>
    }
}
