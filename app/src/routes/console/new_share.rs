use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::documents::list_documents;
use crate::server_fns::shares::CreateShare;
use crate::types::CurrentUser;

/// Create a link share for a named recipient. The link is shown once, here, after creation.
#[component]
pub fn NewSharePage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    let docs = Resource::new(|| (), |_| list_documents());
    let action = ServerAction::<CreateShare>::new();
    let default_expiry = default_expiry_date();
    view! {
        <Title text="Share a document · Liaison"/>
        <h1>"Share a document"</h1>
        {move || action.value().get().map(|r| match r {
            Ok(created) => view! {
                <section class="created" data-testid="created-share">
                    <h2>{format!("Link created for {}", created.recipient_name)}</h2>
                    <p>"Copy it now: for security the link is not stored and cannot be shown again."</p>
                    <input class="link" readonly value=created.url.clone() data-testid="share-url"/>
                    <p><a href="/console">"Back to active shares"</a></p>
                </section>
            }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                let csrf = user.csrf.clone();
                let default_expiry = default_expiry.clone();
                async move {
                let docs = match docs.await {
                    Ok(d) => d,
                    Err(e) => return view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                };
                if docs.is_empty() {
                    return view! { <p class="empty">"Upload a document first: " <a href="/console/documents">"Documents"</a></p> }.into_any();
                }
                view! {
                    <ActionForm action=action attr:class="form-grid">
                        <input type="hidden" name="csrf" value=csrf/>
                        <label>"Document"
                            <select name="document_id" required>
                                {docs.into_iter().map(|d| view! { <option value=d.id>{d.title}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>"Recipient name" <input name="recipient_name" required maxlength="200"/></label>
                        <label>"Recipient email" <input type="email" name="recipient_email" required/></label>
                        <label>"Expires at the end of (UTC)" <input type="date" name="expires_on" value=default_expiry/></label>
                        <label>"Maximum number of opens (0 = unlimited)" <input type="number" name="max_access_count" min="0" value="0"/></label>
                        <label class="check"><input type="checkbox" name="require_acknowledgement" checked/>" Require the recipient to accept an acknowledgement first"</label>
                        <button type="submit" class="btn btn-primary">"Create link"</button>
                    </ActionForm>
                }.into_any()
            }})}
        </Suspense>
    }
}

/// Fourteen days from today, as the date input expects.
fn default_expiry_date() -> String {
    #[cfg(feature = "ssr")]
    {
        let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(14);
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let now = js_sys::Date::new_0();
        let later = js_sys::Date::new(&(now.get_time() + 14.0 * 86_400_000.0).into());
        format!(
            "{:04}-{:02}-{:02}",
            later.get_utc_full_year(),
            later.get_utc_month() + 1,
            later.get_utc_date()
        )
    }
}
