//! The refusal a plain form post came back with (see `ssr::seal_flash`).

use leptos::prelude::*;

use crate::error::AppError;

/// Opens the sealed `?error=` of a page: the message, or nothing for a token this server
/// did not seal in the last ten minutes. Needs no sign-in (the guest's response form uses
/// it too); it reveals only what the token's holder was already shown.
#[server(prefix = "/api/guest")]
pub async fn flash_message(token: String) -> Result<Option<String>, AppError> {
    let ctx = crate::ssr::context()?;
    Ok(crate::ssr::open_flash(&ctx.core, &token))
}
