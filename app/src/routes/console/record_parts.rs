//! A record's parts on its console page: add, change and remove custody events (with what
//! of each is withheld from guests), link and unlink records, attach and detach documents
//! and mark them private. Each change saved, the page reloads the record
//! ([`RecordChanged`]).

use leptos::prelude::*;
use serde_json::Value;

use super::record_form::{field_paths, Marks};
use crate::components::{
    current_offset_signal, invalid, local_input_value, offset_at, zone_label_signal, CsrfField,
    FieldError,
};
use crate::error::AppError;
use crate::server_fns::records::{
    AttachDocument, DetachDocument, LinkRecord, RemoveEvent, SaveEvent, UnlinkRecord,
};
use crate::types::{DocumentView, RecordRowView, StaffEventView};

/// Bumped after each saved change of the record's parts; the record page reloads on it.
#[derive(Clone, Copy)]
pub struct RecordChanged(pub RwSignal<u64>);

/// What the part forms choose from: the organisation's records and documents.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Choices {
    pub records: Vec<RecordRowView>,
    pub documents: Vec<DocumentView>,
}

impl Choices {
    fn of_kind(&self, kind: &str) -> Vec<RecordRowView> {
        self.records
            .iter()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect()
    }
}

/// Reloads the record page once `done` turns true (an action's success).
fn refresh_when(done: impl Fn() -> bool + Send + Sync + 'static) {
    let changed = expect_context::<RecordChanged>().0;
    Effect::new(move |_| {
        if done() {
            changed.update(|n| *n += 1);
        }
    });
}

fn failure(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field.is_none())
            .map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })
    }
}

fn label_of(r: &RecordRowView) -> String {
    match &r.reference {
        Some(reference) => format!("{} · {}", r.title, reference),
        None => r.title.clone(),
    }
}

/// A select of records, blank first; `chosen` is the current id.
fn record_select(
    name: &'static str,
    testid: &'static str,
    options: Vec<RecordRowView>,
    chosen: Option<String>,
    blank: &'static str,
) -> impl IntoView {
    view! {
        <select name=name data-testid=testid>
            <option value="">{blank}</option>
            {options.into_iter().map(|r| {
                let selected = chosen.as_deref() == Some(r.id.as_str());
                view! { <option value=r.id.clone() selected=selected>{label_of(&r)}</option> }
            }).collect_view()}
        </select>
    }
}

const OCCURRED: &[&str] = &["history.occurred_at"];
const PROCESS: &[&str] = &["history.process"];
const ACTOR: &[&str] = &["history.actor"];
const HOLDER: &[&str] = &["history.holder"];
const LOCATION: &[&str] = &["history.location"];
const NOTES: &[&str] = &["history.notes"];
const FIELDS: &[&str] = &["history.fields"];
const MARKS: &[&str] = &["history.redacted", "history"];

/// The custody event form: a new event (`event` none) or a change of one.
#[component]
pub fn EventForm(
    record_id: String,
    event: Option<StaffEventView>,
    choices: Choices,
) -> impl IntoView {
    let save = ServerAction::<SaveEvent>::new();
    refresh_when(move || matches!(save.value().get(), Some(Ok(()))));
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let e = event.clone().unwrap_or_default();
    let tz_offset = current_offset_signal();
    let tz_label = zone_label_signal();
    let fields_start = if e.fields.as_object().is_some_and(|m| !m.is_empty()) {
        serde_json::to_string_pretty(&e.fields).unwrap_or_default()
    } else {
        String::new()
    };
    let (fields, set_fields) = signal(fields_start.clone());
    let marks = Marks::new(e.redacted.clone());
    // The paths a mark may name: the event's own attributes, then its fields.
    let paths = Memo::new(move |_| {
        let mut out: Vec<(String, usize)> = ["actor", "holder", "location", "notes"]
            .into_iter()
            .map(|a| (a.to_owned(), 0))
            .collect();
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&fields.get()) {
            out.push(("fields".into(), 0));
            out.extend(
                field_paths(&v)
                    .into_iter()
                    .map(|(p, d)| (format!("fields.{p}"), d + 1)),
            );
        }
        out
    });
    let marks_text = move || {
        let known: Vec<String> = paths.get().into_iter().map(|(p, _)| p).collect();
        marks.text(&known)
    };
    let key = event.as_ref().map_or("new".to_owned(), |e| e.id.clone());
    let id = move |field: &str| format!("event-{key}-{field}");
    view! {
        <ActionForm action=save attr:class="form-grid" attr:data-testid="event-form">
            <CsrfField/>
            <input type="hidden" name="record_id" value=record_id/>
            <input type="hidden" name="event_id" value=e.id.clone()/>
            <input type="hidden" name="tz_offset_minutes" value=tz_offset/>
            <input type="hidden" name="redacted" value=marks_text/>
            <label>{move || format!("When (your time: {})", tz_label.get())}
                <input type="datetime-local" name="occurred_at_local" required data-testid="event-at"
                    value=local_input_value(&e.occurred_at) aria-invalid=invalid(error, OCCURRED)
                    on:input=move |ev| {
                        // The offset of the chosen date (daylight saving may differ from today's).
                        if let Some(offset) = offset_at(&event_target_value(&ev)) {
                            tz_offset.set(offset.to_string());
                        }
                    }/>
            </label>
            <FieldError error fields=OCCURRED id=id("at")/>
            <label>"What was done"
                <span class="hint">"The process: loaded, inspected, sealed, handed over…"</span>
                <input type="text" name="process" required maxlength="100" value=e.process.clone()
                    aria-invalid=invalid(error, PROCESS) data-testid="event-process"/>
            </label>
            <FieldError error fields=PROCESS id=id("process")/>
            <label>"By whom (optional)"
                <input type="text" name="actor" maxlength="200" value=e.actor.clone().unwrap_or_default()
                    aria-invalid=invalid(error, ACTOR) data-testid="event-actor"/>
            </label>
            <FieldError error fields=ACTOR id=id("actor")/>
            <label>"Held by (an organisation record)"
                {record_select("holder", "event-holder", choices.of_kind("organisation"), e.holder_id.clone(), "Nobody named")}
            </label>
            <FieldError error fields=HOLDER id=id("holder")/>
            <label>"Where (a location record)"
                {record_select("location", "event-location", choices.of_kind("location"), e.location_id.clone(), "No place named")}
            </label>
            <FieldError error fields=LOCATION id=id("location")/>
            <label>"Notes (optional)"
                <textarea name="notes" rows="3" maxlength="4000" aria-invalid=invalid(error, NOTES)
                    data-testid="event-notes">{e.notes.clone().unwrap_or_default()}</textarea>
            </label>
            <FieldError error fields=NOTES id=id("notes")/>
            <label>"Fields (JSON, optional)"
                <textarea name="fields" rows="4" class="mono" spellcheck="false" data-testid="event-fields"
                    aria-invalid=invalid(error, FIELDS)
                    prop:value=move || fields.get() on:input=move |ev| set_fields.set(event_target_value(&ev))>
                    {fields_start}
                </textarea>
            </label>
            <FieldError error fields=FIELDS id=id("fields")/>
            <fieldset class="marks" data-testid="event-marks">
                <legend>"Withheld from guests"</legend>
                {move || marks.boxes(paths.get(), "event-withhold")}
            </fieldset>
            <FieldError error fields=MARKS id=id("marks")/>
            <button type="submit" class="btn btn-primary" data-testid="save-event">
                {if event.is_some() { "Save the event" } else { "Add the event" }}
            </button>
            {failure(error)}
        </ActionForm>
    }
}

/// A custody event's "Edit" and "Remove" on the record page.
#[component]
pub fn EventActions(record_id: String, event: StaffEventView, choices: Choices) -> impl IntoView {
    let remove = ServerAction::<RemoveEvent>::new();
    refresh_when(move || matches!(remove.value().get(), Some(Ok(()))));
    let error = Signal::derive(move || remove.value().get().and_then(Result::err));
    let (editing, set_editing) = signal(false);
    let event_id = event.id.clone();
    let form = StoredValue::new((record_id.clone(), event, choices));
    view! {
        <div class="actions">
            <button type="button" class="btn btn-small" data-testid="edit-event"
                aria-expanded=move || editing.get().to_string()
                on:click=move |_| set_editing.update(|e| *e = !*e)>
                {move || if editing.get() { "Close" } else { "Edit" }}
            </button>
            <ActionForm action=remove>
                <CsrfField/>
                <input type="hidden" name="record_id" value=record_id/>
                <input type="hidden" name="event_id" value=event_id/>
                <button type="submit" class="btn btn-small btn-danger-outline" data-testid="remove-event">"Remove"</button>
            </ActionForm>
        </div>
        {failure(error)}
        {move || editing.get().then(|| {
            let (record_id, event, choices) = form.get_value();
            view! { <EventForm record_id event=Some(event) choices/> }
        })}
    }
}

const TARGET: &[&str] = &["links.target"];
const RELATION: &[&str] = &["links.relation", "links"];

/// Links the record to another with a named relation.
#[component]
pub fn LinkForm(record_id: String, choices: Choices) -> impl IntoView {
    let link = ServerAction::<LinkRecord>::new();
    refresh_when(move || matches!(link.value().get(), Some(Ok(()))));
    let error = Signal::derive(move || link.value().get().and_then(Result::err));
    let others: Vec<RecordRowView> = choices
        .records
        .into_iter()
        .filter(|r| r.id != record_id)
        .collect();
    view! {
        <ActionForm action=link attr:class="form-grid" attr:data-testid="link-form">
            <CsrfField/>
            <input type="hidden" name="record_id" value=record_id.clone()/>
            <label>"Record"
                <select name="target" required data-testid="link-target" aria-invalid=invalid(error, TARGET)>
                    <option value="">"Choose a record"</option>
                    {others.into_iter().map(|r| view! {
                        <option value=r.id.clone()>{format!("{} ({}, {})", label_of(&r), r.kind, r.record_type)}</option>
                    }).collect_view()}
                </select>
            </label>
            <FieldError error fields=TARGET id="link-target-error"/>
            <label>"Relation"
                <span class="hint">"How they relate: part of, contains, replaces, shipped with…"</span>
                <input type="text" name="relation" required maxlength="100" data-testid="link-relation"
                    aria-invalid=invalid(error, RELATION)/>
            </label>
            <FieldError error fields=RELATION id="link-relation-error"/>
            <button type="submit" class="btn btn-primary" data-testid="add-link">"Link"</button>
            {failure(error)}
        </ActionForm>
    }
}

/// "Unlink" beside a linked record.
#[component]
pub fn UnlinkButton(record_id: String, target_id: String) -> impl IntoView {
    let unlink = ServerAction::<UnlinkRecord>::new();
    refresh_when(move || matches!(unlink.value().get(), Some(Ok(()))));
    let error = Signal::derive(move || unlink.value().get().and_then(Result::err));
    view! {
        <ActionForm action=unlink attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="record_id" value=record_id/>
            <input type="hidden" name="target_id" value=target_id/>
            <button type="submit" class="btn btn-small btn-danger-outline" data-testid="unlink">"Unlink"</button>
        </ActionForm>
        {failure(error)}
    }
}

const DOCUMENT: &[&str] = &["documents", "document_id"];

/// Attaches one of the organisation's documents, private or shown.
#[component]
pub fn AttachForm(record_id: String, choices: Choices, attached: Vec<String>) -> impl IntoView {
    let attach = ServerAction::<AttachDocument>::new();
    refresh_when(move || matches!(attach.value().get(), Some(Ok(()))));
    let error = Signal::derive(move || attach.value().get().and_then(Result::err));
    let free: Vec<DocumentView> = choices
        .documents
        .into_iter()
        .filter(|d| !attached.contains(&d.id))
        .collect();
    if free.is_empty() {
        return view! { <p class="muted small">"Every document is attached, or none is uploaded."</p> }
            .into_any();
    }
    view! {
        <ActionForm action=attach attr:class="form-grid" attr:data-testid="attach-form">
            <CsrfField/>
            <input type="hidden" name="record_id" value=record_id/>
            <label>"Document"
                <select name="document_id" required data-testid="attach-document" aria-invalid=invalid(error, DOCUMENT)>
                    <option value="">"Choose a document"</option>
                    {free.into_iter().map(|d| view! {
                        <option value=d.id.clone()>{format!("{} ({})", d.title, d.file_name)}</option>
                    }).collect_view()}
                </select>
            </label>
            <FieldError error fields=DOCUMENT id="attach-document-error"/>
            <label class="check">
                <input type="checkbox" name="private" data-testid="attach-private"/>
                <span>"Private: never shown to a guest of the record"</span>
            </label>
            <button type="submit" class="btn btn-primary" data-testid="attach">"Attach"</button>
            {failure(error)}
        </ActionForm>
    }
    .into_any()
}

/// An attached document's "Make private"/"Show to guests" and "Detach".
#[component]
pub fn DocumentActions(record_id: String, document_id: String, private: bool) -> impl IntoView {
    let attach = ServerAction::<AttachDocument>::new();
    let detach = ServerAction::<DetachDocument>::new();
    refresh_when(move || {
        matches!(attach.value().get(), Some(Ok(()))) || matches!(detach.value().get(), Some(Ok(())))
    });
    let error = Signal::derive(move || {
        attach
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| detach.value().get().and_then(Result::err))
    });
    let (record, document) = (record_id.clone(), document_id.clone());
    view! {
        <div class="actions">
            <ActionForm action=attach attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="record_id" value=record/>
                <input type="hidden" name="document_id" value=document/>
                {(!private).then(|| view! { <input type="hidden" name="private" value="on"/> })}
                <button type="submit" class="btn btn-small" data-testid="toggle-private">
                    {if private { "Show to guests" } else { "Make private" }}
                </button>
            </ActionForm>
            <ActionForm action=detach attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="record_id" value=record_id/>
                <input type="hidden" name="document_id" value=document_id/>
                <button type="submit" class="btn btn-small btn-danger-outline" data-testid="detach">"Detach"</button>
            </ActionForm>
        </div>
        {failure(error)}
    }
}
