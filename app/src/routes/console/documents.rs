use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::server_fns::documents::list_documents;
use crate::types::{human_size, short_time, CurrentUser};

/// The document library and the upload form. Uploads are a plain multipart POST to
/// `/console/documents` (handled by the server, CSRF-checked), so they work without wasm.
#[component]
pub fn DocumentsPage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    let query = use_query_map();
    let docs = Resource::new(|| (), |_| list_documents());
    let error = move || query.read().get("error");
    let uploaded = move || query.read().get("uploaded").is_some();
    view! {
        <Title text="Documents · Liaison"/>
        <h1>"Documents"</h1>
        {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || uploaded().then(|| view! { <p class="notice" role="status">"Document uploaded."</p> })}
        <form method="post" action="/console/documents" enctype="multipart/form-data" class="upload">
            <input type="hidden" name="csrf" value=user.csrf.clone()/>
            <label>"Title" <input name="title" maxlength="200" placeholder="Defaults to the file name"/></label>
            <label>"File (PDF, image or text)" <input type="file" name="file" required accept=".pdf,.png,.jpg,.jpeg,.gif,.webp,.txt,text/plain,application/pdf,image/*"/></label>
            <button type="submit" class="btn btn-primary">"Upload"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match docs.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(d) if d.is_empty() => view! { <p class="empty">"No documents yet."</p> }.into_any(),
                    Ok(d) => view! {
                        <table data-testid="documents-table">
                            <thead><tr><th>"Title"</th><th>"File"</th><th>"Type"</th><th>"Size"</th><th>"Uploaded"</th></tr></thead>
                            <tbody>{d.into_iter().map(|d| view! {
                                <tr><td>{d.title}</td><td>{d.file_name}</td><td>{d.content_type}</td>
                                <td class="num">{human_size(d.size_bytes)}</td><td>{short_time(&d.created_at)}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
