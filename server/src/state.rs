//! Explicit application state (no globals): the backend core plus what the HTTP layer needs.

use std::sync::Arc;

use axum::extract::FromRef;
use backend::Liaison;
use leptos::config::LeptosOptions;

use crate::middleware::AllowedOrigin;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub core: Arc<Liaison>,
    pub leptos_options: LeptosOptions,
    pub allowed_origin: AllowedOrigin,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
}

impl AppState {
    pub fn server_context(&self) -> app::ssr::ServerContext {
        app::ssr::ServerContext {
            core: self.core.clone(),
            secure_cookies: self.secure_cookies,
        }
    }
}
