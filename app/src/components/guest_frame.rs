use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};

use crate::types::BrandView;

/// Every guest screen sits in its portal's brand: the theme style sheet (colours that
/// reach WCAG AA, checked when the admin saved them), the logo or name at the top, and the
/// support contact and footer links at the bottom.
/// `title` names the screen; the tab reads "{title} · {portal name}".
#[component]
pub fn GuestFrame(brand: BrandView, title: &'static str, children: Children) -> impl IntoView {
    let BrandView {
        name,
        theme_path,
        logo,
        support,
        footer_links,
        ..
    } = brand;
    let mark = match logo {
        Some((src, width, height)) => view! {
            <img class="guest-logo" src=src alt=name.clone() width=(width / 2).max(1) height=(height / 2).max(1) data-testid="brand-logo"/>
        }
        .into_any(),
        None => view! { <span class="guest-name" data-testid="brand-name">{name.clone()}</span> }.into_any(),
    };
    view! {
        <Title text=format!("{title} · {}", title_safe(&name))/>
        {theme_path.map(|href| view! { <Stylesheet id="brand-theme" href=href/> })}
        <div class="guest" data-brand=name>
            <header class="guest-head">{mark}</header>
            {children()}
            <footer class="guest-foot" data-testid="brand-footer">
                {support.map(|(label, href)| view! {
                    <span>"Help: "<a href=href rel="external noopener noreferrer" data-testid="brand-support">{label}</a></span>
                })}
                {footer_links.into_iter().map(|(label, href)| view! {
                    <a href=href rel="external noopener noreferrer nofollow">{label}</a>
                }).collect_view()}
                <span class="muted small">"Secured by Liaison"</span>
            </footer>
        </div>
    }
}

/// The name as the tab title may carry it. `leptos_meta` writes the title into the page
/// without escaping it (0.8.7), so a brand name such as `</title><script>` would otherwise
/// become markup; dropping the characters that can start or end markup keeps it text.
fn title_safe(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '<' | '>' | '&'))
        .collect()
}
