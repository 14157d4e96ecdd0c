//! What compositing a page reuses, kept in memory, least recently used out beyond a byte
//! budget: each view's drawn watermark per page size ([`Layers`]), and where the leak-
//! tracing codes go on each clean page ([`Places`]), so that serving a cached page is
//! decoding, blending and encoding only.

use std::sync::{Arc, Mutex};

use render::overlay::{self, Layer, Watermark};
use render::spots::Spot;
use render::{Page, RenderError};

/// Values by key, most recently used last, within `budget` bytes as `weigh` counts them.
#[derive(Debug)]
struct Recent<K, V> {
    budget: usize,
    weigh: fn(&V) -> usize,
    entries: Mutex<Vec<(K, Arc<V>)>>,
}

impl<K: PartialEq, V> Recent<K, V> {
    fn new(budget: usize, weigh: fn(&V) -> usize) -> Self {
        Self {
            budget,
            weigh,
            entries: Mutex::default(),
        }
    }

    fn take(&self, key: &K) -> Option<Arc<V>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let at = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(at);
        let value = entry.1.clone();
        entries.push(entry);
        Some(value)
    }

    fn keep(&self, key: K, value: Arc<V>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|(k, _)| *k != key);
        entries.push((key, value));
        let mut total: usize = entries.iter().map(|(_, v)| (self.weigh)(v)).sum();
        while total > self.budget && entries.len() > 1 {
            total -= (self.weigh)(&entries.remove(0).1);
        }
    }
}

/// Key: the view's id and the page's pixel size.
type LayerKey = (String, u32, u32);

#[derive(Debug)]
pub struct Layers(Recent<LayerKey, Layer>);

impl Layers {
    /// 96 MiB: about two dozen 1,200-pixel pages' watermarks.
    pub const DEFAULT_BYTES: usize = 96 << 20;

    pub fn new(budget: usize) -> Self {
        Self(Recent::new(budget, Layer::bytes))
    }

    /// The layer of `w` for a `width` × `height` page, drawn (off the async runtime) if it
    /// is not kept.
    pub async fn get(
        &self,
        w: &Watermark,
        width: u32,
        height: u32,
    ) -> Result<Arc<Layer>, RenderError> {
        let key = (w.view_id.clone(), width, height);
        if let Some(found) = self.0.take(&key) {
            return Ok(found);
        }
        let wm = w.clone();
        let drawn = tokio::task::spawn_blocking(move || overlay::layer(&wm, width, height))
            .await
            .map_err(|e| RenderError::Worker(format!("drawing a watermark: {e}")))??;
        let drawn = Arc::new(drawn);
        self.0.keep(key, drawn.clone());
        Ok(drawn)
    }
}

/// Key: the document revision, the page (from 0), its pixel size, and the codes' size in
/// modules. A clean page never changes, so neither do its places.
type PlaceKey = (String, u32, (u32, u32), usize);

/// Cheap to clone (shared), so compositing work can take it off the async runtime.
#[derive(Clone, Debug)]
pub struct Places(Arc<Recent<PlaceKey, Vec<Spot>>>);

impl Places {
    /// 1 MiB: the places of about 4,000 pages (each look-up scans them, so few enough to
    /// stay in the microseconds).
    pub const DEFAULT_BYTES: usize = 1 << 20;

    pub fn new(budget: usize) -> Self {
        // The key (a 36-character id), the entry and the places.
        Self(Arc::new(Recent::new(budget, |v: &Vec<Spot>| {
            112 + std::mem::size_of_val(v.as_slice())
        })))
    }

    /// Where `layer`'s codes go on `page`, the clean page `index` (from 0) of document
    /// revision `document`: found once, then kept. Call off the async runtime: finding
    /// them reads every pixel.
    pub fn of(&self, document: &str, index: u32, page: &Page, layer: &Layer) -> Arc<Vec<Spot>> {
        let key = (
            document.to_owned(),
            index,
            (page.width, page.height),
            layer.code_modules(),
        );
        if let Some(found) = self.0.take(&key) {
            return found;
        }
        let found = Arc::new(overlay::places(page, layer));
        self.0.keep(key, found.clone());
        found
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;
    use std::sync::Arc;

    #[test]
    fn the_least_recently_used_go_first_beyond_the_budget() {
        let recent: Recent<u32, usize> = Recent::new(10, |v| *v);
        recent.keep(1, Arc::new(4));
        recent.keep(2, Arc::new(4));
        assert_eq!(recent.take(&1).as_deref(), Some(&4)); // 1 is now the most recent
        recent.keep(3, Arc::new(4));
        assert!(recent.take(&2).is_none(), "2 was the least recently used");
        assert!(recent.take(&1).is_some() && recent.take(&3).is_some());
        // One value over the whole budget is still kept: the cache is never empty.
        recent.keep(4, Arc::new(50));
        assert_eq!(recent.take(&4).as_deref(), Some(&50));
    }
}
