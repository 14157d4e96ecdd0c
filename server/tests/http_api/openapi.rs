//! The OpenAPI document: it describes every route of `/api/v1` and `/api/portal` and
//! nothing else, completely enough for a client generator or a fuzzer, and its reference
//! page renders it offline.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let r = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/json");
    r.json()
}

/// Each (method, path template, operation) of the document.
fn operations(doc: &Value) -> Vec<(&'static str, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method, path.clone(), op));
            }
        }
    }
    out
}

/// A concrete path for a template: numbers where the parameter is an integer, an id that
/// names nothing elsewhere.
fn concrete(template: &str, op: &Value) -> String {
    let kinds: HashMap<&str, &str> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "path")
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["schema"]["type"].as_str().unwrap_or("string"),
            )
        })
        .collect();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').unwrap() + open;
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        out.push_str(match kinds.get(name) {
            Some(&"integer") => "1",
            _ => "0190f000-0000-7000-8000-000000000000",
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_described_operation_is_served() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    assert!(ops.len() > 80, "only {} operations described", ops.len());
    for (method, template, op) in ops {
        let path = concrete(&template, op);
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = app.call(m, &path, None, None).await;
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let unrouted = r.status == StatusCode::NOT_FOUND
            && r.json()["error"]["message"] == "No such endpoint.";
        assert!(!unrouted, "{method} {template} is described but not served");
    }
}

/// Where routes are registered: the API's modules build `utoipa_axum` routers, whose
/// `routes!` registers a handler and its description together, so a route there without a
/// description cannot be written except by a plain `.route(` — which this refuses, as it
/// refuses an `/api/v1` or `/api/portal` path registered anywhere else.
#[test]
fn no_route_is_registered_past_the_document() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    assert!(files.len() > 30);
    // `secrets::outside_router` serves `/api/secret/open` and `/console/secrets`: the
    // secret page's own endpoints, outside both APIs.
    let allowed: HashMap<&str, usize> = [("api/secrets.rs", 2)].into();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let plain = [".route(", ".route_service(", ".nest_service("]
            .iter()
            .map(|call| text.matches(call).count())
            .sum::<usize>();
        if name.starts_with("api/") {
            assert_eq!(
                plain,
                allowed.get(name.as_str()).copied().unwrap_or(0),
                "{name} registers a route without describing it: use `.routes(routes!(…))`"
            );
        }
        for call in text.split(".route(").skip(1) {
            let first = call.trim_start();
            assert!(
                !first.starts_with("\"/api/v1") && !first.starts_with("\"/api/portal"),
                "{name} registers an API route outside the document: {}",
                first.lines().next().unwrap_or_default()
            );
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[tokio::test]
async fn the_document_is_complete() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("admin_key") && schemes.contains_key("portal_session"));
    let mut ids = BTreeSet::new();
    let public: BTreeSet<&str> = [
        "create_session",
        "openapi_json",
        "reference_page",
        "jwks",
        "healthz",
    ]
    .into();
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: no operationId"));
        assert!(
            ids.insert(id.to_owned()),
            "{at}: operationId {id} is used twice"
        );
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{at}: no summary"
        );
        assert!(op["tags"][0].is_string(), "{at}: no tag");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2') || s == "101"),
            "{at}: no success answer"
        );
        for status in ["429", "500", "503"] {
            assert!(responses.contains_key(status), "{at}: {status} undescribed");
        }
        let secured = op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
        if public.contains(id) {
            assert!(!secured, "{at}: public, yet asks for a credential");
        } else {
            let want = if path.starts_with("/api/portal/") {
                "portal_session"
            } else {
                "admin_key"
            };
            assert_eq!(
                op["security"][0]
                    .as_object()
                    .unwrap()
                    .keys()
                    .next()
                    .unwrap(),
                want,
                "{at}"
            );
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{at}: {status} undescribed");
            }
        }
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(declared, in_path, "{at}: path parameters");
        if !in_path.is_empty() {
            assert!(responses.contains_key("404"), "{at}: 404 undescribed");
        }
        if op.get("requestBody").is_some() {
            for status in ["413", "415", "422"] {
                assert!(responses.contains_key(status), "{at}: {status} undescribed");
            }
        }
    }
    // Every link names an operation the document has, and only parameters it takes.
    let params_of: HashMap<String, BTreeSet<String>> = operations(&doc)
        .into_iter()
        .map(|(_, _, op)| {
            let names = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            (op["operationId"].as_str().unwrap().to_owned(), names)
        })
        .collect();
    let mut links = 0;
    for (method, path, op) in operations(&doc) {
        for (status, r) in op["responses"].as_object().unwrap() {
            for (name, link) in r["links"].as_object().into_iter().flatten() {
                links += 1;
                let target = link["operationId"].as_str().unwrap();
                let params = params_of.get(target).unwrap_or_else(|| {
                    panic!("{method} {path} {status}: link {name} names nothing")
                });
                for p in link["parameters"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    assert!(
                        params.contains(p),
                        "{method} {path}: link {name} passes {p}"
                    );
                }
            }
        }
    }
    assert!(links >= 30, "only {links} links");
    // Every reference names something the document has.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} names nothing");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_reference_page_shows_every_operation_from_this_site_alone() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let r = app.call(Method::GET, "/api/v1/reference", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("http"),
        "{csp}"
    );
    let html = r.text();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap();
        assert!(
            html.contains(&format!("id=\"op-{id}\"")),
            "{method} {path} missing"
        );
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            html.contains(&format!("id=\"schema-{name}\"")),
            "schema {name} missing"
        );
    }
    assert!(!html.contains("<script"), "the page runs no script");
    for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(attr),
            "the page loads from elsewhere: {attr}"
        );
    }
}
