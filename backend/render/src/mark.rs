//! The machine-readable mark on every served page: a QR code (version 2, error correction
//! H, which survives a fifth of it lost) of `LSN-` and the page view's id, repeated across
//! the page by [`crate::overlay`], and found again in a screenshot or photo by [`find`].

use image::imageops::FilterType;
use image::GrayImage;
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::RenderError;

/// What every mark's text starts with.
pub const PREFIX: &str = "LSN-";
/// A view id: this many characters of [`ALPHABET`].
pub const ID_LEN: usize = 10;
/// Crockford's base 32: upper case (QR's compact alphanumeric mode), no I, L, O or U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The light border a reader needs around a code, in modules.
pub const QUIET: usize = 4;

/// Whether `s` is a view id as [`code`] writes them.
pub fn is_view_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// A QR code's modules, row by row, `true` for dark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    /// Modules on a side, without the quiet zone.
    pub side: usize,
    pub dark: Vec<bool>,
}

impl Code {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.side + x]
    }
}

/// The code for view `id`.
pub fn code(id: &str) -> Result<Code, RenderError> {
    if !is_view_id(id) {
        return Err(RenderError::Worker(format!("{id:?} is not a view id")));
    }
    let text = format!("{PREFIX}{id}");
    let qr = QrCode::with_version(text.as_bytes(), Version::Normal(2), EcLevel::H)
        .map_err(|e| RenderError::Worker(format!("the page mark: {e}")))?;
    Ok(Code {
        side: qr.width(),
        dark: qr
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

/// The longest side searched at once; larger pictures are scaled down first.
const MAX_SEARCH_SIDE: u32 = 2400;

/// The view ids marked on a picture (a screenshot, a photo, a scan), each once, in the
/// order found. It is searched as it is, enlarged (small marks) and reduced (noisy or
/// large ones).
pub fn find(picture: &GrayImage) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let base = fit(picture, MAX_SEARCH_SIDE);
    let longest = base.width().max(base.height());
    let mut passes = vec![base.clone()];
    if longest * 2 <= MAX_SEARCH_SIDE {
        passes.push(scale(&base, 2.0));
    }
    if longest >= 1000 {
        passes.push(scale(&base, 0.5));
    }
    for pass in passes {
        for id in decode_all(&pass) {
            if !found.contains(&id) {
                found.push(id);
            }
        }
        if !found.is_empty() {
            break;
        }
    }
    found
}

fn fit(picture: &GrayImage, side: u32) -> GrayImage {
    let longest = picture.width().max(picture.height());
    if longest <= side {
        picture.clone()
    } else {
        scale(picture, side as f32 / longest as f32)
    }
}

fn scale(picture: &GrayImage, by: f32) -> GrayImage {
    let w = ((picture.width() as f32 * by).round() as u32).max(1);
    let h = ((picture.height() as f32 * by).round() as u32).max(1);
    image::imageops::resize(picture, w, h, FilterType::Triangle)
}

fn decode_all(picture: &GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        picture.width() as usize,
        picture.height() as usize,
        |x, y| picture.get_pixel(x as u32, y as u32).0[0],
    );
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok())
        .filter_map(|(_, text)| {
            let id = text.strip_prefix(PREFIX)?;
            is_view_id(id).then(|| id.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_as_its_view_id() {
        let id = "7K3M9QX2AB";
        let c = code(id).unwrap();
        assert_eq!(c.side, 25, "version 2");
        let m = 6;
        let side = (c.side + 2 * QUIET) * m;
        let img = GrayImage::from_fn(side as u32, side as u32, |x, y| {
            let (mx, my) = (x as usize / m, y as usize / m);
            let inside =
                (QUIET..QUIET + c.side).contains(&mx) && (QUIET..QUIET + c.side).contains(&my);
            image::Luma([if inside && c.is_dark(mx - QUIET, my - QUIET) {
                0
            } else {
                255
            }])
        });
        assert_eq!(find(&img), vec![id.to_owned()]);
        assert!(code("not-an-id").is_err());
    }
}
