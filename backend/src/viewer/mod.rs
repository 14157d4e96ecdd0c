//! The protected viewer's machinery: documents become page images on the server
//! ([`pool`]: bounded, isolated renderer processes), clean pages are cached per revision,
//! page and width ([`cache`]), and each guest's watermark is composited onto them per
//! request ([`layers`] keeps the drawn watermark per view and size, and where each clean
//! page's codes go). Renders run one at a
//! time per page and width ([`flight`]); renders and compositing each pass a bounded,
//! timed queue ([`gate`]). The guest-facing rules — who may see what, views, audit — are
//! `services::access::pages`.

pub mod cache;
pub mod flight;
pub mod gate;
pub mod layers;
pub mod pool;

pub use pool::{Budget, RenderPool};

/// The viewer's parts, held by [`crate::Liaison`].
#[derive(Debug)]
pub struct Viewer {
    pub pool: RenderPool,
    /// The most the page cache may hold, in bytes (least recently used pages go first).
    pub cache_bytes: u64,
    pub layers: layers::Layers,
    /// Where each clean page's codes go.
    pub places: layers::Places,
    /// Renders under way, by page and width or document layout.
    pub flights: flight::Flights,
    /// Compositing and encoding a page for a guest: CPU work, one per core at most.
    pub compose: gate::Gate,
}

impl Viewer {
    /// The default cache: 512 MiB of clean pages.
    pub const DEFAULT_CACHE_BYTES: u64 = 512 << 20;

    pub fn new(pool: RenderPool, cache_bytes: u64) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            pool,
            cache_bytes,
            layers: layers::Layers::new(layers::Layers::DEFAULT_BYTES),
            places: layers::Places::new(layers::Places::DEFAULT_BYTES),
            flights: flight::Flights::default(),
            compose: gate::Gate::new(cores, cores * 16, std::time::Duration::from_secs(10)),
        }
    }

    /// A pool of the renderer found beside this executable, one process per core but one.
    pub fn beside_this_executable(cache_bytes: u64) -> Self {
        let exe = std::env::current_exe().ok();
        let workers = crate::crypto::Kdf::default_concurrency();
        Self::new(
            RenderPool::new(pool::locate(exe.as_deref()), workers, Budget::default()),
            cache_bytes,
        )
    }
}

/// The widths pages are drawn at: a request is rounded up to the next of these, so a few
/// images per page serve every screen.
pub fn width_bucket(asked: u32) -> u32 {
    let w = asked.clamp(render::MIN_WIDTH, render::MAX_WIDTH);
    w.div_ceil(200) * 200
}

#[cfg(test)]
mod tests {
    #[test]
    fn widths_round_up_to_a_bucket_within_bounds() {
        assert_eq!(super::width_bucket(0), 600);
        assert_eq!(super::width_bucket(601), 800);
        assert_eq!(super::width_bucket(1200), 1200);
        assert_eq!(super::width_bucket(99_999), 2000);
    }
}
