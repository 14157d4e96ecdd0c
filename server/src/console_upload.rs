//! The console's upload forms (multipart, session + CSRF token): `POST /console/documents`
//! (a new document) and `POST /console/documents/{id}/revisions` (its next revision). Plain
//! form posts, so they work before or without wasm; both answer with a redirect: to the
//! document's page when it landed, back to the form with the error flashed when it did
//! not. The hydrated page posts the same form by `XMLHttpRequest` (to show progress) with
//! `Accept: application/json`, and is answered `{"location": …}` instead of the redirect,
//! so that the flash cookie waits for the page it goes to rather than being spent on a
//! redirect the request would follow.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use backend::services::documents;
use backend::services::uploads::StagedFiles;

use crate::api::documents::read_upload;
use crate::extract::{ConsoleStaff, Meta};
use crate::state::AppState;

const EXPIRED: &str = "The form has expired. Reload the page and try again.";

pub async fn upload(
    State(state): State<AppState>,
    staff: ConsoleStaff,
    Meta(meta): Meta,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let answer = receive(&state, staff, meta, form, None).await;
    as_asked(&headers, answer)
}

pub async fn upload_revision(
    State(state): State<AppState>,
    staff: ConsoleStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let answer = receive(&state, staff, meta, form, Some(id)).await;
    as_asked(&headers, answer)
}

/// The redirect as is, or — asked for JSON — `200 {"location": …}` with the same cookies.
fn as_asked(headers: &HeaderMap, mut answer: Response) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let location = answer
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (true, Some(location)) = (wants_json, location) else {
        return answer;
    };
    answer.headers_mut().remove(header::LOCATION);
    let cookies = answer.headers().get_all(header::SET_COOKIE).iter().cloned();
    let mut json = (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "location": location })),
    )
        .into_response();
    for c in cookies {
        json.headers_mut().append(header::SET_COOKIE, c);
    }
    json
}

/// Reads the form, adopts the file as a document (or the next revision of `revision_of`)
/// and redirects.
async fn receive(
    state: &AppState,
    ConsoleStaff { staff, csrf }: ConsoleStaff,
    meta: backend::actor::RequestMeta,
    form: Multipart,
    revision_of: Option<String>,
) -> Response {
    let back = |message: &str| {
        let page = match &revision_of {
            // Only a well-formed id goes back into a URL.
            Some(id) if uuid::Uuid::parse_str(id).is_ok() => format!("/console/documents/{id}"),
            _ => "/console/documents".to_owned(),
        };
        crate::error::back_with_error(&state.core, state.secure_cookies, &page, message)
    };
    let Some(expected) = csrf else {
        return back(EXPIRED);
    };
    let mut staged = StagedFiles::new(state.core.clone());
    let form = match read_upload(state, &staff, form, Some(&expected), &mut staged).await {
        Ok(f) => f,
        Err(e) => return back(&crate::error::public_message(&e.0)),
    };
    let adopted = match &revision_of {
        None => documents::adopt(&state.core, &staff, form.about, form.file, &meta).await,
        Some(id) => match crate::api::documents::revision_title(form.about) {
            Ok(title) => {
                documents::adopt_revision(&state.core, &staff, id, title, form.file, &meta).await
            }
            Err(e) => return back(&crate::error::public_message(&e.0)),
        },
    };
    match adopted {
        Ok(doc) => {
            staged.adopted();
            let done = if revision_of.is_some() {
                "revised"
            } else {
                "uploaded"
            };
            Redirect::to(&format!("/console/documents/{}?{done}=1", doc.id)).into_response()
        }
        Err(e) => back(&crate::error::public_message(&e)),
    }
}
