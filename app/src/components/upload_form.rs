use leptos::prelude::*;

use super::CsrfField;

/// A multipart upload form that shows its progress. It is a plain form post (CSRF field
/// first, so the server checks it before reading the file) and works before hydration;
/// once hydrated it sends the same form with `XMLHttpRequest` asking for JSON, shows the
/// bytes sent as a `<progress>` bar, and then goes where the server says (the document's
/// page, or back here with the error flashed).
#[component]
pub fn UploadForm(
    /// Where the form posts.
    #[prop(into)]
    action: String,
    #[prop(into)] submit_label: String,
    /// The fields before the file input (which `children` must include).
    children: Children,
) -> impl IntoView {
    let (sent, set_sent) = signal(None::<(f64, f64)>);
    let (failed, set_failed) = signal(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if let Some(form) = form_of(&ev) {
            ev.prevent_default();
            set_failed.set(None);
            set_sent.set(Some((0.0, 0.0)));
            if !send(&form, set_sent, set_failed) {
                set_sent.set(None);
                set_failed.set(Some(
                    "The browser could not start the upload; try again.".into(),
                ));
            }
        }
    };
    let percent = move || {
        sent.get().map(|(done, total)| {
            if total > 0.0 {
                (done / total * 100.0).round()
            } else {
                0.0
            }
        })
    };
    view! {
        <form method="post" action=action enctype="multipart/form-data" class="form-grid upload"
            on:submit=on_submit>
            <CsrfField/>
            {children()}
            <button type="submit" class="btn btn-primary" disabled=move || sent.get().is_some()>{submit_label}</button>
            {move || percent().map(|p| view! {
                <div class="upload-progress" role="status" data-testid="upload-progress">
                    <progress max="100" value=p aria-label="Upload progress"></progress>
                    <span class="small">{format!("Uploading… {p}%")}</span>
                </div>
            })}
            {move || failed.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        </form>
    }
}

#[cfg(feature = "hydrate")]
fn form_of(ev: &leptos::ev::SubmitEvent) -> Option<web_sys::HtmlFormElement> {
    use wasm_bindgen::JsCast;
    ev.target()?.dyn_into().ok()
}

#[cfg(not(feature = "hydrate"))]
fn form_of(_ev: &leptos::ev::SubmitEvent) -> Option<()> {
    None
}

/// Posts `form` by XHR, reporting progress to `sent`; on completion the browser goes to
/// the URL the server's redirect ended at. False if the request could not be started.
#[cfg(feature = "hydrate")]
fn send(
    form: &web_sys::HtmlFormElement,
    sent: WriteSignal<Option<(f64, f64)>>,
    failed: WriteSignal<Option<String>>,
) -> bool {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let start = || -> Result<(), wasm_bindgen::JsValue> {
        let data = web_sys::FormData::new_with_form(form)?;
        let xhr = web_sys::XmlHttpRequest::new()?;
        xhr.open("POST", &form.action())?;
        xhr.set_request_header("Accept", "application/json")?;
        let progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() {
                    sent.set(Some((e.loaded(), e.total())));
                }
            });
        xhr.upload()?
            .set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
        let done_xhr = xhr.clone();
        let done = Closure::<dyn FnMut()>::new(move || {
            let answer = done_xhr
                .response_text()
                .ok()
                .flatten()
                .and_then(|t| js_sys::JSON::parse(&t).ok());
            let field = |name: &str| {
                answer
                    .as_ref()
                    .and_then(|a| js_sys::Reflect::get(a, &name.into()).ok())
                    .and_then(|v| v.as_string())
            };
            match (field("location"), web_sys::window()) {
                // Only a path of this site: never an address from elsewhere (browsers
                // read `/\host` and `/<tab>/host` as `//host`).
                (Some(to), Some(w)) if is_local_path(&to) => {
                    let _ = w.location().assign(&to);
                }
                _ => {
                    sent.set(None);
                    failed.set(Some(field("message").unwrap_or_else(|| {
                        "The server refused the upload. Reload the page and try again.".into()
                    })));
                }
            }
        });
        xhr.set_onload(Some(done.as_ref().unchecked_ref()));
        done.forget();
        let error = Closure::<dyn FnMut()>::new(move || {
            sent.set(None);
            failed.set(Some(
                "The upload did not reach the server (connection lost?); try again.".into(),
            ));
        });
        xhr.set_onerror(Some(error.as_ref().unchecked_ref()));
        error.forget();
        xhr.send_with_opt_form_data(Some(&data))?;
        Ok(())
    };
    start().is_ok()
}

#[cfg(not(feature = "hydrate"))]
fn send(
    _form: &(),
    _sent: WriteSignal<Option<(f64, f64)>>,
    _failed: WriteSignal<Option<String>>,
) -> bool {
    false
}

/// Whether `to` is a path on this site: it starts with one `/`, and holds no backslash,
/// whitespace or control character a browser might drop or turn into another `/`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn is_local_path(to: &str) -> bool {
    to.starts_with('/')
        && !to.starts_with("//")
        && !to
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert!(super::is_local_path("/console/documents/1?uploaded=1"));
        for elsewhere in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "/ok\n",
            "",
        ] {
            assert!(!super::is_local_path(elsewhere), "{elsewhere:?}");
        }
    }
}
