//! A text file laid out into A4 pages: DejaVu Sans Mono at 9 points, long lines wrapped,
//! tabs to stops of four, other control characters shown as spaces. The layout is a pure
//! function of the text, so the page count and every page agree between jobs.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

use crate::{Page, PageSize, RenderError};

/// A4 in points, its margin, the type size and the line spacing.
const PAGE: PageSize = PageSize {
    width: 595.0,
    height: 842.0,
};
const MARGIN: f32 = 48.0;
const SIZE: f32 = 9.0;
const LEADING: f32 = 11.5;
/// DejaVu Sans Mono advances 1233/2048 em per character.
const ADVANCE_EM: f32 = 1233.0 / 2048.0;

fn columns() -> usize {
    ((PAGE.width - 2.0 * MARGIN) / (ADVANCE_EM * SIZE)) as usize
}

fn rows() -> usize {
    ((PAGE.height - 2.0 * MARGIN) / LEADING) as usize
}

fn font() -> Result<FontRef<'static>, RenderError> {
    FontRef::try_from_slice(dejavu::sans_mono::regular())
        .map_err(|e| RenderError::Worker(format!("the text font: {e}")))
}

/// The text's lines as they are printed: wrapped at the column count.
fn layout(text: &str) -> Vec<String> {
    let cols = columns();
    let mut out = Vec::new();
    for raw in text.split('\n') {
        let mut line = String::new();
        let mut col = 0;
        for c in raw.trim_end_matches('\r').chars() {
            let (c, width) = match c {
                '\t' => (' ', 4 - col % 4),
                c if c.is_control() => (' ', 1),
                c => (c, 1),
            };
            for _ in 0..width {
                if col == cols {
                    out.push(std::mem::take(&mut line));
                    col = 0;
                }
                line.push(c);
                col += 1;
            }
        }
        out.push(line);
    }
    // A final newline ends the last line; it does not start another.
    if out.len() > 1 && out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

fn decode(bytes: &[u8]) -> Result<&str, RenderError> {
    std::str::from_utf8(bytes).map_err(|e| {
        RenderError::Unreadable(format!(
            "it is not UTF-8 text (byte {} is not)",
            e.valid_up_to()
        ))
    })
}

/// One A4 page per [`rows`] lines (at least one).
pub fn pages(bytes: &[u8]) -> Result<Vec<PageSize>, RenderError> {
    let lines = layout(decode(bytes)?).len();
    let count = lines.div_ceil(rows()).max(1);
    if count > crate::pdf::MAX_PAGES {
        return Err(RenderError::TooLarge(format!(
            "it makes {count} pages; at most {} can be shown",
            crate::pdf::MAX_PAGES
        )));
    }
    Ok(vec![PAGE; count])
}

/// Page `index` (from 0) drawn `width` pixels wide.
pub fn render(bytes: &[u8], index: u32, width: u32) -> Result<Page, RenderError> {
    let lines = layout(decode(bytes)?);
    let per_page = rows();
    let count = lines.len().div_ceil(per_page).max(1);
    if index as usize >= count {
        return Err(RenderError::NoSuchPage {
            page: index + 1,
            pages: u32::try_from(count).unwrap_or(u32::MAX),
        });
    }
    let height = PAGE.height_at(width)?;
    let mut page = Page::blank(width, height);
    let scale = width as f32 / PAGE.width;
    let font = font()?;
    // PxScale is the font's ascent-to-descent height in pixels; the type size is its em.
    let em = font.units_per_em().unwrap_or(2048.0);
    let px = PxScale::from(SIZE * scale * font.height_unscaled() / em);
    let scaled = font.as_scaled(px);
    let start = index as usize * per_page;
    for (row, line) in lines.iter().skip(start).take(per_page).enumerate() {
        let baseline = (MARGIN + row as f32 * LEADING) * scale + scaled.ascent();
        let mut x = MARGIN * scale;
        for c in line.chars() {
            let id = font.glyph_id(c);
            let glyph = id.with_scale_and_position(px, ab_glyph::point(x, baseline));
            x += scaled.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let (px_x, px_y) = (
                    bounds.min.x as i64 + i64::from(gx),
                    bounds.min.y as i64 + i64::from(gy),
                );
                if px_x < 0 || px_y < 0 || px_x >= i64::from(width) || px_y >= i64::from(height) {
                    return;
                }
                let at = (px_y as usize * width as usize + px_x as usize) * 3;
                let ink = (coverage.clamp(0.0, 1.0) * 230.0) as u8;
                for v in &mut page.rgb[at..at + 3] {
                    *v = v.saturating_sub(ink);
                }
            });
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_at_the_column_count_and_tabs_reach_their_stop() {
        let long = "x".repeat(columns() + 3);
        let lines = layout(&format!("{long}\n\ta\n"));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].chars().count(), columns());
        assert_eq!(lines[1], "xxx");
        assert_eq!(lines[2], "    a");
    }

    #[test]
    fn pages_hold_a_fixed_number_of_lines() {
        let text = "line\n".repeat(rows() + 1);
        assert_eq!(pages(text.as_bytes()).unwrap().len(), 2);
        assert_eq!(pages(b"").unwrap().len(), 1);
        assert!(matches!(
            pages(&[0xff, 0xfe]),
            Err(RenderError::Unreadable(_))
        ));
    }
}
