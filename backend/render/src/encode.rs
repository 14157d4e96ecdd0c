//! Pages in and out: QOI for the page cache (lossless, fast both ways, and only ever read
//! back by us) and JPEG for the browser.

use std::io::Cursor;

use image::{ExtendedColorType, ImageEncoder, ImageFormat, ImageReader};

use crate::{Page, RenderError};

/// The quality of the JPEG pages a browser gets.
pub const JPEG_QUALITY: u8 = 82;

/// A page for the cache.
pub fn to_cache(page: &Page) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(page.rgb.len() / 3);
    image::codecs::qoi::QoiEncoder::new(&mut out)
        .write_image(&page.rgb, page.width, page.height, ExtendedColorType::Rgb8)
        .map_err(|e| RenderError::Worker(format!("caching a page: {e}")))?;
    Ok(out)
}

/// A cached page's (width, height), from its header alone.
pub fn cached_size(bytes: &[u8]) -> Result<(u32, u32), RenderError> {
    let damaged = || RenderError::Worker("a cached page is damaged: no QOI header".into());
    if bytes.len() < 14 || &bytes[..4] != b"qoif" {
        return Err(damaged());
    }
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Ok((word(4), word(8)))
}

/// A page read back from the cache.
pub fn from_cache(bytes: &[u8]) -> Result<Page, RenderError> {
    let img = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Qoi)
        .decode()
        .map_err(|e| RenderError::Worker(format!("a cached page is damaged: {e}")))?;
    Ok(Page {
        width: img.width(),
        height: img.height(),
        rgb: img.into_rgb8().into_raw(),
    })
}

/// A page as the browser gets it (baseline JPEG, 4:2:0).
pub fn to_jpeg(page: &Page) -> Result<Vec<u8>, RenderError> {
    let too_large = || RenderError::TooLarge(format!("a {}×{} page", page.width, page.height));
    let (w, h) = (
        u16::try_from(page.width).map_err(|_| too_large())?,
        u16::try_from(page.height).map_err(|_| too_large())?,
    );
    let mut out = Vec::with_capacity(page.rgb.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(&page.rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| RenderError::Worker(format!("encoding a page: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_page_reads_back_exactly() {
        let mut page = Page::blank(640, 480);
        page.rgb[3 * 1000] = 7;
        assert_eq!(from_cache(&to_cache(&page).unwrap()).unwrap(), page);
        assert_eq!(cached_size(&to_cache(&page).unwrap()).unwrap(), (640, 480));
        assert!(cached_size(b"qoif").is_err());
        assert!(from_cache(b"not a page").is_err());
        assert!(to_jpeg(&page).unwrap().starts_with(&[0xff, 0xd8]));
    }
}
