//! Explicit application state (no globals): the backend core plus what the HTTP layer needs.

use std::sync::Arc;

use axum::extract::FromRef;
use backend::Liaison;
use leptos::config::LeptosOptions;

use crate::rate_limit::{Limits, RateLimits};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub core: Arc<Liaison>,
    pub leptos_options: LeptosOptions,
    /// Console cookies get `Secure` when the public URL is https (guest cookies follow their
    /// site: `Settings::secure_cookies_on`).
    pub secure_cookies: bool,
    /// Per-address request limits of the unauthenticated endpoints.
    pub limits: Arc<RateLimits>,
}

impl AppState {
    /// The state for `core`: cookies are `Secure` when its public URL is https.
    pub fn new(core: Arc<Liaison>, leptos_options: LeptosOptions) -> Self {
        let url = &core.settings.public_url;
        Self {
            secure_cookies: url.scheme() == "https",
            limits: RateLimits::new(Limits::default()),
            core,
            leptos_options,
        }
    }

    /// Other request limits than the defaults.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = RateLimits::new(limits);
        self
    }

    pub fn server_context(&self) -> app::ssr::ServerContext {
        app::ssr::ServerContext {
            core: self.core.clone(),
        }
    }
}
