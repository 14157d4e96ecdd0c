//! Comments on shared documents over REST: staff on `/api/v1` (API keys) and guests on
//! `/api/portal` (the portal session), the same service and rules as the pages
//! (`backend::services::comments`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::services::comments::{
    self, Audience, CommentView, CommentsPage, NewComment, Placement,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, ApiStaff, Meta, PortalGuest};
use crate::state::AppState;

/// Staff: `/documents/{id}/comments`, `/comments/{id}` (under `/api/v1`).
pub fn staff_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(staff_list, staff_post))
        .routes(routes!(staff_edit, staff_delete))
}

/// Guests: `/items/{id}/comments`, `/comments/{id}` (under `/api/portal`).
pub fn portal_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(guest_list, guest_post))
        .routes(routes!(guest_edit, guest_delete))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Changes after this change number (0, the default: from the start).
    #[serde(default)]
    #[param(minimum = 0)]
    after: i64,
    /// Staff: only the threads this share's guest reads (guests: not allowed).
    share: Option<String>,
}

/// Who reads a new staff thread.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum AudienceInput {
    Staff,
    Share(String),
    Shares(Vec<String>),
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PostInput {
    /// The comment, plain text (at most 10,000 characters).
    body: String,
    /// A reply to this comment's thread; otherwise a new thread.
    reply_to: Option<String>,
    /// The page a new thread is about.
    page: Option<i64>,
    /// Staff, new threads: who reads it (`"staff"`, `{"share": id}`, `{"shares": [ids]}`).
    audience: Option<AudienceInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EditInput {
    body: String,
}

/// The change number to read after, refused below 0.
fn after(q: &ListQuery) -> ApiResult<i64> {
    if q.after < 0 {
        return Err(crate::error::invalid(
            "after",
            "after is a change number, 0 or more",
        ));
    }
    Ok(q.after)
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

/// A document's comment changes after a change number (every thread, or one share's).
#[utoipa::path(get, path = "/documents/{id}/comments", tag = "comments",
    params(("id" = String, Path, description = "The document"), ListQuery),
    responses((status = 200, description = "The changes, in order", body = CommentsPage)))]
async fn staff_list(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<CommentsPage>> {
    Ok(Json(
        comments::for_staff(&state.core, &who, &id, q.share.as_deref(), after(&q)?).await?,
    ))
}

/// Comments on a document: a new thread for an audience, or a reply.
#[utoipa::path(post, path = "/documents/{id}/comments", tag = "comments",
    params(("id" = String, Path, description = "The document")), request_body = PostInput,
    responses((status = 201, description = "The comment", body = CommentView)))]
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

/// Edits one's own recent comment.
#[utoipa::path(patch, path = "/comments/{id}", tag = "comments",
    params(("id" = String, Path)), request_body = EditInput,
    responses((status = 200, description = "The comment as edited", body = CommentView)))]
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

/// Deletes a comment: one's own recent one, or any as a moderator.
#[utoipa::path(delete, path = "/comments/{id}", tag = "comments", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
async fn staff_delete(
    State(state): State<AppState>,
    ApiStaff(who): ApiStaff,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    comments::delete_as_staff(&state.core, &who, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The comment changes of the threads the guest's share reads, after a change number.
#[utoipa::path(get, path = "/items/{id}/comments", tag = "portal",
    params(("id" = String, Path, description = "The item"), ListQuery),
    responses((status = 200, description = "The changes, in order", body = CommentsPage)))]
async fn guest_list(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<CommentsPage>> {
    if q.share.is_some() {
        return Err(crate::error::invalid(
            "share",
            "a guest reads their own share's threads",
        ));
    }
    Ok(Json(
        comments::for_guest(&state.core, &guest, &id, after(&q)?).await?,
    ))
}

/// Comments on an item (the share must allow comments): a new thread or a reply.
#[utoipa::path(post, path = "/items/{id}/comments", tag = "portal",
    params(("id" = String, Path, description = "The item")), request_body = PostInput,
    responses((status = 201, description = "The comment", body = CommentView)))]
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

/// Edits the guest's own recent comment.
#[utoipa::path(patch, path = "/comments/{id}", tag = "portal",
    params(("id" = String, Path)), request_body = EditInput,
    responses((status = 200, description = "The comment as edited", body = CommentView)))]
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

/// Deletes the guest's own recent comment.
#[utoipa::path(delete, path = "/comments/{id}", tag = "portal", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
async fn guest_delete(
    State(state): State<AppState>,
    PortalGuest(guest, _): PortalGuest,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    comments::delete_as_guest(&state.core, &guest, &id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
