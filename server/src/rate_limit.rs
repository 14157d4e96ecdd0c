//! Per-address request limits in front of every endpoint a stranger can reach without
//! credentials: share links and the guest open (password, code and code resend), federated
//! and staff sign-in (start, ACS, OIDC callback, continuation, finish) and console sign-in;
//! and in front of the protected viewer's costly work, signed in or not (page images,
//! views, stamped downloads, leak traces), which each request sets a renderer or a core to.
//!
//! Keyed by the client address as resolved behind trusted proxies (`ClientIp`), IPv6
//! grouped by /64 ([`backend::actor::address_group`]). Limits are per node, in memory
//! (`governor`'s GCRA): they stop floods of writes, outbound IdP calls and audit appends;
//! the per-share and per-account attempt limits (in the database) are what bound guessing
//! across nodes. A refusal is a 429 with `Retry-After`; refusals are logged once per
//! address and minute, with the count of the minute before.

use crate::brand::TLS_ASK_PATH as TLS_ASK;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Which limit a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Share links and what a guest does before holding a session.
    Guest,
    /// Federated and staff sign-in, console password sign-in.
    SignIn,
    /// The protected viewer: page images, views, downloads (stamped on the way), traces.
    Viewer,
}

impl Bucket {
    fn as_str(self) -> &'static str {
        match self {
            Bucket::Guest => "guest",
            Bucket::SignIn => "sign_in",
            Bucket::Viewer => "viewer",
        }
    }

    /// The unauthenticated endpoints, by path (`None`: not limited here).
    pub fn of(method: &Method, path: &str) -> Option<Bucket> {
        let server_fn = |name: &str| {
            path.strip_prefix("/api/")
                .is_some_and(|rest| rest.starts_with(name))
        };
        let portal_item = path
            .strip_prefix("/api/portal/items/")
            .and_then(|rest| rest.split_once('/'))
            .map(|(_, what)| what);
        if portal_item
            .is_some_and(|what| what == "views" || what == "content" || what.starts_with("pages/"))
            || server_fn("guest/open_page_view")
            || server_fn("trace_leak")
            || path == "/api/v1/leaks/trace"
        {
            Some(Bucket::Viewer)
        } else if path.starts_with("/s/")
            // A secret's page, and its reveal.
            || path.starts_with(app::SECRET_LINK_PREFIX)
            || path == app::SECRET_OPEN_PATH
            || server_fn("guest/secret_overview")
            || (method == Method::POST && path == "/api/portal/session")
            // Each upgrade checks a session: reconnect storms are held to the guests' rate.
            || path == "/api/portal/live"
            || path == "/api/console/live"
            || path == "/auth/federation/share"
            // What a portal's domain answers every path that is not the guest's with.
            || path == app::NOT_FOUND_PATH
            // The API's description and its reference page.
            || path == "/api/v1/openapi.json"
            || path == "/api/v1/reference"
            || server_fn("guest/open_share")
            || server_fn("guest/share_landing")
            || server_fn("guest/site_brand")
            || server_fn("guest/flash_message")
            || server_fn("guest/request_renewal")
            // Signed in, but each call tests an address: held to the guests' rate too.
            || server_fn("guest/add_member_as_manager")
        {
            Some(Bucket::Guest)
        } else if path.starts_with("/auth/")
            // Answers a remote proxy presenting a key: held to the sign-in rate.
            || path == TLS_ASK
            || server_fn("sign_in")
            || server_fn("list_staff_sign_ins")
            // A staff member's one-time set-password link and its form.
            || path.starts_with(app::PASSWORD_LINK_PREFIX)
            || server_fn("check_password_link")
            || server_fn("set_password")
        {
            Some(Bucket::SignIn)
        } else {
            None
        }
    }
}

/// Requests per minute per address, with a burst of half a minute's worth.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub guest_per_minute: u32,
    pub sign_in_per_minute: u32,
    /// A guest scrolling a long document at two zooms asks for a hundred pages or so.
    pub viewer_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            guest_per_minute: 120,
            sign_in_per_minute: 60,
            viewer_per_minute: 600,
        }
    }
}

pub struct RateLimits {
    guest: Keyed,
    sign_in: Keyed,
    viewer: Keyed,
    clock: DefaultClock,
    checks: AtomicU64,
    /// (bucket, address) → (minute it was last logged, refusals since).
    logged: Mutex<HashMap<(Bucket, String), (Instant, u64)>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

fn quota(per_minute: u32) -> Quota {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new((per_minute / 2).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(burst)
}

impl RateLimits {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            guest: RateLimiter::keyed(quota(limits.guest_per_minute)),
            sign_in: RateLimiter::keyed(quota(limits.sign_in_per_minute)),
            viewer: RateLimiter::keyed(quota(limits.viewer_per_minute)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
            logged: Mutex::default(),
        })
    }

    /// `Err(seconds to wait)` when `address` has used up `bucket` for now.
    pub fn check(&self, bucket: Bucket, address: &str) -> Result<(), u64> {
        let limiter = match bucket {
            Bucket::Guest => &self.guest,
            Bucket::SignIn => &self.sign_in,
            Bucket::Viewer => &self.viewer,
        };
        // Forget idle addresses now and then, so the maps stay as small as the traffic.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.guest.retain_recent();
            self.sign_in.retain_recent();
            self.viewer.retain_recent();
            self.forget_logged();
        }
        let key = address.to_owned();
        match limiter.check_key(&key) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                self.log_refusal(bucket, key);
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
        }
    }

    fn log_refusal(&self, bucket: Bucket, address: String) {
        let now = Instant::now();
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        let entry = logged.entry((bucket, address.clone())).or_insert((now, 0));
        if entry.1 == 0 || now.duration_since(entry.0) >= Duration::from_secs(60) {
            tracing::warn!(
                client.address = %address,
                limit = bucket.as_str(),
                refused_in_the_minute_before = entry.1,
                "request rate limit reached"
            );
            *entry = (now, 1);
        } else {
            entry.1 += 1;
        }
    }

    fn forget_logged(&self) {
        let now = Instant::now();
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        logged.retain(|_, (at, _)| now.duration_since(*at) < Duration::from_secs(120));
    }
}

/// The middleware: counts a request against its bucket before anything else runs.
pub async fn limit_unauthenticated(
    State(limits): State<Arc<RateLimits>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(bucket) = Bucket::of(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let client = req
        .extensions()
        .get::<backend::actor::ClientIp>()
        .map(|c| c.0);
    // The local TLS proxy's asks are not held to the rate: each TLS handshake naming an
    // unknown host makes one, so a flood of them would otherwise stop certificates for
    // real portal domains. (A guest's request through that proxy has its own address.)
    if req.uri().path() == TLS_ASK && client.is_some_and(|ip| ip.is_loopback()) {
        return next.run(req).await;
    }
    let address = client.map_or_else(|| "unknown".to_owned(), backend::actor::address_group);
    match limits.check(bucket, &address) {
        Ok(()) => next.run(req).await,
        Err(wait) => too_many(req.uri().path(), wait),
    }
}

fn too_many(path: &str, wait_secs: u64) -> Response {
    let message = format!(
        "Too many requests from your address. Try again in {wait_secs} second{}.",
        if wait_secs == 1 { "" } else { "s" }
    );
    let mut resp = if path.starts_with("/api/") {
        crate::error::envelope(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", &message)
    } else {
        (StatusCode::TOO_MANY_REQUESTS, message).into_response()
    };
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait_secs.max(1)));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unauthenticated_endpoint_is_limited() {
        let guest = [
            (Method::GET, "/s/AAAA"),
            (Method::POST, "/api/portal/session"),
            (Method::GET, "/api/portal/live"),
            (Method::GET, "/api/console/live"),
            (Method::POST, "/auth/federation/share"),
            (Method::POST, "/api/guest/open_share1234567"),
            (Method::POST, "/api/guest/share_landing99"),
            (Method::POST, "/api/guest/site_brand5"),
            (Method::POST, "/api/guest/flash_message8"),
            (Method::POST, "/api/guest/add_member_as_manager77"),
            (Method::GET, "/not-found"),
            (Method::GET, "/api/v1/openapi.json"),
            (Method::GET, "/api/v1/reference"),
        ];
        for (m, p) in guest {
            assert_eq!(Bucket::of(&m, p), Some(Bucket::Guest), "{p}");
        }
        let sign_in = [
            (Method::GET, "/auth/staff/0190-abc"),
            (Method::GET, "/auth/staff/finish"),
            (Method::POST, "/auth/saml/0190-abc/acs"),
            (Method::GET, "/internal/tls/ask"),
            (Method::GET, "/auth/saml/0190-abc/continue"),
            (Method::GET, "/auth/oidc/callback"),
            (Method::POST, "/api/sign_in42"),
            (Method::POST, "/api/list_staff_sign_ins7"),
            (Method::GET, "/password/AAAA"),
            (Method::POST, "/api/check_password_link3"),
            (Method::POST, "/api/set_password12"),
        ];
        for (m, p) in sign_in {
            assert_eq!(Bucket::of(&m, p), Some(Bucket::SignIn), "{p}");
        }
        let viewer = [
            (Method::GET, "/api/portal/items/0190-abc/pages/3"),
            (Method::POST, "/api/portal/items/0190-abc/views"),
            (Method::GET, "/api/portal/items/0190-abc/content"),
            (Method::POST, "/api/guest/open_page_view12"),
            (Method::POST, "/api/trace_leak"),
            (Method::POST, "/api/v1/leaks/trace"),
        ];
        for (m, p) in viewer {
            assert_eq!(Bucket::of(&m, p), Some(Bucket::Viewer), "{p}");
        }
        for (m, p) in [
            (Method::POST, "/api/portal/session/renew"),
            (Method::GET, "/api/portal/items"),
            (Method::GET, "/api/v1/shares"),
            (Method::POST, "/api/sign_out5"),
            (Method::GET, "/pkg/liaison.css"),
            (Method::GET, "/console"),
        ] {
            assert_eq!(Bucket::of(&m, p), None, "{p}");
        }
    }

    #[test]
    fn a_burst_is_refused_with_a_wait_and_other_addresses_are_not() {
        let limits = RateLimits::new(Limits {
            guest_per_minute: 10,
            sign_in_per_minute: 10,
            viewer_per_minute: 10,
        });
        let allowed = (0..20)
            .filter(|_| limits.check(Bucket::Guest, "203.0.113.7").is_ok())
            .count();
        assert_eq!(allowed, 5, "the burst is half a minute's worth");
        let wait = limits.check(Bucket::Guest, "203.0.113.7").unwrap_err();
        assert!((1..=6).contains(&wait), "{wait}");
        assert!(limits.check(Bucket::Guest, "203.0.113.8").is_ok());
        assert!(limits.check(Bucket::SignIn, "203.0.113.7").is_ok());
    }
}
