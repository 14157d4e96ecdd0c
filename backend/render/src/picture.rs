//! A picture (PNG, JPEG, GIF, WebP) as a one-page document: decoded under limits — the
//! header's size is checked before a pixel is decoded, so a small file that claims a huge
//! image is refused — then flattened onto white and scaled to the width asked.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use crate::{Page, PageSize, RenderError};

/// The longest side a picture may have, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// The most pixels a picture may have (a decoded RGBA copy is 4 bytes each).
pub const MAX_PICTURE_PIXELS: u64 = 80_000_000;

/// A reader over the bytes, with the format it was recognised as.
type Sniffed<'a> = (ImageReader<Cursor<&'a [u8]>>, ImageFormat);

fn reader(bytes: &[u8]) -> Result<Sniffed<'_>, RenderError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RenderError::Unreadable(e.to_string()))?;
    match reader.format() {
        Some(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP)) => {
            Ok((reader, f))
        }
        _ => Err(RenderError::Unreadable(
            "it is not a PNG, JPEG, GIF or WebP picture".into(),
        )),
    }
}

/// The picture's size: its pixels, counted as points.
pub fn size(bytes: &[u8]) -> Result<PageSize, RenderError> {
    let (reader, _) = reader(bytes)?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| RenderError::Unreadable(e.to_string()))?;
    check(w, h)?;
    Ok(PageSize {
        width: w as f32,
        height: h as f32,
    })
}

fn check(w: u32, h: u32) -> Result<(), RenderError> {
    if w == 0 || h == 0 {
        return Err(RenderError::Unreadable("the picture is empty".into()));
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PICTURE_PIXELS {
        return Err(RenderError::TooLarge(format!(
            "the picture is {w} × {h} pixels; at most {MAX_SIDE} on a side and \
             {MAX_PICTURE_PIXELS} in all can be shown"
        )));
    }
    Ok(())
}

/// Decodes the picture (bounded) onto white: the full-size image, for tracing marks.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, RenderError> {
    let size = size(bytes)?;
    let (_, format) = reader(bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PICTURE_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| RenderError::Unreadable(e.to_string()))?;
    debug_assert_eq!(decoded.width() as f32, size.width);
    Ok(decoded)
}

/// The picture drawn `width` pixels wide, transparency flattened onto white.
pub fn render(bytes: &[u8], width: u32) -> Result<Page, RenderError> {
    let decoded = decode(bytes)?;
    let size = PageSize {
        width: decoded.width() as f32,
        height: decoded.height() as f32,
    };
    let height = size.height_at(width)?;
    let resized = decoded.resize_exact(width, height, FilterType::Triangle);
    let rgba = resized.to_rgba8();
    let mut page = Page::blank(width, height);
    for (out, px) in page.rgb.chunks_exact_mut(3).zip(rgba.pixels()) {
        let [r, g, b, a] = px.0;
        let a = u16::from(a);
        let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        out.copy_from_slice(&[over(r), over(g), over(b)]);
    }
    Ok(page)
}
