//! Portal logos: decoded and re-encoded, so only pixels survive — no metadata (EXIF, GPS,
//! colour profiles, comments), no trailing payload, no second file format hiding in the
//! bytes. CPU-bound: callers run [`normalise`] off the async runtime.

use std::io::Cursor;

use image::{imageops::FilterType, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// The largest logo file accepted.
pub const MAX_BYTES: usize = 1024 * 1024;
/// The largest image decoded (either side, pixels); bigger is refused, not resized.
const MAX_DECODED_SIDE: u32 = 4096;
/// A stored logo fits in this box (pixels; enough for 2× displays at 240 × 80).
pub const BOX_WIDTH: u32 = 480;
pub const BOX_HEIGHT: u32 = 160;

/// A logo as stored and served: lossless WebP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logo {
    pub webp: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Hex SHA-256 of `webp`: names the served file, so it can be cached for ever.
    pub sha256: String,
}

/// Why a logo was refused; the message is for the admin who uploaded it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    #[error("the logo is {0} bytes; at most 1 MiB (1,048,576 bytes) is accepted")]
    TooLarge(usize),
    #[error("the logo must be a PNG, JPEG or WebP image; {0} is not accepted")]
    Format(String),
    #[error("the logo is {0} × {1} pixels; at most 4096 on either side is accepted")]
    Dimensions(u32, u32),
    #[error("the logo could not be read as a {0} image: {1}")]
    Corrupt(&'static str, String),
}

/// Decodes a PNG, JPEG or WebP (by its content, whatever it is called), shrinks it to fit
/// [`BOX_WIDTH`] × [`BOX_HEIGHT`], and re-encodes it as lossless WebP.
pub fn normalise(bytes: &[u8]) -> Result<Logo, LogoError> {
    if bytes.len() > MAX_BYTES {
        return Err(LogoError::TooLarge(bytes.len()));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| LogoError::Corrupt("logo", e.to_string()))?;
    let (format, name) = match reader.format() {
        Some(ImageFormat::Png) => (ImageFormat::Png, "PNG"),
        Some(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "JPEG"),
        Some(ImageFormat::WebP) => (ImageFormat::WebP, "WebP"),
        other => return Err(LogoError::Format(describe(other, bytes))),
    };
    // The header's size first: a small file may claim a huge image.
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| LogoError::Corrupt(name, e.to_string()))?;
    if w > MAX_DECODED_SIDE || h > MAX_DECODED_SIDE {
        return Err(LogoError::Dimensions(w, h));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(64 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| LogoError::Corrupt(name, e.to_string()))?;
    let fitted = if decoded.width() > BOX_WIDTH || decoded.height() > BOX_HEIGHT {
        decoded.resize(BOX_WIDTH, BOX_HEIGHT, FilterType::Lanczos3)
    } else {
        decoded
    };
    let rgba = fitted.to_rgba8();
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(
            rgba.as_raw(),
            rgba.width(),
            rgba.height(),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| LogoError::Corrupt(name, e.to_string()))?;
    let sha256 = hex(&Sha256::digest(&webp));
    Ok(Logo {
        width: rgba.width(),
        height: rgba.height(),
        webp,
        sha256,
    })
}

/// A name for what an unaccepted upload looks like, for the refusal.
fn describe(format: Option<ImageFormat>, bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    match format {
        Some(f) => format!("{f:?}"),
        None if head.contains("<svg") => "SVG".into(),
        None if head.contains("<html")
            || head.contains("<!doctype")
            || head.contains("<script") =>
        {
            "HTML".into()
        }
        None => "this file".into(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgba};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, y| {
            Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png)
            .expect("encode png");
        out.into_inner()
    }

    #[test]
    fn a_png_is_re_encoded_and_fitted() {
        let logo = normalise(&png(960, 160)).expect("accepted");
        assert_eq!((logo.width, logo.height), (480, 80));
        assert_eq!(&logo.webp[..4], b"RIFF");
        assert_eq!(&logo.webp[8..12], b"WEBP");
        assert_eq!(logo.sha256.len(), 64);
    }

    #[test]
    fn a_payload_after_the_image_does_not_survive() {
        let mut bytes = png(40, 20);
        bytes.extend_from_slice(b"<script>alert('polyglot')</script>SECRET-PAYLOAD");
        let logo = normalise(&bytes).expect("the image part is accepted");
        let text = String::from_utf8_lossy(&logo.webp);
        assert!(!text.contains("SECRET-PAYLOAD") && !text.contains("<script"));
    }

    #[test]
    fn svg_html_and_other_formats_are_refused_by_name() {
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(normalise(svg), Err(LogoError::Format("SVG".into())));
        let html = b"<!DOCTYPE html><html><body>hi</body></html>";
        assert_eq!(normalise(html), Err(LogoError::Format("HTML".into())));
        let gif_magic = b"GIF89a\x04\x00\x04\x00\x00\x00\x00;".to_vec();
        assert!(matches!(normalise(&gif_magic), Err(LogoError::Format(_))));
    }

    #[test]
    fn too_large_or_truncated_is_refused() {
        assert_eq!(
            normalise(&vec![0u8; MAX_BYTES + 1]),
            Err(LogoError::TooLarge(MAX_BYTES + 1))
        );
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        assert!(matches!(normalise(&cut), Err(LogoError::Corrupt("PNG", _))));
        // Larger than 4096 on a side is refused before decoding.
        assert_eq!(
            normalise(&png(5000, 1)),
            Err(LogoError::Dimensions(5000, 1))
        );
    }
}
