//! A record's own data in the console: create one (`/console/records/new`) or edit it on
//! its page. Fields are JSON; every path in them is listed under the editor with a
//! "withhold from guests" box, so marking a nested field is one click, and a mark that no
//! longer names a field is dropped with the field.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde_json::Value;

use crate::components::{invalid, FieldError};
use crate::server_fns::records::SaveRecord;
use crate::types::RecordPageView;

/// Every path of `fields` a mark may name, in order, with its depth: objects and values
/// (`consignee`, `consignee.phone`), and the keys of a list's objects (`items[].serial`).
/// A list of plain values is named by the list itself.
pub fn field_paths(fields: &Value) -> Vec<(String, usize)> {
    fn walk(prefix: &str, depth: usize, v: &Value, out: &mut Vec<(String, usize)>) {
        let Value::Object(map) = v else { return };
        for (key, value) in map {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.push((path.clone(), depth));
            match value {
                Value::Object(_) => walk(&path, depth + 1, value, out),
                Value::Array(items) => {
                    // The union of the keys of the list's objects, as `key[].…`.
                    let mut merged = serde_json::Map::new();
                    for item in items {
                        if let Value::Object(m) = item {
                            for (k, v) in m {
                                merged.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                        }
                    }
                    if !merged.is_empty() {
                        walk(&format!("{path}[]"), depth + 1, &Value::Object(merged), out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk("", 0, fields, &mut out);
    out
}

/// The paths a form ticks "withheld from guests", and the boxes that tick them (the
/// record's form and a custody event's).
#[derive(Clone, Copy)]
pub struct Marks(RwSignal<Vec<String>>);

impl Marks {
    pub fn new(marks: Vec<String>) -> Self {
        Self(RwSignal::new(marks))
    }

    /// The ticked paths that `known` still names, one per line: the form's hidden field
    /// (a mark of a field since removed goes with the field).
    pub fn text(self, known: &[String]) -> String {
        self.0
            .get()
            .into_iter()
            .filter(|m| known.contains(m))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One box per path, indented by its depth.
    pub fn boxes(self, paths: Vec<(String, usize)>, testid: &'static str) -> impl IntoView {
        let toggle = move |path: String, on: bool| {
            self.0.update(|m| {
                m.retain(|p| *p != path);
                if on {
                    m.push(path);
                }
            })
        };
        paths
            .into_iter()
            .map(|(path, depth)| {
                let checked = self.0.get_untracked().contains(&path);
                let p = path.clone();
                view! {
                    <label class=format!("check depth-{}", depth.min(4))>
                        <input type="checkbox" checked=checked data-testid=testid data-path=path.clone()
                            on:change=move |ev| toggle(p.clone(), event_target_checked(&ev))/>
                        <code>{path}</code>
                    </label>
                }
            })
            .collect_view()
    }
}

/// What the form starts from: a record to edit, or nothing (a new record).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordDraft {
    pub id: Option<String>,
    pub kind: String,
    pub record_type: String,
    pub title: String,
    pub reference: String,
    pub fields: String,
    pub redacted: Vec<String>,
    pub version: Option<i64>,
}

impl RecordDraft {
    pub fn of(r: &RecordPageView, id: &str) -> Self {
        Self {
            id: Some(id.to_owned()),
            kind: r.row.kind.clone(),
            record_type: r.row.record_type.clone(),
            title: r.row.title.clone(),
            reference: r.row.reference.clone().unwrap_or_default(),
            fields: serde_json::to_string_pretty(&r.fields).unwrap_or_else(|_| "{}".into()),
            redacted: r.redacted.clone(),
            version: Some(r.version),
        }
    }
}

/// The create or edit form. Saved, it goes to the record's page.
#[component]
pub fn RecordForm(draft: RecordDraft) -> impl IntoView {
    let save = ServerAction::<SaveRecord>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let editing = draft.id.clone();
    let (fields, set_fields) = signal(draft.fields.clone());
    let marks = Marks::new(draft.redacted.clone());
    let parsed = Memo::new(move |_| {
        let text = fields.get();
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_str::<Value>(&text)
            .map_err(|e| format!("Not JSON: {e}"))
            .and_then(|v| match v {
                Value::Object(_) => Ok(field_paths(&v)),
                _ => Err("Fields are a JSON object, such as {\"weight_kg\": 12}.".into()),
            })
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok((id, version))) = save.value().get() {
            // `saved` names the version: the record's page loads what was saved.
            navigate(
                &format!("/console/records/{id}?saved={version}"),
                Default::default(),
            );
        }
    });
    let marks_text = move || {
        let known: Vec<String> = parsed
            .get()
            .map(|p| p.into_iter().map(|(path, _)| path).collect())
            .unwrap_or_default();
        marks.text(&known)
    };
    let kinds = [
        ("item", "Item"),
        ("location", "Location"),
        ("organisation", "Organisation"),
    ];
    view! {
        <section class="panel" data-testid="record-form">
            {editing.is_some().then(|| view! { <h2>"Edit the record"</h2> })}
            <ActionForm action=save attr:class="form-grid">
                <crate::components::CsrfField/>
                <input type="hidden" name="id" value=draft.id.clone().unwrap_or_default()/>
                <input type="hidden" name="version" value=draft.version.map(|v| v.to_string()).unwrap_or_default()/>
                <input type="hidden" name="redacted" value=marks_text/>
                {match &editing {
                    None => view! {
                        <fieldset class="choices">
                            <legend>"Kind"</legend>
                            {kinds.into_iter().map(|(value, label)| view! {
                                <label class="check">
                                    <input type="radio" name="kind" value=value checked=value == "item" data-testid=format!("record-kind-{value}")/>
                                    <span>{label}</span>
                                </label>
                            }).collect_view()}
                        </fieldset>
                    }.into_any(),
                    Some(_) => view! { <input type="hidden" name="kind" value=draft.kind.clone()/> }.into_any(),
                }}
                <label>"Type"
                    <span class="hint">"What sort of record: delivery, lot, depot, carrier…"</span>
                    <input type="text" name="record_type" required maxlength="64" value=draft.record_type.clone()
                        aria-invalid=invalid(error, &["record_type"]) data-testid="record-type"/>
                </label>
                <FieldError error fields=&["record_type"] id="record-type-error"/>
                <label>"Title"
                    <input type="text" name="title" required maxlength="200" value=draft.title.clone()
                        aria-invalid=invalid(error, &["title"]) data-testid="record-title-input"/>
                </label>
                <FieldError error fields=&["title"] id="record-title-error"/>
                <label>"Reference (optional)"
                    <span class="hint">"Your own number for it, unique in the organisation."</span>
                    <input type="text" name="reference" maxlength="100" value=draft.reference.clone()
                        aria-invalid=invalid(error, &["reference"]) data-testid="record-reference"/>
                </label>
                <FieldError error fields=&["reference"] id="record-reference-error"/>
                <label>"Fields (JSON)"
                    <span class="hint">"An object; values may be text, numbers, true/false, lists and nested objects."</span>
                    <textarea name="fields" rows="10" class="mono" spellcheck="false" data-testid="record-fields"
                        aria-invalid=invalid(error, &["fields"])
                        prop:value=move || fields.get() on:input=move |ev| set_fields.set(event_target_value(&ev))>
                        {draft.fields.clone()}
                    </textarea>
                </label>
                <FieldError error fields=&["fields"] id="record-fields-error"/>
                <fieldset class="marks" data-testid="record-marks-editor">
                    <legend>"Withheld from guests"</legend>
                    {move || match parsed.get() {
                        Err(e) => view! { <p class="field-error" role="alert">{e}</p> }.into_any(),
                        Ok(paths) if paths.is_empty() => view! { <p class="muted small">"No fields yet."</p> }.into_any(),
                        Ok(paths) => marks.boxes(paths, "withhold").into_any(),
                    }}
                </fieldset>
                <FieldError error fields=&["redacted"] id="record-redacted-error"/>
                <button type="submit" class="btn btn-primary" data-testid="save-record">
                    {if editing.is_some() { "Save changes" } else { "Create record" }}
                </button>
                {move || error.get().filter(|e| e.field.is_none()).map(|e| view! {
                    <p class="error" role="alert" data-testid="record-error">{e.message}</p>
                })}
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_markable_path_is_listed_in_order_with_its_depth() {
        let v = serde_json::json!({
            "weight_kg": 12,
            "consignee": {"name": "Port", "phone": "+32"},
            "items": [{"serial": "A"}, {"serial": "B", "seal": "S"}],
            "tags": ["x", "y"]
        });
        let paths: Vec<(String, usize)> = field_paths(&v);
        let names: Vec<&str> = paths.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "consignee",
                "consignee.name",
                "consignee.phone",
                "items",
                "items[].seal",
                "items[].serial",
                "tags",
                "weight_kg"
            ]
        );
        assert_eq!(paths[1].1, 1);
        assert!(field_paths(&serde_json::json!([1, 2])).is_empty());
    }
}
