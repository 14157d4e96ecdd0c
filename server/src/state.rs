//! Explicit application state (no globals): the backend core plus what the HTTP layer needs.

use std::sync::Arc;

use app::assets::SiteAssets;
use axum::extract::FromRef;
use backend::Liaison;
use leptos::config::LeptosOptions;

use crate::rate_limit::{Limits, RateLimits};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub core: Arc<Liaison>,
    pub leptos_options: LeptosOptions,
    /// The built front end's file names (`pkg/manifest.json` under the site root).
    pub assets: Arc<SiteAssets>,
    /// Console cookies get `Secure` when the public URL is https (guest cookies follow their
    /// site: `Settings::secure_cookies_on`).
    pub secure_cookies: bool,
    /// Per-address request limits of the unauthenticated endpoints.
    pub limits: Arc<RateLimits>,
    /// The key a TLS proxy on another host presents to the on-demand TLS `ask`
    /// (`LIAISON_TLS_ASK_KEY`); without one, only the local proxy is answered.
    pub tls_ask_key: Option<Arc<secrecy::SecretString>>,
    /// The reads this node's live channels share.
    pub live: Arc<crate::live::SharedReads>,
}

impl AppState {
    /// The state for `core`: cookies are `Secure` when its public URL is https.
    pub fn new(core: Arc<Liaison>, leptos_options: LeptosOptions) -> Self {
        let url = &core.settings.public_url;
        Self {
            secure_cookies: url.scheme() == "https",
            limits: RateLimits::new(Limits::default()),
            assets: Arc::new(SiteAssets::load(std::path::Path::new(
                leptos_options.site_root.as_ref(),
            ))),
            tls_ask_key: None,
            live: Arc::default(),
            core,
            leptos_options,
        }
    }

    /// Answers the TLS `ask` from anywhere for a caller presenting `key`.
    pub fn with_tls_ask_key(mut self, key: Option<secrecy::SecretString>) -> Self {
        self.tls_ask_key = key.map(Arc::new);
        self
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
