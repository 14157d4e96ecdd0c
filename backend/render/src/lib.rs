//! Page images from untrusted files, and what Liaison bakes into them.
//!
//! - [`job`]: the one request a `liaison-render` process answers (how many pages, one
//!   page's pixels, the marks found in a picture) and its framing on stdin/stdout. Parsing
//!   a hostile file happens only there, in a process with its own memory and CPU limits.
//! - [`pdf`], [`picture`], [`text`]: a PDF page rasterised (`hayro`), a picture decoded
//!   under limits, a text file laid out into pages.
//! - [`overlay`]: the watermark layer (recipient, time, share, marking, tiled diagonally)
//!   with the leak-tracing codes ([`mark`]), composited onto a clean page per request.
//! - [`stamp`]: downloads with the watermark in them (PDF text in every page's content,
//!   text files as stamped PDFs, pictures re-encoded with it).
//! - [`encode`]: pages to and from the page cache's format and the browser's JPEG.
//!
//! Invariant: a [`Page`] is opaque RGB, 8 bits a channel, rows top to bottom.

pub mod encode;
pub mod job;
pub mod mark;
pub mod overlay;
pub mod pdf;
pub mod picture;
pub mod spots;
pub mod stamp;
pub mod text;

use serde::{Deserialize, Serialize};

/// The narrowest and widest page image served, in pixels.
pub const MIN_WIDTH: u32 = 600;
pub const MAX_WIDTH: u32 = 2000;
/// The most pixels one page image may have (a very tall page is refused, not squeezed).
pub const MAX_PIXELS: u64 = 12_000_000;

/// An opaque RGB image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

impl Page {
    /// A white page.
    pub fn blank(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            rgb: vec![255; width as usize * height as usize * 3],
        }
    }
}

/// A page's size in points (1/72 inch); its image keeps the aspect ratio.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageSize {
    pub width: f32,
    pub height: f32,
}

impl PageSize {
    /// The pixel height of this page drawn `width` pixels wide, or why it cannot be.
    pub fn height_at(&self, width: u32) -> Result<u32, RenderError> {
        if !(self.width.is_finite() && self.height.is_finite())
            || self.width < 1.0
            || self.height < 1.0
        {
            return Err(RenderError::TooLarge("the page has no usable size".into()));
        }
        let height = (f64::from(width) * f64::from(self.height) / f64::from(self.width)).round();
        if height < 1.0 || u64::from(width) * height as u64 > MAX_PIXELS {
            return Err(RenderError::TooLarge(format!(
                "the page is {:.0} × {:.0} points, too elongated to show",
                self.width, self.height
            )));
        }
        Ok(height as u32)
    }
}

/// What kind of file a job reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Pdf,
    /// PNG, JPEG, GIF (its first frame) or WebP.
    Picture,
    /// UTF-8 text.
    Text,
}

impl Source {
    /// The source for a document's detected content type, if it can be shown as pages.
    pub fn of_content_type(content_type: &str) -> Option<Self> {
        match content_type {
            "application/pdf" => Some(Self::Pdf),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp" => Some(Self::Picture),
            t if t.starts_with("text/plain") => Some(Self::Text),
            _ => None,
        }
    }
}

/// Why a file could not be shown. The messages are for the guest or staff member who asked:
/// they name the problem, never the file's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum RenderError {
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error("the PDF is protected by a password, so it cannot be shown")]
    Encrypted,
    #[error("there is no page {page}: the document has {pages}")]
    NoSuchPage { page: u32, pages: u32 },
    #[error("{0}")]
    TooLarge(String),
    /// The renderer ran out of its time or memory (a hostile or pathological file).
    #[error("the page could not be drawn within its {0} budget")]
    Budget(String),
    /// The renderer could not be run at all (ours, not the file's).
    #[error("the page renderer failed: {0}")]
    Worker(String),
    /// Every renderer was busy for longer than a request waits, or too many requests were
    /// waiting already (a load, not the file: the same request may succeed later).
    #[error("the page renderers are all busy")]
    Busy,
}

impl RenderError {
    /// Whether the file is at fault (the same file fails again), not the machine.
    pub fn is_files_fault(&self) -> bool {
        !matches!(self, Self::Worker(_) | Self::Busy)
    }
}
