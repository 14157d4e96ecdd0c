//! Drawn watermarks kept in memory, keyed by view and page size, so that each page of one
//! view is only composited, not drawn: least recently used out beyond a byte budget.

use std::sync::{Arc, Mutex};

use render::overlay::{self, Layer, Watermark};
use render::RenderError;

/// Key: the view's id and the page's pixel size.
type Key = (String, u32, u32);

#[derive(Debug)]
pub struct Layers {
    budget: usize,
    /// Most recently used last.
    entries: Mutex<Vec<(Key, Arc<Layer>)>>,
}

impl Layers {
    /// 96 MiB: about two dozen 1,200-pixel pages' watermarks.
    pub const DEFAULT_BYTES: usize = 96 << 20;

    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            entries: Mutex::default(),
        }
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
        if let Some(found) = self.take(&key) {
            return Ok(found);
        }
        let wm = w.clone();
        let drawn = tokio::task::spawn_blocking(move || overlay::layer(&wm, width, height))
            .await
            .map_err(|e| RenderError::Worker(format!("drawing a watermark: {e}")))??;
        let drawn = Arc::new(drawn);
        self.keep(key, drawn.clone());
        Ok(drawn)
    }

    fn take(&self, key: &Key) -> Option<Arc<Layer>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let at = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(at);
        let layer = entry.1.clone();
        entries.push(entry);
        Some(layer)
    }

    fn keep(&self, key: Key, layer: Arc<Layer>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|(k, _)| *k != key);
        entries.push((key, layer));
        let mut total: usize = entries.iter().map(|(_, l)| l.bytes()).sum();
        while total > self.budget && entries.len() > 1 {
            total -= entries.remove(0).1.bytes();
        }
    }
}
