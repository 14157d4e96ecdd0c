use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{CommentView, CommentsAccess, CommentsView, ShareComments};

/// The changes to a document's comments after change `after` (0: all): every thread, or
/// with `share` those that share's guest reads. Up to [`MAX_PAGES`] of the service's pages
/// in one answer; `more` says whether others follow.
#[server]
pub async fn staff_comments(
    document: String,
    share: Option<String>,
    after: i64,
) -> Result<CommentsView, AppError> {
    use crate::ssr::{context, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    read_staff_comments(
        &ctx.core,
        &staff,
        &document,
        crate::server_fns::chosen(&share),
        after,
    )
    .await
}

/// [`staff_comments`] for `staff`.
#[cfg(feature = "ssr")]
async fn read_staff_comments(
    core: &backend::Liaison,
    staff: &backend::actor::Staff,
    document: &str,
    share: Option<&str>,
    after: i64,
) -> Result<CommentsView, AppError> {
    let mut all = CommentsView {
        items: Vec::new(),
        last_rev: after,
        more: true,
    };
    for _ in 0..MAX_PAGES {
        let page =
            backend::services::comments::for_staff(core, staff, document, share, all.last_rev)
                .await
                .map_err(crate::ssr::fail)?;
        let page: CommentsView = super::mirror(page)?;
        all.items.extend(page.items);
        all.last_rev = page.last_rev;
        all.more = page.more;
        if !page.more {
            break;
        }
    }
    Ok(all)
}

/// Service pages [`staff_comments`] reads at most in one call.
pub const MAX_PAGES: usize = 25;

/// What the viewer may do in a document's comments, and the document's active shares a new
/// thread may address.
#[server]
pub async fn load_comment_access(document: String) -> Result<CommentsAccess, AppError> {
    use crate::ssr::{context, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    read_access(&ctx.core, &staff, &document).await
}

/// [`load_comment_access`] for `staff`.
#[cfg(feature = "ssr")]
async fn read_access(
    core: &backend::Liaison,
    staff: &backend::actor::Staff,
    document: &str,
) -> Result<CommentsAccess, AppError> {
    let access = backend::services::comments::access(core, staff, document)
        .await
        .map_err(crate::ssr::fail)?;
    super::mirror(access)
}

/// The comments of a document share's document that its guest reads, with what the
/// viewer may do there (`None`: a package share, whose documents each have their page).
#[server]
pub async fn load_share_comments(share: String) -> Result<Option<ShareComments>, AppError> {
    use crate::ssr::{context, fail, require_staff};
    let ctx = context()?;
    let staff = require_staff().await?;
    let found = backend::services::shares::get(&ctx.core, &staff, &share)
        .await
        .map_err(fail)?;
    if found.item.kind != "document" {
        return Ok(None);
    }
    let document = found.item.id;
    // Read here, not through the other server functions: their context would be gone
    // after this one's first await.
    Ok(Some(ShareComments {
        first: read_staff_comments(&ctx.core, &staff, &document, Some(&share), 0).await?,
        access: read_access(&ctx.core, &staff, &document).await?,
        document,
    }))
}

/// Staff write a comment: a reply (`reply_to`), or a new thread on `page` (blank: none)
/// read by `audience`: `staff` (staff only), a share's id (that share's guest), or
/// `shares` (the shares named in `audience_shares`, for those who moderate).
#[server]
pub async fn post_staff_comment(
    csrf: String,
    document: String,
    reply_to: Option<String>,
    page: String,
    audience: String,
    audience_shares: Option<Vec<String>>,
    body: String,
) -> Result<CommentView, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::comments::{self, Audience, NewComment, Placement};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    let placement = match crate::server_fns::chosen(&reply_to) {
        Some(to) => Placement::Reply { to: to.to_owned() },
        None => Placement::Thread {
            page: super::page_number(&page)?,
            audience: match audience.as_str() {
                "staff" => Audience::Staff,
                "shares" => Audience::Shares(audience_shares.unwrap_or_default()),
                "" => return Err(AppError::invalid("audience", "choose who reads the thread")),
                share => Audience::Share(share.to_owned()),
            },
        },
    };
    let input = NewComment {
        document_id: document,
        placement,
        body,
    };
    let view = comments::post_as_staff(&ctx.core, &staff, input, &meta)
        .await
        .map_err(fail)?;
    super::mirror(view)
}

/// Staff change the text of their own recent comment.
#[server]
pub async fn edit_staff_comment(
    csrf: String,
    id: String,
    body: String,
) -> Result<CommentView, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    let view = backend::services::comments::edit_as_staff(&ctx.core, &staff, &id, &body, &meta)
        .await
        .map_err(fail)?;
    super::mirror(view)
}

/// Staff delete a comment: their own recent one, or any, for those who moderate.
#[server]
pub async fn delete_staff_comment(csrf: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let meta = meta().await?;
    backend::services::comments::delete_as_staff(&ctx.core, &staff, &id, &meta)
        .await
        .map_err(fail)
}
