//! The API reference page (`/api/v1/reference`): the OpenAPI document rendered by the
//! server into one HTML page in the site's stylesheet. No script, no font or asset from
//! elsewhere: it reads the same offline, under the strictest CSP.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::{Map, Value};

/// The HTTP methods an operation may have, in the order the page lists them.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The page for `doc` (the serialized OpenAPI document); `css` is the stylesheet's href.
pub fn page(doc: &Value, css: &str) -> String {
    let empty = Map::new();
    let info = doc.get("info").and_then(Value::as_object).unwrap_or(&empty);
    let title = text(info.get("title"));
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let tags = tags(doc, paths);
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let responses = doc
        .pointer("/components/responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " reference · Liaison" }
                link rel="stylesheet" href=(css);
            }
            body class="api-reference" {
                nav class="reference-toc" aria-label="Sections" {
                    a class="brand" href="#top" { "Liaison API" }
                    ul {
                        li { a href="#authentication" { "Authentication" } }
                        @for (tag, _, _) in &tags { li { a href={ "#tag-" (tag) } { (tag) } } }
                        li { a href="#errors" { "Errors" } }
                        li { a href="#schemas" { "Schemas" } }
                    }
                }
                main id="top" class="reference" {
                    h1 { (title) " " span class="muted small" { (text(info.get("version"))) } }
                    (prose(info.get("description")))
                    p {
                        "The machine-readable document: "
                        a href="/api/v1/openapi.json" { code { "/api/v1/openapi.json" } }
                        " (OpenAPI " (text(doc.get("openapi"))) ")."
                    }
                    section id="authentication" {
                        h2 { "Authentication" }
                        dl class="reference-schemes" {
                            @for (name, scheme) in schemes {
                                dt { code { (name) } " · " (text(scheme.get("scheme"))) " " (text(scheme.get("bearerFormat"))) }
                                dd { (prose(scheme.get("description"))) }
                            }
                        }
                    }
                    @for (tag, description, ops) in &tags {
                        section id={ "tag-" (tag) } {
                            h2 { (tag) }
                            @if !description.is_empty() { p class="muted" { (description) } }
                            @for (method, path, op) in ops { (operation(method, path, op)) }
                        }
                    }
                    section id="errors" {
                        h2 { "Errors" }
                        p { "Every refusal is an " a href="#schema-ErrorEnvelope" { "error envelope" } ", with one of these statuses:" }
                        dl class="reference-schemes" {
                            @for (name, r) in responses {
                                dt id={ "response-" (name) } { (spaced(name)) }
                                dd { (inline_code(&text(r.get("description")))) }
                            }
                        }
                    }
                    section id="schemas" {
                        h2 { "Schemas" }
                        @for (name, schema) in schemas { (schema_section(name, schema)) }
                    }
                }
            }
        }
    }
    .into_string()
}

type Operation<'a> = (&'a str, &'a str, &'a Value);

/// Each tag in the document's order (then any only operations name), with its operations.
fn tags<'a>(
    doc: &'a Value,
    paths: &'a Map<String, Value>,
) -> Vec<(String, String, Vec<Operation<'a>>)> {
    let mut out: Vec<(String, String, Vec<Operation<'a>>)> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| (text(t.get("name")), text(t.get("description")), Vec::new()))
        .collect();
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let tag = op
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("other")
                .to_owned();
            let at = match out.iter().position(|(t, _, _)| *t == tag) {
                Some(at) => at,
                None => {
                    out.push((tag, String::new(), Vec::new()));
                    out.len() - 1
                }
            };
            out[at].2.push((method, path.as_str(), op));
        }
    }
    out.retain(|(_, _, ops)| !ops.is_empty());
    out
}

fn operation(method: &str, path: &str, op: &Value) -> Markup {
    let id = text(op.get("operationId"));
    let params: Vec<&Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    // The operation's own answers, then the shared error answers it refers to.
    let (mut own, mut shared) = (Vec::new(), Vec::new());
    for (status, r) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        match r.get("$ref").and_then(Value::as_str) {
            Some(reference) => shared.push((
                status.as_str(),
                reference.rsplit('/').next().unwrap_or_default(),
            )),
            None => own.push((status.as_str(), r)),
        }
    }
    let security: Vec<String> = op
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|r| r.keys().cloned())
        .collect();
    html! {
        article class="operation" id={ "op-" (id) } {
            h3 {
                span class={ "method method-" (method) } { (method.to_uppercase()) }
                " " code { (path) }
            }
            @if let Some(summary) = op.get("summary").and_then(Value::as_str) { p { strong { (summary) } } }
            (prose(op.get("description")))
            p class="muted small" {
                @if security.is_empty() { "No credential." } @else { "Credential: " (security.join(" or ")) "." }
                " Operation " code { (id) } "."
            }
            @if !params.is_empty() {
                h4 { "Parameters" }
                div class="table-scroll" { table {
                    thead { tr { th { "Name" } th { "In" } th { "Type" } th { "Description" } } }
                    tbody { @for p in &params { tr {
                        td { code { (text(p.get("name"))) } @if p.get("required") == Some(&Value::Bool(true)) { " " span class="badge badge-warn" { "required" } } }
                        td { (text(p.get("in"))) }
                        td { (type_of(p.get("schema"))) }
                        td { (inline_code(&text(p.get("description")))) }
                    } } }
                } }
            }
            @if let Some(body) = op.get("requestBody") {
                h4 { "Request body" }
                (content(body.get("content")))
            }
            h4 { "Responses" }
            div class="table-scroll" { table {
                thead { tr { th { "Status" } th { "Description" } th { "Body" } } }
                tbody { @for (status, r) in &own { tr {
                    td { code { (status) } }
                    td { (inline_code(&text(r.get("description")))) }
                    td { (content(r.get("content"))) }
                } } }
            } }
            @if !shared.is_empty() {
                p class="small" {
                    "Also, as an " a href="#schema-ErrorEnvelope" { "error envelope" } ": "
                    @for (i, (status, name)) in shared.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href={ "#response-" (name) } { code { (status) } " " (spaced(name)) }
                    }
                    "."
                }
            }
        }
    }
}

/// `TooManyRequests` as `too many requests`.
fn spaced(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Each media type of a body, with its schema.
fn content(content: Option<&Value>) -> Markup {
    html! {
        @for (media, c) in content.and_then(Value::as_object).into_iter().flatten() {
            div { code { (media) } @if c.get("schema").is_some_and(|s| s != &Value::Object(Map::new())) { " · " (type_of(c.get("schema"))) } }
        }
    }
}

/// A schema as a short type: a link for a named schema, `array of …`, alternatives, enum
/// values, or the type and format.
fn type_of(schema: Option<&Value>) -> Markup {
    let Some(schema) = schema else {
        return html! { "any" };
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let join = if key == "allOf" { " and " } else { " or " };
            return html! {
                @for (i, part) in parts.iter().enumerate() {
                    @if i > 0 { (join) }
                    (type_of(Some(part)))
                }
            };
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        return html! { "one of " code { (values.join(", ")) } };
    }
    let types: Vec<String> = match schema.get("type") {
        Some(Value::Array(t)) => t.iter().map(|t| text(Some(t))).collect(),
        Some(t) => vec![text(Some(t))],
        None => vec![],
    };
    let nullable = types.iter().any(|t| t == "null");
    let main: Vec<&String> = types.iter().filter(|t| *t != "null").collect();
    html! {
        @if main.iter().any(|t| *t == "array") {
            "array of " (type_of(schema.get("items")))
        } @else if main.is_empty() {
            "any"
        } @else {
            @for (i, t) in main.iter().enumerate() { @if i > 0 { " or " } (t) }
            @if let Some(format) = schema.get("format").and_then(Value::as_str) { " (" (format) ")" }
        }
        @if nullable { " or null" }
        (limits(schema))
    }
}

/// A schema's bounds, as the server enforces them.
fn limits(schema: &Value) -> Markup {
    let bounds: Vec<String> = [
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("maxItems", "items ≤"),
    ]
    .iter()
    .filter_map(|(key, label)| schema.get(*key).map(|v| format!("{label} {v}")))
    .collect();
    html! { @if !bounds.is_empty() { span class="muted" { " · " (bounds.join(", ")) } } }
}

fn schema_section(name: &str, schema: &Value) -> Markup {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    html! {
        article class="schema" id={ "schema-" (name) } {
            h3 { code { (name) } }
            (prose(schema.get("description")))
            @if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                div class="table-scroll" { table {
                    thead { tr { th { "Field" } th { "Type" } th { "Description" } } }
                    tbody { @for (field, s) in props { tr {
                        td { code { (field) } @if required.contains(&field.as_str()) { " " span class="badge badge-warn" { "required" } } }
                        td { (type_of(Some(s))) }
                        td { (inline_code(&text(s.get("description")))) }
                    } } }
                } }
                @if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                    p class="muted small" { "Other fields are refused." }
                }
            } @else {
                p { (type_of(Some(schema))) }
            }
        }
    }
}

/// A description as paragraphs (the document's Markdown shown as text, `code` kept).
fn prose(value: Option<&Value>) -> Markup {
    let text = text(value);
    html! {
        @for para in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
            p { (inline_code(para)) }
        }
    }
}

/// Text with its `backticked` spans as `<code>`, everything escaped.
fn inline_code(s: &str) -> Markup {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        let escaped = html! { (part) }.into_string();
        if i % 2 == 1 {
            out.push_str(&format!("<code>{escaped}</code>"));
        } else {
            out.push_str(&escaped);
        }
    }
    PreEscaped(out)
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn descriptions_are_escaped_and_code_spans_kept() {
        let html = super::inline_code("a `<b>` and <script>").into_string();
        assert_eq!(html, "a <code>&lt;b&gt;</code> and &lt;script&gt;");
    }

    #[test]
    fn types_name_references_arrays_and_nulls() {
        let t = |s| super::type_of(Some(&s)).into_string();
        assert_eq!(
            t(json!({"type": "array", "items": {"$ref": "#/components/schemas/ShareView"}})),
            "array of <a href=\"#schema-ShareView\">ShareView</a>"
        );
        assert_eq!(
            t(json!({"type": ["string", "null"], "format": "date-time"})),
            "string (date-time) or null"
        );
        assert_eq!(
            t(json!({"type": "integer", "minimum": 1})),
            "integer<span class=\"muted\"> · ≥ 1</span>"
        );
    }
}
