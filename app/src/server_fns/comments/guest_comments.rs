use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{CommentView, CommentsView};

/// The changes to a document's comments the guest may read, after change `after` (0: all).
#[server(prefix = "/api/guest")]
pub async fn guest_comments(document: String, after: i64) -> Result<CommentsView, AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    let page = backend::services::comments::for_guest(&ctx.core, &guest, &document, after)
        .await
        .map_err(fail)?;
    super::mirror(page)
}

/// The guest writes a comment: a new thread (optionally on a page) or, with `reply_to`, a
/// reply.
#[server(prefix = "/api/guest")]
pub async fn post_guest_comment(
    document: String,
    reply_to: Option<String>,
    page: String,
    body: String,
) -> Result<CommentView, AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    use backend::services::comments::{self, Audience, NewComment, Placement};
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    let placement = match crate::server_fns::chosen(&reply_to) {
        Some(to) => Placement::Reply { to: to.to_owned() },
        None => Placement::Thread {
            page: super::page_number(&page)?,
            audience: Audience::Staff,
        },
    };
    let input = NewComment {
        document_id: document,
        placement,
        body,
    };
    let view = comments::post_as_guest(&ctx.core, &guest, input, &meta)
        .await
        .map_err(fail)?;
    super::mirror(view)
}

/// The guest changes the text of their own recent comment.
#[server(prefix = "/api/guest")]
pub async fn edit_guest_comment(id: String, body: String) -> Result<CommentView, AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    let view = backend::services::comments::edit_as_guest(&ctx.core, &guest, &id, &body, &meta)
        .await
        .map_err(fail)?;
    super::mirror(view)
}

/// The guest deletes their own recent comment.
#[server(prefix = "/api/guest")]
pub async fn delete_guest_comment(id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_cookie_guest};
    let ctx = context()?;
    let meta = meta().await?;
    let guest = require_cookie_guest(&ctx.core, &meta).await?;
    backend::services::comments::delete_as_guest(&ctx.core, &guest, &id, &meta)
        .await
        .map_err(fail)
}
