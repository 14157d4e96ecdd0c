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
        say.set(Some(if write_clipboard(&text) {
            "Copied"
        } else {
            "Select the text and copy it"
        }));
    };
    view! {
        <button type="button" class="btn" on:click=copy data-testid=testid>{label}</button>
        <span class="muted small" role="status">{move || said.get()}</span>
    }
}

/// `navigator.clipboard.writeText(text)`; false when the browser has no clipboard API.
#[cfg(feature = "hydrate")]
pub fn write_clipboard(text: &str) -> bool {
    use js_sys::{Function, Reflect};
    use wasm_bindgen::JsCast;
    let call = || -> Option<()> {
        let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
        let clipboard = Reflect::get(&navigator, &"clipboard".into()).ok()?;
        if clipboard.is_undefined() {
            return None;
        }
        let write: Function = Reflect::get(&clipboard, &"writeText".into())
            .ok()?
            .dyn_into()
            .ok()?;
        write.call1(&clipboard, &text.into()).ok().map(|_| ())
    };
    call().is_some()
}

#[cfg(not(feature = "hydrate"))]
pub fn write_clipboard(_text: &str) -> bool {
    false
}
