//! Comments on shared documents over REST: staff on `/api/v1` (API keys) and guests on
//! `/api/portal` (the portal session), the same service and rules as the pages
//! (`backend::services::comments`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use backend::services::comments::{
    self, Audience, CommentView, CommentsPage, NewComment, Placement,
};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiStaff, Meta, PortalGuest};
use crate::state::AppState;

/// Staff: `/documents/{id}/comments`, `/comments/{id}` (under `/api/v1`).
pub fn staff_router() -> Router<AppState> {
    Router::new()
        .route("/documents/{id}/comments", get(staff_list).post(staff_post))
        .route("/comments/{id}", patch(staff_edit).delete(staff_delete))
}

/// Guests: `/items/{id}/comments`, `/comments/{id}` (under `/api/portal`).
pub fn portal_router() -> Router<AppState> {
    Router::new()
        .route("/items/{id}/comments", get(guest_list).post(guest_post))
        .route("/comments/{id}", patch(guest_edit).delete(guest_delete))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Changes after this change number (0, the default: from the start).
    #[serde(default)]
    after: i64,
    /// Staff: only the threads this share's guest reads.
    share: Option<String>,
}

/// Who reads a new staff thread.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum AudienceInput {
    Staff,
    Share(String),
    Shares(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostInput {
    body: String,
    /// A reply to this comment's thread; otherwise a new thread.
    reply_to: Option<String>,
    /// The page a new thread is about.
    page: Option<i64>,
    /// Staff, new threads: who reads it (`"staff"`, `{"share": id}`, `{"shares": [ids]}`).
    audience: Option<AudienceInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditInput {
    body: String,
}

fn new_comment(document_id: String, input: PostInput, staff: bool) -> ApiResult<NewComment> {
    let placement = match (input.reply_to, staff) {
        (Some(to), _) => Placement::Reply { to },
        (None, false) => Placement::Thread {
            page: input.page,
            audience: Audience::Staff,
        },
        (None, true) => Placement::Thread {
            page: input.page,
            audience: match input.audience {
                Some(AudienceInput::Staff) => Audience::Staff,
                Some(AudienceInput::Share(id)) => Audience::Share(id),
                Some(AudienceInput::Shares(ids)) => Audience::Shares(ids),
                None => return Err(crate::error::invalid(
                    "audience",
                    "say who reads a new thread: \"staff\", {\"share\": id} or {\"shares\": [ids]}",
                )),
            },
        },
    };
    Ok(NewComment {
        document_id,
        placement,
        body: input.body,
    })
}

async fn staff_list(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<CommentsPage>> {
    let Query(q) = query.map_err(|e| crate::error::invalid("query", e.body_text()))?;
    Ok(Json(
        comments::for_staff(&state.core, &who, &id, q.share.as_deref(), q.after).await?,
    ))
}

async fn staff_post(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PostInput>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let input = new_comment(id, input, true)?;
    let view = comments::post_as_staff(&state.core, &who, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn staff_edit(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EditInput>,
) -> ApiResult<Json<CommentView>> {
    Ok(Json(
        comments::edit_as_staff(&state.core, &who, &id, &input.body, &meta).await?,
    ))
}

async fn staff_delete(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    comments::delete_as_staff(&state.core, &who, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn guest_list(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Path(id): Path<String>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<CommentsPage>> {
    let Query(q) = query.map_err(|e| crate::error::invalid("query", e.body_text()))?;
    if q.share.is_some() {
        return Err(crate::error::invalid(
            "share",
            "a guest reads their own share's threads",
        ));
    }
    Ok(Json(
        comments::for_guest(&state.core, &guest, &id, q.after).await?,
    ))
}

async fn guest_post(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PostInput>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    if input.audience.is_some() {
        return Err(crate::error::invalid(
            "audience",
            "a guest's thread is read by their share; leave the audience out",
        ));
    }
    let input = new_comment(id, input, false)?;
    let view = comments::post_as_guest(&state.core, &guest, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn guest_edit(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EditInput>,
) -> ApiResult<Json<CommentView>> {
    Ok(Json(
        comments::edit_as_guest(&state.core, &guest, &id, &input.body, &meta).await?,
    ))
}

async fn guest_delete(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    comments::delete_as_guest(&state.core, &guest, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
