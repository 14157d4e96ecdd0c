use leptos::prelude::*;

use crate::components::{CsrfField, LocalTime, UploadForm};
use leptos_meta::Title;

use crate::server_fns::documents::list_documents;
use crate::server_fns::packages::{list_packages, ChangePackage, CreatePackage};
use crate::server_fns::policy::list_projects;
use crate::types::{human_size, CurrentUser, DocumentView, PackageRowView};

/// The document register (the current revision of each document) and the upload form.
/// Uploads are a multipart POST to `/console/documents` (handled by the server,
/// CSRF-checked) that works without wasm; once hydrated the form shows its progress.
#[component]
pub fn DocumentsPage() -> impl IntoView {
    let docs = Resource::new(|| (), |_| list_documents());
    let projects = Resource::new(|| (), |_| list_projects());
    let pages = use_context::<CurrentUser>()
        .map(|u| u.pages)
        .unwrap_or_default();
    view! {
        <Title text="Documents · Liaison"/>
        <h1>"Documents"</h1>
        <crate::components::FlashError testid="upload-error"/>
        {pages.upload.then(|| view! {
            <section class="panel" data-testid="upload">
                <h2>"Upload a document"</h2>
                <UploadForm action="/console/documents" submit_label="Upload">
                    <label>"Title" <input name="title" maxlength="200" placeholder="Defaults to the file name"/></label>
                    <label>"Document number (optional)" <input name="number" maxlength="50" placeholder="DOC-0042" data-testid="document-number"/></label>
                    <label>"Project (optional; its policy override binds the document's shares)"
                        <select name="project_id" data-testid="upload-project">
                            <option value="">"No project"</option>
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    projects.await.map(|p| p.projects).unwrap_or_default().into_iter().map(|p| view! {
                                        <option value=p.id>{p.name}</option>
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                    </label>
                    <label>"File (PDF, image or text)" <input type="file" name="file" required data-testid="upload-file" accept=".pdf,.png,.jpg,.jpeg,.gif,.webp,.txt,text/plain,application/pdf,image/*"/></label>
                </UploadForm>
            </section>
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match docs.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(d) if d.is_empty() => view! { <p class="empty">"No documents yet."</p> }.into_any(),
                    Ok(d) => view! {
                        <table data-testid="documents-table">
                            <thead><tr><th>"Number"</th><th>"Title"</th><th>"Revision"</th><th>"Project"</th><th>"Type"</th><th>"Size"</th><th>"Uploaded"</th></tr></thead>
                            <tbody>{d.into_iter().map(|d| view! {
                                <tr>
                                    <td>{d.number.unwrap_or_else(|| "—".into())}</td>
                                    <td><a href=format!("/console/documents/{}", d.id) data-testid="document-link">{d.title}</a>
                                        <div class="muted small">{d.file_name}</div></td>
                                    <td class="num" data-testid="document-revision">{d.revision}</td>
                                    <td>{d.project.unwrap_or_else(|| "—".into())}</td>
                                    <td class="small">{d.content_type}</td>
                                    <td class="num">{human_size(d.size_bytes)}</td><td><LocalTime at=d.created_at.clone()/></td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        <Packages/>
    }
}

/// Document packages: curated sets shared as one item. A share covers what its package
/// held when it was made.
#[component]
fn Packages() -> impl IntoView {
    let create = ServerAction::<CreatePackage>::new();
    let change = ServerAction::<ChangePackage>::new();
    let packages = Resource::new(
        move || (create.version().get(), change.version().get()),
        |_| list_packages(),
    );
    let docs = Resource::new(|| (), |_| list_documents());
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| change.value().get().and_then(|r| r.err()))
            .map(|e| crate::error_text(&e))
    };
    view! {
        <section class="panel" data-testid="packages">
            <h2>"Document packages"</h2>
            <p class="muted small">"A package is shared as one item; a share covers the documents the package holds when it is made."</p>
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <ActionForm action=create attr:class="inline">
                <CsrfField/>
                <input name="name" required maxlength="200" placeholder="Package name" data-testid="package-name"/>
                <button type="submit" class="btn">"Create package"</button>
            </ActionForm>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new({
                    async move {
                        match (packages.await, docs.await) {
                            (Err(e), _) | (_, Err(e)) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                            (Ok(bundles), Ok(docs)) => bundles.packages.into_iter().map(|p| view! {
                                <Package package=p docs=docs.clone() change/>
                            }).collect_view().into_any(),
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Package(
    package: PackageRowView,
    docs: Vec<DocumentView>,
    change: ServerAction<ChangePackage>,
) -> impl IntoView {
    let title = |id: &str| {
        docs.iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_owned(), |d| d.title.clone())
    };
    let held: Vec<(String, String)> = package
        .documents
        .iter()
        .map(|id| (id.clone(), title(id)))
        .collect();
    let addable: Vec<DocumentView> = docs
        .iter()
        .filter(|d| !package.documents.contains(&d.id))
        .cloned()
        .collect();
    let id2 = package.id.clone();
    view! {
        <article class="package" data-testid="package">
            <h3>{package.name.clone()} " " <span class="muted small">{format!("{} documents", held.len())}</span></h3>
            <ul>
                {held.into_iter().map(|(doc_id, doc_title)| {
                    let package_id = package.id.clone();
                    view! {
                        <li data-testid="package-document">{doc_title}" "
                            <ActionForm action=change attr:class="inline">
                                <CsrfField/>
                                <input type="hidden" name="package_id" value=package_id/>
                                <input type="hidden" name="document_id" value=doc_id/>
                                <input type="hidden" name="action" value="remove"/>
                                <button type="submit" class="btn btn-link">"Remove"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(!addable.is_empty()).then(|| view! {
                <ActionForm action=change attr:class="inline">
                    <CsrfField/>
                    <input type="hidden" name="package_id" value=id2/>
                    <input type="hidden" name="action" value="add"/>
                    <select name="document_id" data-testid="package-add-document">
                        {addable.into_iter().map(|d| view! { <option value=d.id>{d.title}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="btn" data-testid="package-add">"Add to package"</button>
                </ActionForm>
            })}
        </article>
    }
}
