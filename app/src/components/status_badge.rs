use leptos::prelude::*;

/// Active / Expired / Revoked (and a secret's Viewed, its views used up), coloured by
/// class.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let label = match status.as_str() {
        "active" => "Active",
        "expired" => "Expired",
        "revoked" => "Revoked",
        "burned" => "Viewed",
        _ => "Unknown",
    };
    view! { <span class=format!("badge badge-{status}")>{label}</span> }
}
