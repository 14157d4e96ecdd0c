//! A shared data record on the guest's portal page: its fields, its custody history as a
//! timeline, the records it links to, and the signed export. What it shows is already the
//! redaction projection: nothing withheld reaches the page.

use leptos::prelude::*;
use serde_json::Value;

use crate::components::local_time;
use crate::types::{RecordDataView, RecordEventView, SharedRecordView};

/// A JSON value as text: strings as they are, numbers and booleans as written.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// A record's fields: a definition list, nested objects as nested lists, lists as
/// numbered items.
pub(crate) fn fields_view(v: &Value) -> AnyView {
    match v {
        Value::Object(m) if m.is_empty() => {
            view! { <p class="muted small">"No fields."</p> }.into_any()
        }
        Value::Object(m) => view! {
            <dl class="fields">
                {m.iter().map(|(k, v)| view! {
                    <dt>{k.clone()}</dt>
                    <dd>{nested(v)}</dd>
                }).collect_view()}
            </dl>
        }
        .into_any(),
        other => view! { <span>{scalar(other)}</span> }.into_any(),
    }
}

fn nested(v: &Value) -> AnyView {
    match v {
        Value::Object(_) => fields_view(v),
        Value::Array(items) => view! {
            <ol class="field-list">
                {items.iter().map(|i| view! { <li>{nested(i)}</li> }).collect_view()}
            </ol>
        }
        .into_any(),
        other => view! { <span>{scalar(other)}</span> }.into_any(),
    }
}

fn withheld_note(n: usize) -> Option<AnyView> {
    (n > 0).then(|| {
        let text = if n == 1 {
            "1 field is withheld by the sender.".to_owned()
        } else {
            format!("{n} fields are withheld by the sender.")
        };
        view! { <p class="muted small" data-testid="withheld">{text}</p> }.into_any()
    })
}

fn heading(r: &RecordDataView) -> String {
    match &r.reference {
        Some(reference) => format!("{} · {}", r.record_type, reference),
        None => r.record_type.clone(),
    }
}

/// A heading one level below the page's (`h1`/`h2`) or, in the share form's preview, two
/// levels below (`h3`/`h4`), so the outline stays whole where the record is embedded.
fn title(preview: bool, top: bool, text: String) -> AnyView {
    match (preview, top) {
        (false, true) => view! { <h1>{text}</h1> }.into_any(),
        (false, false) => view! { <h2>{text}</h2> }.into_any(),
        (true, true) => view! { <h3>{text}</h3> }.into_any(),
        (true, false) => view! { <h4>{text}</h4> }.into_any(),
    }
}

/// The record section of a record share's portal page; with `preview`, the share form's
/// picture of it (headings demoted, no download).
#[component]
pub fn SharedRecord(
    record: SharedRecordView,
    allow_download: bool,
    #[prop(optional)] preview: bool,
) -> impl IntoView {
    let SharedRecordView {
        record,
        history,
        linked,
        referenced,
    } = record;
    let h = move |text: &str| title(preview, false, text.to_owned());
    view! {
        <section class="item record" data-testid="shared-record">
            {title(preview, true, record.title.clone())}
            <p class="muted small">{heading(&record)}</p>
            {h("Fields")}
            {fields_view(&record.fields)}
            {withheld_note(record.withheld)}
            {h("History")}
            {if history.is_empty() {
                view! { <p class="muted small">"No custody events are recorded."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline" data-testid="record-history">
                        {history.into_iter().map(|e| view! { <Event event=e/> }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {(!linked.is_empty()).then(|| view! {
                {h("Linked records")}
                <ul class="linked" data-testid="record-links">
                    {linked.into_iter().map(|(relation, r)| view! {
                        <li>
                            <strong>{relation}</strong>": "{r.title.clone()}
                            <span class="muted small">{format!(" ({})", heading(&r))}</span>
                            {fields_view(&r.fields)}
                            {withheld_note(r.withheld)}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(!referenced.is_empty()).then(|| view! {
                {h("Organisations and locations")}
                <ul class="linked">
                    {referenced.into_iter().map(|r| view! {
                        <li>
                            <strong>{r.title.clone()}</strong>
                            <span class="muted small">{format!(" ({}, {})", r.kind, r.record_type)}</span>
                            {fields_view(&r.fields)}
                            {withheld_note(r.withheld)}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(allow_download && !preview).then(|| view! {
                <p>
                    <a class="btn" href="/api/portal/record/export" rel="external" download data-testid="record-export">
                        "Download the signed record (JWS)"
                    </a>
                </p>
                <p class="muted small">
                    "The download is the record exactly as shown here, signed with this portal's key. "
                    "Anyone can check it with a JOSE library and the keys published at "
                    <code>"/.well-known/jwks.json"</code>"."
                </p>
            })}
        </section>
    }
}

/// " — held by …, at …, by …" for a custody event, or nothing when none is known (the
/// portal's timeline and the console's say it alike).
pub(crate) fn custody_line(
    holder: Option<String>,
    location: Option<String>,
    actor: Option<String>,
) -> Option<String> {
    let parts: Vec<String> = [
        holder.map(|h| format!("held by {h}")),
        location.map(|l| format!("at {l}")),
        actor.map(|a| format!("by {a}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| format!(" — {}", parts.join(", ")))
}

#[component]
fn Event(event: RecordEventView) -> impl IntoView {
    let who_where = custody_line(event.holder, event.location, event.actor);
    let has_fields = event.fields.as_object().is_some_and(|m| !m.is_empty());
    view! {
        <li>
            <time datetime=event.occurred_at.clone()>{local_time(&event.occurred_at)}</time>
            <strong>" "{event.process}</strong>
            {who_where.map(|w| view! { <span>{w}</span> })}
            {event.notes.map(|n| view! { <p class="notes">{n}</p> })}
            {has_fields.then(|| fields_view(&event.fields))}
            {withheld_note(event.withheld)}
        </li>
    }
}
