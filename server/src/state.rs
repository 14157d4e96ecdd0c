//! Explicit application state (no globals): the backend core plus what the HTTP layer needs.

use std::sync::Arc;

use axum::extract::FromRef;
use backend::Liaison;
use leptos::config::LeptosOptions;

use crate::middleware::AllowedOrigin;
use crate::rate_limit::{Limits, RateLimits};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub core: Arc<Liaison>,
    pub leptos_options: LeptosOptions,
    pub allowed_origin: AllowedOrigin,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// Per-address request limits of the unauthenticated endpoints.
    pub limits: Arc<RateLimits>,
}

impl AppState {
    /// The state for `core`: writes are accepted from its public URL's origin, cookies are
    /// `Secure` when that URL is https.
    pub fn new(core: Arc<Liaison>, leptos_options: LeptosOptions) -> Self {
        let url = &core.settings.public_url;
        Self {
            allowed_origin: AllowedOrigin(url.origin().ascii_serialization()),
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
            secure_cookies: self.secure_cookies,
        }
    }
}
