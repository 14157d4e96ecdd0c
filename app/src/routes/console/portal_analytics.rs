//! `/console/portals/:id/analytics?days=7|30|90`: a portal's activity over time.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ActivityChart;
use crate::server_fns::analytics::load_portal_analytics;

#[component]
pub fn PortalAnalyticsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let analytics = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("days").unwrap_or_else(|| "30".into()),
            )
        },
        |(id, days)| load_portal_analytics(id, days),
    );
    view! {
        <Title text="Portal analytics · Liaison"/>
        <p><a href="/console/portals">"← Portals"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match analytics.await {
                    Err(e) => view! { <p class="error" role="alert" data-testid="analytics-error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(a) => view! {
                        <h1>{format!("Analytics of “{}”", a.subject)}</h1>
                        <p class="muted">"What this portal's guests did, day by day (UTC): opens of their links, unique guests (each recipient once a day; the total counts each once over the period), downloads, responses sent and refused attempts."</p>
                        <ActivityChart analytics=a/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
