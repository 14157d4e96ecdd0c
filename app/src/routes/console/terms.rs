use leptos::prelude::*;
use leptos_meta::Title;

use super::settings::PolicyNav;
use crate::components::{CsrfField, LocalTime};
use crate::server_fns::policy::{load_terms_page, PublishTerms};
use crate::types::CurrentUser;

/// Legal terms: publish a version (versions never change), read each, and see which guest
/// accepted which version, when.
#[component]
pub fn TermsPage() -> impl IntoView {
    let publish = ServerAction::<PublishTerms>::new();
    let data = Resource::new(move || publish.version().get(), |_| load_terms_page());
    let admin = use_context::<CurrentUser>().is_some_and(|u| u.pages.policy);
    let result = move || {
        publish.value().get().map(|r| match r {
            Ok(()) => view! { <p class="notice" role="status" data-testid="terms-published">"Published. Choose it in a share, or set it as a portal's terms."</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert" data-testid="terms-error">{crate::error_text(&e)}</p> }.into_any(),
        })
    };
    view! {
        <Title text="Legal terms · Liaison"/>
        <h1>"Legal terms"</h1>
        <PolicyNav/>
        {admin.then(|| view! {
            <section class="panel">
                <h2>"Publish a version"</h2>
                {result}
                <ActionForm action=publish attr:class="form-grid">
                    <CsrfField/>
                    <label>"Version" <input name="version" required maxlength="50" placeholder="2026-12" data-testid="terms-version"/></label>
                    <label>"Text the guest accepts"
                        <textarea name="body" required rows="8" maxlength="50000" data-testid="terms-body"></textarea>
                    </label>
                    <button type="submit" class="btn btn-primary" data-testid="publish-terms">"Publish"</button>
                </ActionForm>
            </section>
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let v = match data.await {
                    Ok(v) => v,
                    Err(e) => return view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                };
                view! {
                    <h2>"Versions"</h2>
                    {v.versions.is_empty().then(|| view! { <p class="empty">"No terms published yet."</p> })}
                    {v.versions.into_iter().map(|t| view! {
                        <details class="panel" data-testid="terms-version-row">
                            <summary><strong>{t.version}</strong>" " <span class="muted small">"SHA-256 " <code>{t.sha256.get(..16).map(|h| format!("{h}…")).unwrap_or_default()}</code></span></summary>
                            <pre class="terms-text">{t.body}</pre>
                        </details>
                    }).collect_view()}
                    <h2>"Acceptances"</h2>
                    {if v.acceptances.is_empty() {
                        view! { <p class="empty">"No guest has accepted terms yet."</p> }.into_any()
                    } else {
                        view! {
                            <table data-testid="acceptances-table">
                                <thead><tr><th>"Guest"</th><th>"Version"</th><th>"Accepted"</th><th>"Share"</th></tr></thead>
                                <tbody>{v.acceptances.into_iter().map(|a| view! {
                                    <tr>
                                        <td>{a.recipient_name}<div class="muted small">{a.recipient_email}</div></td>
                                        <td>{a.version}</td>
                                        <td><LocalTime at=a.accepted_at.clone()/></td>
                                        <td>{a.share_id.map(|id| view! { <a href=format!("/console/share/{id}")>"Open share"</a> })}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}
