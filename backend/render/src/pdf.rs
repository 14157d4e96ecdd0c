//! A PDF's pages, rasterised by `hayro` (pure Rust). Only ever called inside a
//! `liaison-render` process: a hostile file may panic, loop or allocate without bound, and
//! the process's limits end it.

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{DecryptionError, LoadPdfError, Pdf};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::peniko::ImageAlphaType;
use hayro::{render, PixmapSettings, RenderCache, RenderSettings};

use crate::{Page, PageSize, RenderError};

/// The most pages a document may have to be shown.
pub const MAX_PAGES: usize = 10_000;

fn open(bytes: Vec<u8>) -> Result<Pdf, RenderError> {
    Pdf::new(bytes).map_err(|e| match e {
        LoadPdfError::Decryption(DecryptionError::PasswordProtected) => RenderError::Encrypted,
        LoadPdfError::Decryption(_) => {
            RenderError::Unreadable("its encryption is not supported".into())
        }
        LoadPdfError::Invalid => RenderError::Unreadable("it is not a valid PDF".into()),
    })
}

/// Each page's size as shown (crop box, turned by the page's rotation).
pub fn pages(bytes: Vec<u8>) -> Result<Vec<PageSize>, RenderError> {
    let pdf = open(bytes)?;
    let pages = pdf.pages();
    if pages.is_empty() {
        return Err(RenderError::Unreadable("it has no pages".into()));
    }
    if pages.len() > MAX_PAGES {
        return Err(RenderError::TooLarge(format!(
            "it has {} pages; at most {MAX_PAGES} can be shown",
            pages.len()
        )));
    }
    Ok(pages
        .iter()
        .map(|p| {
            let (width, height) = p.render_dimensions();
            PageSize { width, height }
        })
        .collect())
}

/// Page `index` (from 0) drawn `width` pixels wide on white.
pub fn render_page(bytes: Vec<u8>, index: u32, width: u32) -> Result<Page, RenderError> {
    let pdf = open(bytes)?;
    let pages = pdf.pages();
    let page = pages.get(index as usize).ok_or(RenderError::NoSuchPage {
        page: index + 1,
        pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
    })?;
    let (w, h) = page.render_dimensions();
    let size = PageSize {
        width: w,
        height: h,
    };
    // hayro sizes its pixmap with `as u16`: the bounds are checked here, before it does.
    let height = size.height_at(width)?;
    if height > u32::from(u16::MAX) {
        return Err(RenderError::TooLarge("the page is too tall to show".into()));
    }
    let scale = width as f32 / w;
    let cache = RenderCache::new();
    let pixmap = render(
        page,
        &cache,
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let (pw, ph) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    let rgba = pixmap.take_rgba8(ImageAlphaType::Alpha);
    // On an opaque white background every pixel is opaque: drop the alpha.
    let rgb = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Ok(Page {
        width: pw,
        height: ph,
        rgb,
    })
}

/// A small valid PDF of `pages` pages, each with a heading, lines of Helvetica text and a
/// ruled box: for the tests and the benchmark (offsets computed, so any reader takes it).
pub fn sample(pages: usize) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            (0..pages)
                .map(|i| format!("{} 0 R", 4 + i * 2))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    for i in 0..pages {
        let mut s = format!("BT /F1 22 Tf 72 720 Td (Exhibit page {}) Tj ET\n", i + 1);
        for l in 0..40 {
            s.push_str(&format!(
                "BT /F1 10 Tf 72 {} Td (Line {l}: the consignment was inspected and sealed.) Tj ET\n",
                690 - l * 14
            ));
        }
        s.push_str("0.2 0.3 0.6 RG 2 w 60 60 492 680 re S\n");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + i * 2
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{s}\nendstream", s.len()));
    }
    let mut body = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(body.len());
        body.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).bytes());
    }
    let xref = body.len();
    body.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for off in offsets {
        body.extend(format!("{off:010} 00000 n \n").bytes());
    }
    body.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    body
}
