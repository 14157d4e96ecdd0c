use crate::components::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::outbox::list_outbox;

/// Outgoing mail: delivery status per message; without SMTP configured, the mail itself.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let mails = Resource::new(|| (), |_| list_outbox());
    view! {
        <Title text="Outbox · Liaison"/>
        <h1>"Outbox"</h1>
        <p class="muted">"Mail is queued with the change that causes it and delivered in the background. Without an SMTP server (LIAISON_SMTP_HOST) it stays here as local mail."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match mails.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No mail yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="audit" data-testid="outbox-table">
                            <thead><tr><th>"Queued"</th><th>"Kind"</th><th>"To"</th><th>"Subject"</th><th>"Status"</th></tr></thead>
                            <tbody>{list.into_iter().map(|m| view! {
                                <tr>
                                    <td class="small"><LocalTime at=m.created_at.clone()/></td>
                                    <td><code>{m.kind}</code></td>
                                    <td class="small">{m.to}</td>
                                    <td>
                                        {m.subject}
                                        {m.body_text.map(|t| view! { <details><summary>"Show mail"</summary><pre class="mail-body" data-testid="mail-body">{t}</pre></details> })}
                                    </td>
                                    <td class="small" data-testid="mail-status">
                                        {m.status}
                                        {(m.attempts > 1).then(|| format!(" after {} attempts", m.attempts))}
                                        {m.last_error.map(|e| view! { <div class="muted">{e}</div> })}
                                    </td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
