//! Downloads that carry the watermark. A PDF gets, on every page, the watermark line as
//! real text in the page's content stream — tiled diagonally, semi-transparent, drawn after
//! the page's own content (which is wrapped in `q`…`Q` so it cannot disturb it) — and the
//! view's code as vector squares: not an annotation a reader can hide. A text file leaves as
//! a PDF of its drawn pages, stamped the same way; a picture as a JPEG with the watermark
//! baked in ([`crate::overlay`]).

use lopdf::content::{Content, Operation};
use lopdf::{
    dictionary, Dictionary, Document, LoadOptions, Object, ObjectId, Stream, StringFormat,
};

use crate::mark::{self, QUIET};
use crate::{encode, overlay, picture, text, Page, RenderError};

/// What a download is stamped with.
#[derive(Clone, Debug, PartialEq)]
pub struct Stamp {
    pub text: String,
    pub view_id: String,
    /// Within [`overlay::MIN_OPACITY`]..=[`overlay::MAX_OPACITY`] (clamped).
    pub opacity: f32,
}

const FONT: &[u8] = b"LzWmF";
const STATE: &[u8] = b"LzWmGS";
/// The most a stream of the file may decompress to while it is read.
const MAX_STREAM: usize = 64 << 20;

fn pdf_error(e: lopdf::Error) -> RenderError {
    RenderError::Unreadable(format!("the PDF cannot be rewritten ({e})"))
}

/// The watermark line in the standard fonts' encoding (WinAnsi): what it cannot hold
/// becomes `?` (the page images carry the full line; the code names the view either way).
pub fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u32 as u8,
            0x2013 => 0x96,
            0x2014 => 0x97,
            0x2018 => 0x91,
            0x2019 => 0x92,
            0x201c => 0x93,
            0x201d => 0x94,
            0x2022 => 0x95,
            0x2026 => 0x85,
            0x20ac => 0x80,
            _ => b'?',
        })
        .collect()
}

/// An inheritable page attribute (`Resources`, `MediaBox`, `CropBox`, `Rotate`), followed
/// up the page tree.
fn inherited<'a>(doc: &'a Document, page: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..64 {
        if let Ok(v) = node.get(key) {
            return doc.dereference(v).ok().map(|(_, o)| o);
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn page_box(doc: &Document, page: ObjectId) -> [f32; 4] {
    let v: Vec<f32> = inherited(doc, page, b"CropBox")
        .or_else(|| inherited(doc, page, b"MediaBox"))
        .and_then(|o| o.as_array().ok())
        .map(|a| {
            a.iter()
                .filter_map(|o| doc.dereference(o).ok()?.1.as_float().ok())
                .collect()
        })
        .unwrap_or_default();
    match v[..] {
        [a, b, c, d] if (c - a).abs() >= 1.0 && (d - b).abs() >= 1.0 => {
            [a.min(c), b.min(d), a.max(c), b.max(d)]
        }
        _ => [0.0, 0.0, 612.0, 792.0],
    }
}

/// The page's own resources, copied inline with ours added: shared objects are never
/// changed, so no other page is affected.
fn install_resources(
    doc: &mut Document,
    page: ObjectId,
    font: ObjectId,
    state: ObjectId,
) -> Result<(), RenderError> {
    let mut res = match inherited(doc, page, b"Resources") {
        Some(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    for (key, name, id) in [
        (&b"Font"[..], FONT, font),
        (&b"ExtGState"[..], STATE, state),
    ] {
        let mut sub = match res.get(key).ok().map(|o| doc.dereference(o)) {
            Some(Ok((_, Object::Dictionary(d)))) => d.clone(),
            _ => Dictionary::new(),
        };
        sub.set(name, Object::Reference(id));
        res.set(key, Object::Dictionary(sub));
    }
    doc.get_dictionary_mut(page)
        .map_err(pdf_error)?
        .set("Resources", Object::Dictionary(res));
    Ok(())
}

/// `q` + the page's streams + `Q` + ours.
fn wrap_contents(
    doc: &mut Document,
    page: ObjectId,
    open: ObjectId,
    ours: ObjectId,
) -> Result<(), RenderError> {
    let old: Vec<Object> = match doc
        .get_dictionary(page)
        .map_err(pdf_error)?
        .get(b"Contents")
    {
        Ok(Object::Reference(id)) => match doc.get_object(*id) {
            Ok(Object::Array(a)) => a.clone(),
            _ => vec![Object::Reference(*id)],
        },
        Ok(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let mut list = Vec::with_capacity(old.len() + 2);
    list.push(Object::Reference(open));
    list.extend(old);
    list.push(Object::Reference(ours));
    doc.get_dictionary_mut(page)
        .map_err(pdf_error)?
        .set("Contents", Object::Array(list));
    Ok(())
}

fn op(name: &str, operands: Vec<Object>) -> Operation {
    Operation::new(name, operands)
}

/// The overlay of one page: tiled rotated lines, then the code at two corners.
fn overlay_ops(s: &Stamp, code: &mark::Code, bx: [f32; 4], rotate: i64) -> Vec<Operation> {
    let [x0, y0, x1, y1] = bx;
    let (w, h) = (x1 - x0, y1 - y0);
    let size = (w.min(h) / 40.0).clamp(6.0, 14.0);
    let line = winansi(&s.text);
    let line_w = 0.55 * size * line.len() as f32;
    let angle = (30.0 + rotate as f32).to_radians();
    let (sin, cos) = angle.sin_cos();
    let diagonal = (w * w + h * h).sqrt();
    let spacing = (diagonal / 10.0).max(size * 3.0);
    let period = line_w + size * 3.0;
    let mut ops = vec![
        op("q", vec![]),
        op("gs", vec![Object::Name(STATE.to_vec())]),
        op("rg", vec![0.3.into(), 0.3.into(), 0.3.into()]),
        // Rotate about the page's centre.
        op(
            "cm",
            vec![
                cos.into(),
                sin.into(),
                (-sin).into(),
                cos.into(),
                (x0 + w / 2.0).into(),
                (y0 + h / 2.0).into(),
            ],
        ),
        op("BT", vec![]),
        op("Tf", vec![Object::Name(FONT.to_vec()), size.into()]),
    ];
    let rows = (diagonal / spacing / 2.0).ceil() as i32 + 1;
    let cols = (diagonal / period / 2.0).ceil() as i32 + 1;
    for r in -rows..=rows {
        let shift = if r % 2 == 0 { 0.0 } else { period / 2.0 };
        for c in -cols..=cols {
            let (x, y) = (c as f32 * period + shift - line_w / 2.0, r as f32 * spacing);
            op_text(&mut ops, x, y, &line);
        }
    }
    ops.push(op("ET", vec![]));
    ops.push(op("Q", vec![]));
    // The code, upright, at the lower right and upper left corners.
    let module = (w.min(h) / 220.0).max(1.5);
    let side = (code.side + 2 * QUIET) as f32 * module;
    for (left, bottom) in [(x1 - side - 12.0, y0 + 12.0), (x0 + 12.0, y1 - side - 12.0)] {
        ops.push(op("q", vec![]));
        ops.push(op("rg", vec![1.into(), 1.into(), 1.into()]));
        ops.push(op(
            "re",
            vec![left.into(), bottom.into(), side.into(), side.into()],
        ));
        ops.push(op("f", vec![]));
        ops.push(op("rg", vec![0.into(), 0.into(), 0.into()]));
        for my in 0..code.side {
            for mx in 0..code.side {
                if code.is_dark(mx, my) {
                    let x = left + (QUIET + mx) as f32 * module;
                    // PDF's y grows upwards; the code's rows go down.
                    let y = bottom + side - (QUIET + my + 1) as f32 * module;
                    ops.push(op(
                        "re",
                        vec![x.into(), y.into(), module.into(), module.into()],
                    ));
                }
            }
        }
        ops.push(op("f", vec![]));
        ops.push(op("Q", vec![]));
    }
    ops
}

fn op_text(ops: &mut Vec<Operation>, x: f32, y: f32, line: &[u8]) {
    // Absolute placement: a text matrix per line (inside the rotated space).
    ops.push(op(
        "Tm",
        vec![1.into(), 0.into(), 0.into(), 1.into(), x.into(), y.into()],
    ));
    ops.push(op(
        "Tj",
        vec![Object::String(line.to_vec(), StringFormat::Hexadecimal)],
    ));
}

/// What a stamped PDF's catalogue keeps: how its pages are arranged and read, nothing
/// else — no files carried inside it (which no stamp marks), no scripts or actions run on
/// opening or from its outline, no forms drawn over the pages, no metadata streams.
const CATALOGUE_KEPT: [&[u8]; 7] = [
    b"Type",
    b"Pages",
    b"PageLabels",
    b"PageLayout",
    b"ViewerPreferences",
    b"Lang",
    b"MarkInfo",
];
/// What a stamped page keeps: its content, resources and boxes — no annotations (which a
/// reader draws over the stamp or hides), actions, thumbnails of the unstamped page,
/// associated files or private application data.
const PAGE_KEPT: [&[u8]; 12] = [
    b"Type",
    b"Parent",
    b"Resources",
    b"MediaBox",
    b"CropBox",
    b"BleedBox",
    b"TrimBox",
    b"ArtBox",
    b"Contents",
    b"Rotate",
    b"UserUnit",
    b"Group",
];

/// Keeps only [`CATALOGUE_KEPT`] in the catalogue and [`PAGE_KEPT`] in every page, then
/// drops every object nothing refers to any more (it would still be in the file).
fn strip_unstamped(doc: &mut Document) -> Result<(), RenderError> {
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(pdf_error)?;
    let keep_only = |d: &mut Dictionary, kept: &[&[u8]]| {
        let gone: Vec<Vec<u8>> = d
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !kept.contains(&k.as_slice()))
            .collect();
        for k in gone {
            d.remove(&k);
        }
    };
    keep_only(
        doc.get_dictionary_mut(root).map_err(pdf_error)?,
        &CATALOGUE_KEPT,
    );
    let pages: Vec<ObjectId> = doc.page_iter().collect();
    for page in pages {
        if let Ok(d) = doc.get_dictionary_mut(page) {
            keep_only(d, &PAGE_KEPT);
        }
    }
    doc.trailer.remove(b"Info");
    doc.prune_objects();
    Ok(())
}

/// `input` (a PDF) with the stamp on every page, and without what the stamp would not
/// cover (see [`CATALOGUE_KEPT`], [`PAGE_KEPT`]). A password-protected PDF is refused.
pub fn pdf(input: &[u8], s: &Stamp) -> Result<Vec<u8>, RenderError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_STREAM),
        ..Default::default()
    };
    let mut doc = Document::load_mem_with_options(input, options).map_err(pdf_error)?;
    if doc.is_encrypted() {
        return Err(RenderError::Encrypted);
    }
    strip_unstamped(&mut doc)?;
    let code = mark::code(&s.view_id)?;
    let opacity = s.opacity.clamp(overlay::MIN_OPACITY, overlay::MAX_OPACITY);
    let font = doc
        .try_add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1",
            "BaseFont" => "Helvetica-Bold", "Encoding" => "WinAnsiEncoding",
        })
        .map_err(pdf_error)?;
    // The text is faint; the code is solid (it is small, and must read back).
    let state = doc
        .try_add_object(dictionary! { "Type" => "ExtGState", "ca" => opacity, "CA" => opacity })
        .map_err(pdf_error)?;
    let open = doc
        .try_add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()))
        .map_err(pdf_error)?;
    let pages: Vec<ObjectId> = doc.page_iter().collect();
    if pages.is_empty() {
        return Err(RenderError::Unreadable("it has no pages".into()));
    }
    for page in pages {
        let bx = page_box(&doc, page);
        let rotate = inherited(&doc, page, b"Rotate")
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0);
        let mut body = b"\nQ\n".to_vec();
        body.extend(
            Content {
                operations: overlay_ops(s, &code, bx, rotate),
            }
            .encode()
            .map_err(pdf_error)?,
        );
        let mut tail = Stream::new(Dictionary::new(), body);
        tail.compress().map_err(pdf_error)?;
        let tail = doc.try_add_object(tail).map_err(pdf_error)?;
        install_resources(&mut doc, page, font, state)?;
        wrap_contents(&mut doc, page, open, tail)?;
    }
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| RenderError::Worker(format!("writing the PDF: {e}")))?;
    Ok(out)
}

/// Drawn pages (JPEG) as a PDF, one page each, A4 wide.
fn pages_pdf(pages: &[Page]) -> Result<Vec<u8>, RenderError> {
    let mut doc = Document::with_version("1.7");
    let tree = doc.new_object_id();
    let mut kids = Vec::with_capacity(pages.len());
    for p in pages {
        let jpeg = encode::to_jpeg(p)?;
        let image = doc
            .try_add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Image",
                    "Width" => i64::from(p.width), "Height" => i64::from(p.height),
                    "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
                    "Filter" => "DCTDecode",
                },
                jpeg,
            ))
            .map_err(pdf_error)?;
        let (w, h) = (595.0f32, 595.0 * p.height as f32 / p.width as f32);
        let draw = Content {
            operations: vec![
                op("q", vec![]),
                op(
                    "cm",
                    vec![w.into(), 0.into(), 0.into(), h.into(), 0.into(), 0.into()],
                ),
                op("Do", vec![Object::Name(b"Pg".to_vec())]),
                op("Q", vec![]),
            ],
        }
        .encode()
        .map_err(pdf_error)?;
        let content = doc
            .try_add_object(Stream::new(Dictionary::new(), draw))
            .map_err(pdf_error)?;
        let page = doc
            .try_add_object(dictionary! {
                "Type" => "Page", "Parent" => tree, "Contents" => content,
                "MediaBox" => vec![0.into(), 0.into(), w.into(), h.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "Pg" => image } },
            })
            .map_err(pdf_error)?;
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        tree,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc
        .try_add_object(dictionary! { "Type" => "Catalog", "Pages" => tree })
        .map_err(pdf_error)?;
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| RenderError::Worker(format!("writing the PDF: {e}")))?;
    Ok(out)
}

/// The most pages a text file may have to leave as a PDF.
pub const MAX_TEXT_PDF_PAGES: usize = 500;

/// A text file as a stamped PDF of its pages (each drawn with the watermark baked in too).
pub fn text_pdf(input: &[u8], s: &Stamp, density: u32) -> Result<Vec<u8>, RenderError> {
    let count = text::pages(input)?.len();
    if count > MAX_TEXT_PDF_PAGES {
        return Err(RenderError::TooLarge(format!(
            "it makes {count} pages; at most {MAX_TEXT_PDF_PAGES} can be downloaded"
        )));
    }
    let wm = overlay::Watermark {
        text: s.text.clone(),
        view_id: s.view_id.clone(),
        opacity: s.opacity,
        density,
    };
    let mut pages = Vec::with_capacity(count);
    let mut layer: Option<overlay::Layer> = None;
    for i in 0..count {
        let mut p = text::render(input, i as u32, 1240)?;
        let l = match &layer {
            Some(l) if (l.width, l.height) == (p.width, p.height) => l,
            _ => layer.insert(overlay::layer(&wm, p.width, p.height)?),
        };
        overlay::apply(&mut p, l)?;
        pages.push(p);
    }
    pdf(&pages_pdf(&pages)?, s)
}

/// A picture with the watermark baked in, as a JPEG at most [`crate::MAX_WIDTH`] wide.
pub fn picture(input: &[u8], s: &Stamp, density: u32) -> Result<Vec<u8>, RenderError> {
    let size = picture::size(input)?;
    let width = (size.width as u32).clamp(crate::MIN_WIDTH, crate::MAX_WIDTH);
    let mut p = picture::render(input, width)?;
    let wm = overlay::Watermark {
        text: s.text.clone(),
        view_id: s.view_id.clone(),
        opacity: s.opacity,
        density,
    };
    let layer = overlay::layer(&wm, p.width, p.height)?;
    overlay::apply(&mut p, &layer)?;
    encode::to_jpeg(&p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamped_pdf_carries_no_attachment_script_or_form() {
        let mut doc = Document::load_mem(&crate::pdf::sample(1)).unwrap();
        let script = doc.add_object(
            dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") },
        );
        let attached = doc.add_object(Stream::new(
            Dictionary::new(),
            b"the clean original".to_vec(),
        ));
        let root = doc
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .unwrap();
        let catalog = doc.get_dictionary_mut(root).unwrap();
        catalog.set("OpenAction", script);
        catalog.set("AcroForm", dictionary! { "Fields" => Vec::<Object>::new() });
        catalog.set("Outlines", dictionary! { "A" => script });
        catalog.set(
            "Names",
            dictionary! { "EmbeddedFiles" => dictionary! { "Names" => vec![Object::string_literal("original.pdf"), attached.into()] } },
        );
        let mut input = Vec::new();
        doc.save_to(&mut input).unwrap();

        let stamp = Stamp {
            text: "Jane Doe · jane@counsel.example".into(),
            view_id: "7K3M9QX2AB".into(),
            opacity: 0.2,
        };
        let bytes = pdf(&input, &stamp).unwrap();
        let clean = b"the clean original";
        assert!(
            !bytes.windows(clean.len()).any(|w| w == clean),
            "the attachment's bytes remain"
        );
        let out = Document::load_mem(&bytes).unwrap();
        let root = out
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .unwrap();
        let catalog = out.get_dictionary(root).unwrap();
        for key in [
            &b"Names"[..],
            b"AcroForm",
            b"OpenAction",
            b"AA",
            b"Outlines",
        ] {
            assert!(!catalog.has(key), "{}", String::from_utf8_lossy(key));
        }
        let pages: Vec<u32> = out.get_pages().keys().copied().collect();
        assert!(out
            .extract_text(&pages)
            .unwrap()
            .contains("jane@counsel.example"));
    }
}
