use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::server_fns::flash::flash_message;

/// The refusal a plain form post came back with, as an alert: when the page's `?error=`
/// says there is one, it is taken from the browser's own flash cookie (see
/// `crate::flash`), so a crafted link cannot put words in the page's mouth.
#[component]
pub fn FlashError(#[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    let query = use_query_map();
    let message = Resource::new(
        move || query.read().get("error").is_some(),
        |flagged| async move {
            if flagged {
                flash_message().await.ok().flatten()
            } else {
                None
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
