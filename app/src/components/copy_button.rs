use leptos::prelude::*;

/// A button that writes `text` to the clipboard and says so ("Copied"), or asks the
/// person to copy by hand where the browser refuses (no secure context, no permission).
/// Before hydration the button does nothing; the text beside it can always be selected.
#[component]
pub fn CopyButton(
    #[prop(into)] text: String,
    #[prop(into, default = "Copy".to_string())] label: String,
    #[prop(into, optional)] testid: Option<String>,
) -> impl IntoView {
    let (said, say) = signal(None::<&'static str>);
    let copy = move |_| {
        write_clipboard(&text, move |ok| {
            say.set(Some(if ok {
                "Copied"
            } else {
                "Select the text and copy it"
            }));
        });
    };
    view! {
        <button type="button" class="btn" on:click=copy data-testid=testid>{label}</button>
        <span class="muted small" role="status">{move || said.get()}</span>
    }
}

/// `navigator.clipboard.writeText(text)`, then `done(true)` once the browser has written
/// it, or `done(false)` when it refuses (no clipboard API, no permission, the click's
/// activation spent) or has no clipboard at all.
#[cfg(feature = "hydrate")]
pub fn write_clipboard(text: &str, done: impl FnOnce(bool) + 'static) {
    use js_sys::{Function, Promise, Reflect};
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    let call = || -> Option<Promise> {
        let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
        let clipboard = Reflect::get(&navigator, &"clipboard".into()).ok()?;
        if clipboard.is_undefined() {
            return None;
        }
        let write: Function = Reflect::get(&clipboard, &"writeText".into())
            .ok()?
            .dyn_into()
            .ok()?;
        write.call1(&clipboard, &text.into()).ok()?.dyn_into().ok()
    };
    let Some(promise) = call() else {
        done(false);
        return;
    };
    let done = Rc::new(RefCell::new(Some(done)));
    let settle = |ok: bool| {
        let done = done.clone();
        Closure::once(move |_: JsValue| {
            if let Some(f) = done.borrow_mut().take() {
                f(ok);
            }
        })
    };
    let (written, refused) = (settle(true), settle(false));
    let _ = promise.then2(&written, &refused);
    written.forget();
    refused.forget();
}

#[cfg(not(feature = "hydrate"))]
pub fn write_clipboard(_text: &str, done: impl FnOnce(bool) + 'static) {
    done(false);
}
