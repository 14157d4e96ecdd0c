//! Data records in the console: the register (`/console/records`) and a record's page
//! (`/console/records/:id`) with its fields and what is withheld from guests, its custody
//! history, links, documents and shares. Records are created here
//! (`/console/records/new`) and edited on their page, or created and imported through
//! `POST /api/v1/records` (JSON or CSV).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::record_form::{RecordDraft, RecordForm};
use super::record_parts::{
    AttachForm, Choices, DocumentActions, EventActions, EventForm, LinkForm, RecordChanged,
    UnlinkButton,
};
use super::shares::SharesTable;
use crate::components::{local_time, LocalTime};
use crate::routes::portal::{custody_line, fields_view};
use crate::server_fns::documents::list_documents;
use crate::server_fns::records::{list_records, load_record};
use crate::types::{RecordPageView, RecordRowView, StaffEventView};

fn reference(r: &RecordRowView) -> String {
    r.reference.clone().unwrap_or_else(|| "—".into())
}

/// The register, filtered by the query string's `kind` and `q`.
#[component]
pub fn RecordsPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let records = Resource::new(
        move || (param("kind"), param("q")),
        |(kind, q)| list_records(kind, q),
    );
    view! {
        <Title text="Records · Liaison"/>
        <div class="page-head">
            <h1>"Data records"</h1>
            <div class="actions">
                <a class="btn" href="/console/records/import" data-testid="import-records">"Import CSV"</a>
                <a class="btn btn-primary" href="/console/records/new" data-testid="new-record">"New record"</a>
            </div>
        </div>
        <p class="muted">"Records are also imported through the API: "<code>"POST /api/v1/records"</code>" (JSON, or CSV with a column mapping)."</p>
        <form method="get" action="/console/records" class="filters" data-testid="records-filter">
            <label>"Title or reference" <input name="q" value=move || param("q") maxlength="100"/></label>
            <label>"Kind"
                <select name="kind">
                    {[("", "All kinds"), ("item", "Items"), ("location", "Locations"), ("organisation", "Organisations")].into_iter().map(|(v, label)| {
                        view! { <option value=v selected=move || param("kind") == v>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="btn">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match records.await {
                    Err(e) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(r) if r.is_empty() => view! { <p class="empty">"No records match."</p> }.into_any(),
                    Ok(r) => view! {
                        <table data-testid="records-table">
                            <thead><tr><th>"Reference"</th><th>"Title"</th><th>"Kind"</th><th>"Type"</th><th>"Changed"</th></tr></thead>
                            <tbody>{r.into_iter().map(|r| view! {
                                <tr>
                                    <td>{reference(&r)}</td>
                                    <td><a href=format!("/console/records/{}", r.id) data-testid="record-link">{r.title.clone()}</a></td>
                                    <td>{r.kind.clone()}</td>
                                    <td>{r.record_type.clone()}</td>
                                    <td><LocalTime at=r.updated_at.clone()/></td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A new record: its kind, type, title, reference, fields and what guests never see.
#[component]
pub fn NewRecordPage() -> impl IntoView {
    view! {
        <Title text="New record · Liaison"/>
        <p class="muted small"><a href="/console/records">"Data records"</a></p>
        <h1>"New record"</h1>
        <RecordForm draft=RecordDraft { kind: "item".into(), fields: "{}".into(), ..Default::default() }/>
    }
}

/// One record: everything staff may see, each withheld path named.
#[component]
pub fn RecordPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let saved = move || query.read().get("saved");
    let changed = RwSignal::new(0u64);
    provide_context(RecordChanged(changed));
    let record = Resource::new(
        move || (id.get(), saved(), changed.get()),
        |(id, _, _)| load_record(id),
    );
    // What the part forms choose from; reloaded with the record (a link's target may have
    // been renamed meanwhile).
    let choices = Resource::new(
        move || changed.get(),
        |_| async move {
            let records = list_records(String::new(), String::new()).await?;
            let documents = list_documents().await?;
            Ok::<_, crate::error::AppError>(Choices { records, documents })
        },
    );
    view! {
        <Title text="Record · Liaison"/>
        {move || saved().map(|_| view! { <p class="notice" role="status" data-testid="record-saved">"Saved."</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (record.await, choices.await) {
                    (Err(e), _) | (_, Err(e)) => view! { <p class="error">{crate::error_text(&e)}</p> }.into_any(),
                    (Ok(r), Ok(c)) => record_view(r, id.get_untracked(), c).into_any(),
                }
            })}
        </Transition>
    }
}

fn marks_note(marks: &[String]) -> Option<AnyView> {
    (!marks.is_empty()).then(|| {
        view! {
            <p class="small" data-testid="record-marks">"Withheld from guests: "
                {marks.iter().map(|m| view! { <code class="mark">{m.clone()}</code>" " }).collect_view()}
            </p>
        }
        .into_any()
    })
}

fn record_view(r: RecordPageView, id: String, choices: Choices) -> impl IntoView {
    let draft = RecordDraft::of(&r, &id);
    let (editing, set_editing) = signal(false);
    let RecordPageView {
        row,
        fields,
        redacted,
        version: _,
        history,
        links,
        documents,
        unredacted_sensitive,
        rules,
        intel,
    } = r;
    view! {
        <p class="muted small"><a href="/console/records">"Data records"</a></p>
        <div class="page-head">
            <h1 data-testid="record-title">{row.title.clone()}</h1>
            <div class="actions">
                <button type="button" class="btn" data-testid="edit-record"
                    on:click=move |_| set_editing.update(|e| *e = !*e)>
                    {move || if editing.get() { "Close the editor" } else { "Edit" }}
                </button>
                <a class="btn btn-primary" href=format!("/console/shares/new?record={id}") data-testid="share-record">"Share with a guest"</a>
            </div>
        </div>
        {move || editing.get().then(|| view! { <RecordForm draft=draft.clone()/> })}
        <dl class="facts">
            <dt>"Reference"</dt><dd>{reference(&row)}</dd>
            <dt>"Kind"</dt><dd>{row.kind.clone()}</dd>
            <dt>"Type"</dt><dd>{row.record_type.clone()}</dd>
            <dt>"Changed"</dt><dd><LocalTime at=row.updated_at.clone()/></dd>
        </dl>
        {(!unredacted_sensitive.is_empty()).then(|| view! {
            <p class="notice-warn" role="note" data-testid="sensitive-warning">
                "These fields look personal or secret and are shared as they are: "
                {unredacted_sensitive.join(", ")}
                ". Mark them withheld before sharing the record if guests should not see them."
            </p>
        })}
        <section class="panel">
            <h2>"Fields"</h2>
            {fields_view(&fields)}
            {marks_note(&redacted)}
            {(!rules.is_empty()).then(|| view! {
                <p class="small muted" data-testid="record-rules">"Withheld in every record by the organisation's rules: "
                    {rules.join(", ")}</p>
            })}
        </section>
        {history_view(history, &id, &choices)}
        <section class="panel">
            <h2>"Linked records"</h2>
            {if links.is_empty() {
                view! { <p class="muted small">"No records are linked."</p> }.into_any()
            } else {
                view! {
                    <ul class="linked" data-testid="record-links">
                        {links.into_iter().map(|(relation, r)| view! {
                            <li class="part-row"><span><strong>{relation}</strong>": "<a href=format!("/console/records/{}", r.id)>{r.title.clone()}</a>
                                <span class="muted small">{format!(" ({}, {})", r.kind, r.record_type)}</span></span>
                                <UnlinkButton record_id=id.clone() target_id=r.id.clone()/></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <details class="panel-inner">
                <summary data-testid="open-link-form">"Link a record"</summary>
                <LinkForm record_id=id.clone() choices=choices.clone()/>
            </details>
        </section>
        <section class="panel">
            <h2>"Documents"</h2>
            {if documents.is_empty() {
                view! { <p class="muted small">"No documents are attached."</p> }.into_any()
            } else {
                view! {
                    <table data-testid="record-documents">
                        <thead><tr><th>"Document"</th><th>"Revision"</th><th>"Guests"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>{documents.iter().map(|d| view! {
                            <tr>
                                <td><a href=format!("/console/documents/{}", d.document_id)>{d.title.clone()}</a>
                                    <div class="muted small">{d.file_name.clone()}</div>
                                    <div class="muted small hash">"SHA-256 "<code>{d.sha256.clone()}</code></div></td>
                                <td class="num">{d.revision}</td>
                                <td data-testid="document-visibility">{if d.private { "Private: never shown" } else { "Shown" }}</td>
                                <td><DocumentActions record_id=id.clone() document_id=d.document_id.clone() private=d.private/></td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            <details class="panel-inner">
                <summary data-testid="open-attach-form">"Attach a document"</summary>
                <AttachForm record_id=id.clone() choices=choices.clone()
                    attached=documents.iter().map(|d| d.document_id.clone()).collect()/>
            </details>
        </section>
        <super::intel_flag::IntelFlagPanel kind="record" id=id.clone() flag=intel/>
        <section class="panel" data-testid="record-shares">
            <h2>"Shares"</h2>
            <SharesTable path=format!("/console/records/{id}") document=Some(id.clone())
                share_href=format!("/console/shares/new?record={id}")/>
        </section>
    }
}

fn history_view(history: Vec<StaffEventView>, id: &str, choices: &Choices) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"History"</h2>
            {if history.is_empty() {
                view! { <p class="muted small">"No custody events are recorded."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline" data-testid="record-history">
                        {history.into_iter().map(|e| event_view(e, id, choices)).collect_view()}
                    </ol>
                }.into_any()
            }}
            <details class="panel-inner">
                <summary data-testid="open-event-form">"Add a custody event"</summary>
                <EventForm record_id=id.to_owned() event=None choices=choices.clone()/>
            </details>
        </section>
    }
}

fn event_view(e: StaffEventView, id: &str, choices: &Choices) -> impl IntoView {
    let actions =
        view! { <EventActions record_id=id.to_owned() event=e.clone() choices=choices.clone()/> };
    let who_where = custody_line(e.holder, e.location, e.actor);
    let has_fields = e.fields.as_object().is_some_and(|m| !m.is_empty());
    view! {
        <li data-testid="event">
            <time datetime=e.occurred_at.clone()>{local_time(&e.occurred_at)}</time>
            <strong>" "{e.process}</strong>
            {who_where.map(|w| view! { <span>{w}</span> })}
            {e.notes.map(|n| view! { <p class="notes">{n}</p> })}
            {has_fields.then(|| fields_view(&e.fields))}
            {marks_note(&e.redacted)}
            {actions}
        </li>
    }
}
