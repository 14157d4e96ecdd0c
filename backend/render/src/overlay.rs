//! The watermark baked into every page a guest is served: one line of text (recipient,
//! email, time of view, share, marking) tiled diagonally and semi-transparent over the whole
//! page, so a crop still carries it, and the view's QR mark ([`crate::mark`]) in the page's
//! blank margins ([`crate::spots`]): near the four corners and halfway down both sides, so
//! any half of the page still holds two whole codes and none sits over the text.
//!
//! A [`Layer`] — the text tiles and the view's code — depends only on the watermark and the
//! page's pixel size: it is made once per view and size. [`apply`] finds the codes' places
//! on each clean page, composites the text, then draws the codes there.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

use crate::mark::{self, QUIET};
use crate::spots::{self, Spot};
use crate::{Page, RenderError};

/// The faintest and strongest text an organisation may choose.
pub const MIN_OPACITY: f32 = 0.12;
pub const MAX_OPACITY: f32 = 0.6;
/// The sparsest and densest tiling: lines of text across the page's diagonal.
pub const MIN_DENSITY: u32 = 4;
pub const MAX_DENSITY: u32 = 24;

/// What to bake into a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Watermark {
    /// One line, e.g. `Jane Doe · jane@… · 2026-12-07 10:04 UTC · share 01J… · TLP:RED`.
    pub text: String,
    /// The page view the marks name ([`mark::is_view_id`]).
    pub view_id: String,
    /// The text's opacity, within [`MIN_OPACITY`]..=[`MAX_OPACITY`] (clamped).
    pub opacity: f32,
    /// Lines of text across the diagonal, within [`MIN_DENSITY`]..=[`MAX_DENSITY`] (clamped).
    pub density: u32,
}

/// A watermark drawn for one page size: premultiplied grey and alpha per pixel.
#[derive(Clone, Debug)]
pub struct Layer {
    pub width: u32,
    pub height: u32,
    value: Vec<u8>,
    alpha: Vec<u8>,
    code: mark::Code,
}

impl Layer {
    /// The width of its codes in modules, quiet zone included (what their places depend
    /// on besides the page).
    pub fn code_modules(&self) -> usize {
        self.code.side + 2 * QUIET
    }

    /// Bytes held (for a cache's budget).
    pub fn bytes(&self) -> usize {
        self.value.len() + self.alpha.len()
    }

    fn paint(&mut self, at: usize, grey: u8, alpha: u8) {
        // Source over what is already in the layer.
        let (a, v) = (u32::from(alpha), u32::from(grey) * u32::from(alpha) / 255);
        let keep = 255 - a;
        self.value[at] = (v + u32::from(self.value[at]) * keep / 255) as u8;
        self.alpha[at] = (a + u32::from(self.alpha[at]) * keep / 255) as u8;
    }
}

/// The text's grey, and the marks' light and dark: a mark is opaque (nothing under it can
/// break it up; it sits on blank paper where the page has any), and its dark is a mid
/// grey, so it reads as a quiet stamp rather than a black block.
const TEXT_GREY: u8 = 70;
const MARK_LIGHT: u8 = 255;
const MARK_DARK: u8 = 96;
/// The text's angle, rising to the right.
const ANGLE_DEGREES: f32 = 30.0;

/// Draws `w` for a `width` × `height` page.
pub fn layer(w: &Watermark, width: u32, height: u32) -> Result<Layer, RenderError> {
    let pixels = width as usize * height as usize;
    let mut layer = Layer {
        width,
        height,
        value: vec![0; pixels],
        alpha: vec![0; pixels],
        code: mark::code(&w.view_id)?,
    };
    text_tiles(&mut layer, w)?;
    Ok(layer)
}

/// A line of text as coverage (0–255), `(width, height, pixels)`.
fn strip(text: &str, px: f32) -> Result<(usize, usize, Vec<u8>), RenderError> {
    let font = FontRef::try_from_slice(dejavu::sans::bold())
        .map_err(|e| RenderError::Worker(format!("the watermark font: {e}")))?;
    let scale = PxScale::from(px);
    let scaled = font.as_scaled(scale);
    let advance: f32 = text
        .chars()
        .map(|c| scaled.h_advance(font.glyph_id(c)))
        .sum();
    let (w, h) = (
        advance.ceil() as usize + 2,
        scaled.height().ceil() as usize + 2,
    );
    let mut cov = vec![0u8; w * h];
    let mut x = 1.0;
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, ab_glyph::point(x, 1.0 + scaled.ascent()));
        x += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, c| {
                let (px, py) = (
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                );
                if px >= 0 && py >= 0 && (px as usize) < w && (py as usize) < h {
                    let at = py as usize * w + px as usize;
                    cov[at] = cov[at].max((c.clamp(0.0, 1.0) * 255.0) as u8);
                }
            });
        }
    }
    Ok((w, h, cov))
}

fn text_tiles(layer: &mut Layer, w: &Watermark) -> Result<(), RenderError> {
    let (width, height) = (layer.width as f32, layer.height as f32);
    let opacity = w.opacity.clamp(MIN_OPACITY, MAX_OPACITY);
    let density = w.density.clamp(MIN_DENSITY, MAX_DENSITY) as f32;
    let px = (width / 48.0).max(11.0);
    let (sw, sh, cov) = strip(&w.text, px)?;
    let (sin, cos) = ANGLE_DEGREES.to_radians().sin_cos();
    // Rows perpendicular to the text, `spacing` apart, covering the diagonal `density` times;
    // along a row the line repeats after a gap; odd rows are shifted half a period.
    let diagonal = (width * width + height * height).sqrt();
    let spacing = (diagonal / density).max(sh as f32 * 2.0);
    let period = sw as f32 + px * 3.0;
    for y in 0..layer.height {
        for x in 0..layer.width {
            let (fx, fy) = (x as f32, y as f32);
            // u along the text (up and to the right), v across it.
            let u = fx * cos - fy * sin;
            let v = fx * sin + fy * cos;
            let row = (v / spacing).floor();
            let across = v - row * spacing;
            if across >= sh as f32 {
                continue;
            }
            let shift = if row as i64 % 2 == 0 {
                0.0
            } else {
                period / 2.0
            };
            let along = (u + shift).rem_euclid(period);
            if along >= sw as f32 {
                continue;
            }
            let c = cov[across as usize * sw + along as usize];
            if c > 0 {
                let alpha = (f32::from(c) * opacity) as u8;
                layer.paint((y * layer.width + x) as usize, TEXT_GREY, alpha);
            }
        }
    }
    Ok(())
}

/// Draws `code` opaque at `spot` on `page`.
fn draw_code(page: &mut Page, code: &mark::Code, spot: Spot) {
    let modules = code.side + 2 * QUIET;
    let width = page.width as usize;
    for my in 0..modules {
        for mx in 0..modules {
            let inside = (QUIET..QUIET + code.side).contains(&mx)
                && (QUIET..QUIET + code.side).contains(&my);
            let grey = if inside && code.is_dark(mx - QUIET, my - QUIET) {
                MARK_DARK
            } else {
                MARK_LIGHT
            };
            for y in spot.y + my * spot.module..spot.y + (my + 1) * spot.module {
                let row = y * width;
                let (from, to) = (spot.x + mx * spot.module, spot.x + (mx + 1) * spot.module);
                page.rgb[(row + from) * 3..(row + to) * 3].fill(grey);
            }
        }
    }
}

/// Composites `layer` onto `page` (the same size): the codes' places are found on the clean
/// page, the text is composited, then the codes drawn.
pub fn apply(page: &mut Page, layer: &Layer) -> Result<(), RenderError> {
    let places = places(page, layer);
    apply_at(page, layer, &places)
}

/// Where `layer`'s codes go on `page` (see [`spots`]): what [`apply`] finds each time, for a
/// caller that keeps it per clean page and calls [`apply_at`].
pub fn places(page: &Page, layer: &Layer) -> Vec<spots::Spot> {
    spots::find(page, layer.code_modules())
}

/// As [`apply`], the codes at `places` (found by [`places`] on this clean page).
pub fn apply_at(page: &mut Page, layer: &Layer, places: &[spots::Spot]) -> Result<(), RenderError> {
    if (page.width, page.height) != (layer.width, layer.height) {
        return Err(RenderError::Worker(format!(
            "a {}×{} watermark on a {}×{} page",
            layer.width, layer.height, page.width, page.height
        )));
    }
    for ((px, &a), &v) in page
        .rgb
        .chunks_exact_mut(3)
        .zip(&layer.alpha)
        .zip(&layer.value)
    {
        if a == 0 {
            continue;
        }
        let keep = 255 - u32::from(a);
        for c in px {
            *c = (u32::from(*c) * keep / 255 + u32::from(v)) as u8;
        }
    }
    for &spot in places {
        draw_code(page, &layer.code, spot);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wm() -> Watermark {
        Watermark {
            text: "Jane Doe · jane@lawfirm.example · 2026-12-07 10:04 UTC · TLP:RED".into(),
            view_id: "7K3M9QX2AB".into(),
            opacity: 0.2,
            density: 8,
        }
    }

    #[test]
    fn the_watermark_covers_the_whole_page_and_its_marks_read_back() {
        let mut page = Page::blank(1200, 1553);
        let l = layer(&wm(), page.width, page.height).unwrap();
        apply(&mut page, &l).unwrap();
        // Every quarter of the page is marked.
        for (qx, qy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let marked = (0..page.height / 2)
                .flat_map(|y| (0..page.width / 2).map(move |x| (x, y)))
                .filter(|(x, y)| {
                    let (x, y) = (x + qx * page.width / 2, y + qy * page.height / 2);
                    page.rgb[((y * page.width + x) * 3) as usize] < 250
                })
                .count();
            assert!(marked > 10_000, "quarter {qx},{qy}: {marked} pixels marked");
        }
        let grey = image::GrayImage::from_fn(page.width, page.height, |x, y| {
            image::Luma([page.rgb[((y * page.width + x) * 3) as usize]])
        });
        assert_eq!(mark::find(&grey), vec!["7K3M9QX2AB".to_owned()]);
        // Each half of the page still names the view.
        let (w, h) = (page.width, page.height);
        for (x, y, cw, ch) in [
            (0, 0, w / 2, h),
            (w / 2, 0, w / 2, h),
            (0, 0, w, h / 2),
            (0, h / 2, w, h / 2),
        ] {
            let half = image::imageops::crop_imm(&grey, x, y, cw, ch).to_image();
            assert_eq!(
                mark::find(&half),
                vec!["7K3M9QX2AB".to_owned()],
                "half at {x},{y}"
            );
        }
        // The marks keep to the margins: a band down the middle holds none.
        let band = image::imageops::crop_imm(&grey, w / 4, 0, w / 2, h).to_image();
        assert!(mark::find(&band).is_empty(), "a mark in the page's middle");
        // A banner, too short for three codes down, still names the view.
        let mut banner = Page::blank(2000, 300);
        apply(&mut banner, &layer(&wm(), 2000, 300).unwrap()).unwrap();
        let grey = image::GrayImage::from_fn(2000, 300, |x, y| {
            image::Luma([banner.rgb[((y * 2000 + x) * 3) as usize]])
        });
        assert_eq!(
            mark::find(&grey),
            vec!["7K3M9QX2AB".to_owned()],
            "the banner"
        );
        // Opacity and density are held to their bounds.
        let faint = Watermark {
            opacity: 0.0,
            density: 0,
            ..wm()
        };
        let mut bare = Page::blank(1200, 1553);
        apply(&mut bare, &layer(&faint, 1200, 1553).unwrap()).unwrap();
        assert!(
            bare.rgb.iter().any(|&c| c < 250),
            "a zero opacity is raised"
        );
    }
}
