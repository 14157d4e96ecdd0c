use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::audit::{EventTypeSelect, LiveAuditEvents};
use super::shares::SharesTable;
use crate::components::{
    local_time, CsrfField, FlashError, LiveComments, LocalTime, UploadForm, Voice,
};
use crate::live::FeedKind;
use crate::server_fns::audit::list_audit;
use crate::server_fns::comments::{load_comment_access, staff_comments};
use crate::server_fns::documents::{load_document, MoveDocument};
use crate::types::{human_size, ConsolePages, CurrentUser, DocumentPageView, DocumentView};

/// The tabs of a document's page (`?tab=`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Shares,
    Comments,
    Activity,
    Revisions,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Shares, Tab::Comments, Tab::Activity, Tab::Revisions];

    fn parse(s: Option<&str>) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| Some(t.name()) == s)
            .unwrap_or(Tab::Shares)
    }

    fn name(self) -> &'static str {
        match self {
            Tab::Shares => "shares",
            Tab::Comments => "comments",
            Tab::Activity => "activity",
            Tab::Revisions => "revisions",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Shares => "Shares",
            Tab::Comments => "Comments",
            Tab::Activity => "Activity",
            Tab::Revisions => "Revisions",
        }
    }
}

/// A document of the register: its current revision, "Share with guest", a new revision
/// (with progress), its project, and tabs for its shares (the active shares table kept to
/// this document), its activity (filtered by event type or group) and its revisions.
#[component]
pub fn DocumentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let moved = ServerAction::<MoveDocument>::new();
    let doc = Resource::new(
        move || (id(), moved.version().get()),
        |(id, _)| load_document(id),
    );
    let pages = use_context::<CurrentUser>()
        .map(|u| u.pages)
        .unwrap_or_default();
    let done = move || {
        let q = query.read();
        if q.get("revised").is_some() {
            Some("New revision uploaded. Existing shares keep the revision they were made of.")
        } else if q.get("uploaded").is_some() {
            Some("Document uploaded.")
        } else {
            None
        }
    };
    view! {
        <FlashError testid="upload-error"/>
        {move || done().map(|m| view! { <p class="notice" role="status" data-testid="document-notice">{m}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match doc.await {
                    Err(e) => view! { <h1>"Document"</h1><p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(d) => view! { <Document doc=d pages moved/> }.into_any(),
                }
            })}
        </Suspense>
        // Outside the document's Suspense: each tab's own resources are made with the page,
        // not inside an async block (where hydration could not find them).
        <DocumentTabs id=Signal::derive(id) pages doc/>
    }
}

#[component]
fn Document(
    doc: DocumentPageView,
    pages: ConsolePages,
    moved: ServerAction<MoveDocument>,
) -> impl IntoView {
    let Some(current) = doc.revisions.first().cloned() else {
        return view! { <p class="error">"This document has no revisions."</p> }.into_any();
    };
    let id = current.id.clone();
    let facts = [
        current.number.clone().map(|n| format!("No. {n}")),
        Some(format!("Revision {}", current.revision)),
        current.project.clone().map(|p| format!("Project {p}")),
        Some(current.content_type.clone()),
        Some(human_size(current.size_bytes)),
        Some(format!("uploaded {}", local_time(&current.created_at))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <Title text=format!("{} · Documents · Liaison", current.title)/>
        <p class="crumbs"><a href="/console/documents">"Documents"</a></p>
        <div class="page-head">
            <div>
                <h1 data-testid="document-title">{current.title.clone()}</h1>
                <p class="muted" data-testid="document-facts">{facts}</p>
                <p class="muted small">"SHA-256 " <code>{current.sha256.clone()}</code></p>
            </div>
            {pages.share.then(|| view! {
                <a class="btn btn-primary" href=format!("/console/shares/new?document={id}") data-testid="share-with-guest">"Share with guest"</a>
            })}
        </div>
        <div class="panels">
            {pages.upload.then(|| view! { <RevisionPanel current=current.clone()/> })}
            {pages.policy.then(|| view! {
                <ProjectPanel id=current.id.clone() project_id=doc.project_id.clone() projects=doc.projects.clone() moved/>
            })}
            <super::intel_flag::IntelFlagPanel kind="document" id=current.id.clone() flag=doc.intel.clone()/>
        </div>
    }
    .into_any()
}

/// Upload the next revision.
#[component]
fn RevisionPanel(current: DocumentView) -> impl IntoView {
    view! {
        <section class="panel" data-testid="new-revision">
            <h2>"Upload a new revision"</h2>
            <p class="muted small">"Shares already made keep the revision they cover; their guests are told a newer one exists."</p>
            <UploadForm action=format!("/console/documents/{}/revisions", current.id) submit_label="Upload revision">
                <label>"Title (empty: keep the current one)"
                    <input name="title" maxlength="200" placeholder=current.title.clone()/>
                </label>
                <label>"File (PDF, image or text)"
                    <input type="file" name="file" required data-testid="revision-file"
                        accept=".pdf,.png,.jpg,.jpeg,.gif,.webp,.txt,text/plain,application/pdf,image/*"/>
                </label>
            </UploadForm>
        </section>
    }
    .into_any()
}

/// File the document under a project (administrators).
#[component]
fn ProjectPanel(
    id: String,
    project_id: Option<String>,
    projects: Vec<(String, String)>,
    moved: ServerAction<MoveDocument>,
) -> impl IntoView {
    let move_error = move || {
        moved
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| crate::error_text(&e))
    };
    view! {
        <section class="panel">
            <h2>"Project"</h2>
            <p class="muted small">"The project's policy override binds every share made of this document from their next access."</p>
            {move || move_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <ActionForm action=moved attr:class="form-grid">
                <CsrfField/>
                <input type="hidden" name="id" value=id/>
                <label>"Filed under"
                    <select name="project_id" data-testid="document-project">
                        <option value="" selected=project_id.is_none()>"No project"</option>
                        {projects.into_iter().map(|(pid, name)| {
                            let selected = project_id.as_ref() == Some(&pid);
                            view! { <option value=pid selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="btn">"Move"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn DocumentTabs(
    id: Signal<String>,
    pages: ConsolePages,
    doc: Resource<Result<DocumentPageView, crate::error::AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let tab = move || Tab::parse(query.read().get("tab").as_deref());
    view! {
        <nav class="tabs" aria-label="Document">
            {Tab::ALL.into_iter().map(|t| view! {
                <a href=move || format!("/console/documents/{}?tab={}", id.get(), t.name())
                    aria-current=move || (tab() == t).then_some("page")
                    data-testid=format!("tab-{}", t.name())>{t.label()}</a>
            }).collect_view()}
        </nav>
        {move || match tab() {
            Tab::Shares => view! {
                <SharesTable path=format!("/console/documents/{}", id.get()) document=Some(id.get())/>
            }.into_any(),
            Tab::Comments => view! { <DocumentComments id=id.get()/> }.into_any(),
            Tab::Activity if pages.audit => view! { <Activity id=id.get()/> }.into_any(),
            Tab::Activity => view! { <p class="muted">"The activity of a document is read from the audit log, which administrators and auditors see."</p> }.into_any(),
            Tab::Revisions => view! {
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match doc.await {
                            Ok(d) => view! { <RevisionTable revisions=d.revisions/> }.into_any(),
                            Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            }.into_any(),
        }}
    }
    .into_any()
}

/// The comments on this revision of the document: every thread, whoever reads it.
#[component]
fn DocumentComments(id: String) -> impl IntoView {
    let first = {
        let id = id.clone();
        Resource::new(move || id.clone(), |id| staff_comments(id, None, 0))
    };
    let access = {
        let id = id.clone();
        Resource::new(move || id.clone(), load_comment_access)
    };
    view! {
        <p class="muted small">"Comments belong to the revision they were written on; each thread is read by the shares it names, or by staff only."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    match (first.await, access.await) {
                        (Ok(first), Ok(access)) => view! {
                            <LiveComments document=id voice=Voice::Staff access first/>
                        }.into_any(),
                        (Err(e), _) | (_, Err(e)) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The document's audit events, filtered by event type or group.
#[component]
fn Activity(id: String) -> impl IntoView {
    let query = use_query_map();
    let kind = move || query.read().get("event_type").filter(|v| !v.is_empty());
    let action = format!("/console/documents/{id}");
    let events = {
        let id = id.clone();
        Resource::new(kind, move |k| list_audit(k, Some(id.clone()), None))
    };
    view! {
        <form method="get" action=action class="filters">
            <input type="hidden" name="tab" value="activity"/>
            <EventTypeSelect selected=Signal::derive(kind)/>
            <button type="submit" class="btn" data-testid="filter-activity">"Filter"</button>
        </form>
        <LiveAuditEvents kind=FeedKind::Document id event_type=Signal::derive(kind) events/>
    }
}

#[component]
fn RevisionTable(revisions: Vec<DocumentView>) -> AnyView {
    view! {
        <table data-testid="revisions-table">
            <thead><tr><th>"Revision"</th><th>"Title"</th><th>"File"</th><th>"Size"</th><th>"SHA-256"</th><th>"Uploaded"</th></tr></thead>
            <tbody>{revisions.into_iter().map(|d| view! {
                <tr>
                    <td class="num">{d.revision}</td><td>{d.title}</td><td>{d.file_name}</td>
                    <td class="num">{human_size(d.size_bytes)}</td>
                    <td class="small"><code>{d.sha256.get(..16).map(|h| format!("{h}…")).unwrap_or_default()}</code></td>
                    <td><LocalTime at=d.created_at.clone()/></td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}
