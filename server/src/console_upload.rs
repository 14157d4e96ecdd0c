//! `POST /console/documents`: the console's upload form (multipart, session + CSRF token).
//! A plain form post, so it works before or without wasm; answers with a redirect.

use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use backend::services::uploads::StagedFiles;
use backend::services::{auth, documents};
use tower_sessions::Session;

use crate::api::extract::Meta;
use crate::api::v1::read_upload;
use crate::state::AppState;

fn back_with_error(message: &str) -> Response {
    let q: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    Redirect::to(&format!("/console/documents?error={q}")).into_response()
}

pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    Meta(meta): Meta,
    form: Multipart,
) -> Response {
    let user_id: Option<String> = session.get(app::ssr::SESSION_USER).await.ok().flatten();
    let expected: Option<String> = session.get(app::ssr::SESSION_CSRF).await.ok().flatten();
    let staff = match user_id {
        Some(id) => auth::staff_for_session(&state.core, &id)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some(staff) = staff else {
        return Redirect::to("/login").into_response();
    };
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return back_with_error("The form has expired. Reload the page and try again.");
    };
    let mut staged = StagedFiles::new(state.core.clone());
    let form = match read_upload(&state, &staff, form, Some(&expected), &mut staged).await {
        Ok(f) => f,
        Err(e) => return back_with_error(&crate::error::public_message(&e.0)),
    };
    match documents::adopt(&state.core, &staff, form.title, form.file, &meta).await {
        Ok(_) => {
            staged.adopted();
            Redirect::to("/console/documents?uploaded=1").into_response()
        }
        Err(e) => back_with_error(&crate::error::public_message(&e)),
    }
}
