//! The protected viewer in the portal.

use serde::{Deserialize, Serialize};

/// A document opened in the protected viewer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageViewInfo {
    /// The view the page images are asked under.
    pub view: String,
    /// Each page's (width, height) in points.
    pub pages: Vec<(f32, f32)>,
    /// The line baked into every page, where the share has a watermark.
    pub watermark: Option<String>,
}

/// A view a leaked page was traced to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedViewRow {
    pub view: String,
    pub share_id: String,
    pub document_id: String,
    pub document_title: String,
    pub recipient_name: String,
    pub recipient_email: String,
    /// RFC 3339.
    pub viewed_at: String,
    /// The line baked into the page.
    pub watermark: String,
}
