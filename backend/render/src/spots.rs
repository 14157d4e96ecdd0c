//! Where a page's leak-tracing codes go: into its blank margins. Six places are aimed at —
//! the corners and the middles of the sides — and each code moves, within a code's width
//! of its place, to where the page has no ink, at the largest size that fits on blank
//! paper there. Where no blank place is near (a photograph, a page printed to its edges)
//! the smallest code goes where it covers the least. Codes never overlap.

use crate::Page;

/// The smallest module drawn, in pixels.
pub const MIN_MODULE: usize = 3;
/// Pages this wide get one more pixel a module (5 at 1,200 pixels).
const PIXELS_PER_MODULE_STEP: usize = 240;
/// A pixel darker than this in any channel is ink.
const INK_BELOW: u8 = 232;
/// The six places aimed at, as fractions of the room across and down.
const PLACES: [(u8, u8); 6] = [(0, 0), (2, 0), (0, 1), (2, 1), (0, 2), (2, 2)];

/// A code's place: its top-left pixel and its module's size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spot {
    pub x: usize,
    pub y: usize,
    pub module: usize,
}

/// The ink on a page, summed so any square's count is four lookups.
struct Ink {
    stride: usize,
    sums: Vec<u32>,
}

impl Ink {
    fn of(page: &Page) -> Self {
        let (w, h) = (page.width as usize, page.height as usize);
        let stride = w + 1;
        let mut sums = vec![0u32; stride * (h + 1)];
        for y in 0..h {
            let mut row = 0u32;
            for x in 0..w {
                let px = &page.rgb[(y * w + x) * 3..(y * w + x) * 3 + 3];
                row += u32::from(px.iter().any(|&c| c < INK_BELOW));
                sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
            }
        }
        Self { stride, sums }
    }

    /// Ink pixels in the `side` square at (`x`, `y`).
    fn count(&self, x: usize, y: usize, side: usize) -> u32 {
        let s = self.stride;
        let at = |x: usize, y: usize| self.sums[y * s + x];
        at(x + side, y + side) + at(x, y) - at(x + side, y) - at(x, y + side)
    }
}

/// The places for codes `modules` modules wide (quiet zone included) on `page`.
pub fn find(page: &Page, modules: usize) -> Vec<Spot> {
    let (w, h) = (page.width as usize, page.height as usize);
    let largest = (w / PIXELS_PER_MODULE_STEP).max(MIN_MODULE);
    let ink = Ink::of(page);
    let mut spots: Vec<Spot> = Vec::new();
    let overlaps = |spots: &[Spot], x: usize, y: usize, side: usize| {
        spots.iter().any(|s| {
            let other = modules * s.module;
            x < s.x + other && s.x < x + side && y < s.y + other && s.y < y + side
        })
    };
    for (fx, fy) in PLACES {
        // (ink, distance from the place) of the best so far.
        let mut best: Option<((u32, usize), Spot)> = None;
        for module in (MIN_MODULE..=largest).rev() {
            let side = modules * module;
            if side + 2 * module > w || side + 2 * module > h {
                continue;
            }
            let room =
                |total: usize, f: u8| module + (total - side - 2 * module) * usize::from(f) / 2;
            let (x0, y0) = (room(w, fx), room(h, fy));
            let (xs, ys) = (
                x0.saturating_sub(side)..=(x0 + side).min(w - side),
                y0.saturating_sub(side)..=(y0 + side).min(h - side),
            );
            for y in ys.step_by(module) {
                for x in xs.clone().step_by(module) {
                    if overlaps(&spots, x, y, side) {
                        continue;
                    }
                    let key = (ink.count(x, y, side), x.abs_diff(x0) + y.abs_diff(y0));
                    if best.is_none_or(|(b, _)| key < b) {
                        best = Some((key, Spot { x, y, module }));
                    }
                }
            }
            // The largest code on blank paper wins; smaller ones only where none fits.
            if best.is_some_and(|((ink, _), _)| ink == 0) {
                break;
            }
        }
        if let Some((_, spot)) = best {
            spots.push(spot);
        }
    }
    spots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_with_box(w: u32, h: u32, margin: usize) -> Page {
        let mut p = Page::blank(w, h);
        let (w, h) = (w as usize, h as usize);
        for y in margin..h - margin {
            for x in margin..w - margin {
                p.rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&[0, 0, 0]);
            }
        }
        p
    }

    #[test]
    fn codes_go_on_blank_paper_in_the_margins_and_never_overlap() {
        // A page inked but for a 150-pixel margin: six codes of 4-pixel modules (132
        // pixels), none on ink.
        let page = page_with_box(1200, 1553, 150);
        let ink = Ink::of(&page);
        let spots = find(&page, 33);
        assert_eq!(spots.len(), 6, "{spots:?}");
        for s in &spots {
            assert_eq!(s.module, 4, "{s:?}");
            assert_eq!(ink.count(s.x, s.y, 33 * s.module), 0, "{s:?}");
        }
        for (i, a) in spots.iter().enumerate() {
            for b in &spots[i + 1..] {
                let (sa, sb) = (33 * a.module, 33 * b.module);
                let apart =
                    a.x + sa <= b.x || b.x + sb <= a.x || a.y + sa <= b.y || b.y + sb <= a.y;
                assert!(apart, "{a:?} and {b:?} overlap");
            }
        }
        // A blank page gets the largest codes, at their places.
        let blank = find(&Page::blank(1200, 1553), 33);
        assert!(blank.iter().all(|s| s.module == 5), "{blank:?}");
        assert_eq!((blank[0].x, blank[0].y), (5, 5));
        // A photograph, ink to its edges: the smallest codes, still six.
        let photo = find(&page_with_box(1200, 1553, 0), 33);
        assert_eq!(photo.len(), 6);
        assert!(photo.iter().all(|s| s.module == MIN_MODULE), "{photo:?}");
    }
}
