//! The organisation's watermark, part of its policy: how strong and how dense the text
//! baked into every page a guest is served. The bounds keep it legible on a leaked copy and
//! never so faint or sparse that a crop loses it.

use serde::{Deserialize, Serialize};

use super::PolicyViolation;

/// The watermark's look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ViewerPolicy {
    /// The text's opacity in percent, 12–60 (`OPACITY_RANGE`).
    #[schema(minimum = 12, maximum = 60)]
    pub watermark_opacity: u8,
    /// Lines of text across a page's diagonal, 4–24 (`DENSITY_RANGE`).
    #[schema(minimum = 4, maximum = 24)]
    pub watermark_density: u8,
}

/// The opacities (percent) and densities an organisation may choose.
pub const OPACITY_RANGE: std::ops::RangeInclusive<u8> = 12..=60;
pub const DENSITY_RANGE: std::ops::RangeInclusive<u8> = 4..=24;

impl Default for ViewerPolicy {
    fn default() -> Self {
        Self {
            watermark_opacity: 18,
            watermark_density: 10,
        }
    }
}

impl ViewerPolicy {
    pub fn validate(&self) -> Result<(), PolicyViolation> {
        if !OPACITY_RANGE.contains(&self.watermark_opacity) {
            return Err(super::violation(
                "viewer.watermark_opacity",
                format!(
                    "the watermark's opacity is between {} and {} percent",
                    OPACITY_RANGE.start(),
                    OPACITY_RANGE.end()
                ),
            ));
        }
        if !DENSITY_RANGE.contains(&self.watermark_density) {
            return Err(super::violation(
                "viewer.watermark_density",
                format!(
                    "the watermark's density is between {} and {} lines across a page",
                    DENSITY_RANGE.start(),
                    DENSITY_RANGE.end()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_keeps_to_its_bounds() {
        assert!(ViewerPolicy::default().validate().is_ok());
        let faint = ViewerPolicy {
            watermark_opacity: 5,
            ..Default::default()
        };
        assert_eq!(
            faint.validate().unwrap_err().field,
            "viewer.watermark_opacity"
        );
        let sparse = ViewerPolicy {
            watermark_density: 1,
            ..Default::default()
        };
        assert_eq!(
            sparse.validate().unwrap_err().field,
            "viewer.watermark_density"
        );
    }
}
