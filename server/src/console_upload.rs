//! `POST /console/documents`: the console's upload form (multipart, session + CSRF token).
//! A plain form post, so it works before or without wasm; answers with a redirect.

use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use backend::services::documents;
use backend::services::uploads::StagedFiles;

use crate::api::documents::read_upload;
use crate::extract::{ConsoleStaff, Meta};
use crate::state::AppState;

fn back_with_error(state: &AppState, message: &str) -> Response {
    crate::error::back_with_error(
        &state.core,
        state.secure_cookies,
        "/console/documents",
        message,
    )
}

pub async fn upload(
    State(state): State<AppState>,
    ConsoleStaff { staff, csrf }: ConsoleStaff,
    Meta(meta): Meta,
    form: Multipart,
) -> Response {
    let Some(expected) = csrf else {
        return back_with_error(
            &state,
            "The form has expired. Reload the page and try again.",
        );
    };
    let mut staged = StagedFiles::new(state.core.clone());
    let form = match read_upload(&state, &staff, form, Some(&expected), &mut staged).await {
        Ok(f) => f,
        Err(e) => return back_with_error(&state, &crate::error::public_message(&e.0)),
    };
    match documents::adopt(&state.core, &staff, form.title, form.file, &meta).await {
        Ok(_) => {
            staged.adopted();
            Redirect::to("/console/documents?uploaded=1").into_response()
        }
        Err(e) => back_with_error(&state, &crate::error::public_message(&e)),
    }
}
