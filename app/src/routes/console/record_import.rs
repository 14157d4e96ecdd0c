//! Importing records from a CSV file in the console (`/console/records/import`): choose or
//! paste the file, read its columns, say what each becomes (the title, the reference, a
//! field at a path and of a type, or nothing), check what the import would create, then
//! import every row or none. The same import is `POST /api/v1/records` with `text/csv`.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::routes::portal::fields_view;
use crate::server_fns::records::{CheckImport, ImportRecords};
use crate::types::{ColumnChoice, ColumnRole, ImportCheckView, ImportMapping};

/// A header as a field name: lower case, runs of anything but letters and digits as one
/// `_` ("Gross weight (kg)" → `gross_weight_kg`).
pub fn field_name_of(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The mapping a file's columns start with: a column named like a title or a reference
/// is one, every other a text field named after its header.
pub fn starting_choices(columns: &[String]) -> Vec<ColumnChoice> {
    let named = |names: &[&str]| {
        columns
            .iter()
            .position(|c| names.contains(&field_name_of(c).as_str()))
    };
    let title = named(&["title", "name"]).unwrap_or(0);
    let reference = named(&["reference", "ref", "number", "id"]).filter(|r| *r != title);
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| ColumnChoice {
            column: c.clone(),
            role: if i == title {
                ColumnRole::Title
            } else if Some(i) == reference {
                ColumnRole::Reference
            } else {
                ColumnRole::Field
            },
            path: field_name_of(c),
            field_type: "text".into(),
        })
        .collect()
}

const ROLES: [(ColumnRole, &str); 4] = [
    (ColumnRole::Field, "A field"),
    (ColumnRole::Title, "The title"),
    (ColumnRole::Reference, "The reference"),
    (ColumnRole::Skip, "Nothing (skip)"),
];

fn role_value(r: ColumnRole) -> &'static str {
    match r {
        ColumnRole::Field => "field",
        ColumnRole::Title => "title",
        ColumnRole::Reference => "reference",
        ColumnRole::Skip => "skip",
    }
}

#[component]
pub fn ImportRecordsPage() -> impl IntoView {
    let (csv, set_csv) = signal(String::new());
    let (kind, set_kind) = signal("item".to_owned());
    let (record_type, set_record_type) = signal(String::new());
    let choices = RwSignal::new(Vec::<ColumnChoice>::new());
    let read = ServerAction::<CheckImport>::new();
    let check = ServerAction::<CheckImport>::new();
    let import = ServerAction::<ImportRecords>::new();
    // A file read anew starts a fresh mapping; the same columns keep the one being made.
    Effect::new(move |_| {
        if let Some(Ok(v)) = read.value().get() {
            let same = choices.with_untracked(|c| {
                c.len() == v.columns.len() && c.iter().zip(&v.columns).all(|(a, b)| a.column == *b)
            });
            if !same {
                choices.set(starting_choices(&v.columns));
            }
        }
    });
    let mapping = move || {
        serde_json::to_string(&ImportMapping {
            kind: kind.get(),
            record_type: record_type.get(),
            columns: choices.get(),
        })
        .unwrap_or_default()
    };
    let csrf = move || {
        use_context::<crate::types::CurrentUser>()
            .map(|u| u.csrf)
            .unwrap_or_default()
    };
    // A file the browser could not read (moved or changed since it was chosen).
    let unreadable = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(file) = crate::picked_file::from_event(&ev) {
            unreadable.set(None);
            leptos::task::spawn_local(async move {
                match crate::picked_file::text(&file).await {
                    Ok(text) => {
                        set_csv.set(text.clone());
                        read.dispatch(CheckImport {
                            csv: text,
                            mapping: String::new(),
                        });
                    }
                    Err(e) => unreadable.set(Some(e)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, unreadable);
    };
    let set_choice = move |i: usize, f: Box<dyn FnOnce(&mut ColumnChoice)>| {
        choices.update(|c| {
            if let Some(c) = c.get_mut(i) {
                f(c)
            }
        })
    };
    let error = move || {
        [read.value().get(), check.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .or_else(|| import.value().get().and_then(Result::err))
    };
    view! {
        <Title text="Import records · Liaison"/>
        <p class="muted small"><a href="/console/records">"Data records"</a></p>
        <h1>"Import records from a CSV file"</h1>
        <noscript><p class="notice-warn">"The import reads the file in your browser: turn scripts on, or send it to "<code>"POST /api/v1/records"</code>" as text/csv."</p></noscript>
        <section class="panel form-grid" data-testid="import-source">
            <label>"CSV file (the first row names the columns)"
                <input type="file" accept=".csv,text/csv" data-testid="import-file" on:change=on_file/>
            </label>
            <label>"Or paste it"
                <textarea rows="6" class="mono" spellcheck="false" data-testid="import-text"
                    prop:value=move || csv.get() on:input=move |ev| set_csv.set(event_target_value(&ev))></textarea>
            </label>
            <button type="button" class="btn" data-testid="read-columns"
                disabled=move || csv.with(|c| c.trim().is_empty())
                on:click=move |_| { read.dispatch(CheckImport { csv: csv.get_untracked(), mapping: String::new() }); }>
                "Read the columns"
            </button>
        </section>
        {move || unreadable.get().map(|e| view! { <p class="error" role="alert" data-testid="import-error">{e}</p> })}
        {move || error().map(|e| view! { <p class="error" role="alert" data-testid="import-error">{crate::error_text(&e)}</p> })}
        <Show when=move || !choices.with(Vec::is_empty)>
            <section class="panel form-grid" data-testid="import-mapping">
                <h2>"What each column becomes"</h2>
                <fieldset class="choices">
                    <legend>"Kind"</legend>
                    {[("item", "Items"), ("location", "Locations"), ("organisation", "Organisations")].into_iter().map(|(v, label)| view! {
                        <label class="check">
                            <input type="radio" name="import-kind" value=v checked=move || kind.get() == v
                                on:change=move |_| set_kind.set(v.to_owned())/>
                            <span>{label}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                <label>"Type of every record"
                    <span class="hint">"delivery, lot, depot, carrier…"</span>
                    <input type="text" maxlength="64" required data-testid="import-type"
                        prop:value=move || record_type.get() on:input=move |ev| set_record_type.set(event_target_value(&ev))/>
                </label>
                <table data-testid="import-columns">
                    <thead><tr><th>"Column"</th><th>"Becomes"</th><th>"Field"</th><th>"Read as"</th></tr></thead>
                    <tbody>
                        {move || choices.get().into_iter().enumerate().map(|(i, c)| {
                            let is_field = c.role == ColumnRole::Field;
                            view! {
                                <tr>
                                    <th scope="row">{c.column.clone()}</th>
                                    <td><select aria-label=format!("What {} becomes", c.column) data-testid="column-role"
                                        on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            let role = ROLES.iter().map(|(r, _)| *r).find(|r| role_value(*r) == v).unwrap_or_default();
                                            set_choice(i, Box::new(move |c| c.role = role));
                                        }>
                                        {ROLES.iter().map(|(r, label)| view! {
                                            <option value=role_value(*r) selected=*r == c.role>{*label}</option>
                                        }).collect_view()}
                                    </select></td>
                                    <td><input type="text" aria-label=format!("Field path for {}", c.column) disabled=!is_field
                                        value=c.path.clone() data-testid="column-path"
                                        on:change=move |ev| { let v = event_target_value(&ev); set_choice(i, Box::new(move |c| c.path = v)); }/></td>
                                    <td><select aria-label=format!("How {} is read", c.column) disabled=!is_field data-testid="column-type"
                                        on:change=move |ev| { let v = event_target_value(&ev); set_choice(i, Box::new(move |c| c.field_type = v)); }>
                                        {["text", "number", "boolean", "date"].into_iter().map(|t| view! {
                                            <option value=t selected=t == c.field_type>{t}</option>
                                        }).collect_view()}
                                    </select></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="button-row">
                    <button type="button" class="btn" data-testid="check-import"
                        on:click=move |_| { check.dispatch(CheckImport { csv: csv.get_untracked(), mapping: mapping() }); }>
                        "Check"
                    </button>
                    <button type="button" class="btn btn-primary" data-testid="run-import"
                        disabled=move || import.pending().get()
                        on:click=move |_| { import.dispatch(ImportRecords { csrf: csrf(), csv: csv.get_untracked(), mapping: mapping() }); }>
                        "Import"
                    </button>
                </div>
                {move || check.value().get().and_then(Result::ok).map(check_view)}
            </section>
        </Show>
        {move || import.value().get().and_then(Result::ok).map(|made| view! {
            <section class="panel" role="status" data-testid="import-done">
                <h2>{format!("{} records imported", made.len())}</h2>
                <ul class="linked">
                    {made.into_iter().map(|r| view! {
                        <li><a href=format!("/console/records/{}", r.id)>{r.title.clone()}</a></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

fn check_view(v: ImportCheckView) -> impl IntoView {
    let count = v.count.unwrap_or_default();
    view! {
        <div data-testid="import-check">
            <p class="notice" role="status">{format!("The file makes {count} records. The first {}:", v.sample.len())}</p>
            <ul class="linked">
                {v.sample.into_iter().map(|(title, reference, fields)| view! {
                    <li>
                        <strong>{title}</strong>
                        {reference.map(|r| view! { <span class="muted small">{format!(" · {r}")}</span> })}
                        {fields_view(&fields)}
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_become_field_names_and_the_title_is_guessed() {
        assert_eq!(field_name_of("Gross weight (kg)"), "gross_weight_kg");
        assert_eq!(field_name_of("  Seal #"), "seal");
        let cols: Vec<String> = ["Ref", "Name", "Weight"].map(String::from).into();
        let c = starting_choices(&cols);
        assert_eq!(
            c.iter().map(|c| c.role).collect::<Vec<_>>(),
            [ColumnRole::Reference, ColumnRole::Title, ColumnRole::Field]
        );
        assert_eq!(c[2].path, "weight");
        // No column looks like a title: the first one is.
        let c = starting_choices(&["Serial".into(), "Weight".into()]);
        assert_eq!(c[0].role, ColumnRole::Title);
    }
}
