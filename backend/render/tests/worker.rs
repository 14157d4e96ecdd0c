//! The renderer as the server uses it: the `liaison-render` process on hostile input, and a
//! watermarked page traced back to its view after it was shrunk, recompressed and cropped.

#![allow(clippy::unwrap_used)] // A test crate: a panic is the failure report.

use std::io::Write;
use std::process::{Command, Stdio};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use render::job::{self, Answer, Job, Reply};
use render::overlay::{self, Watermark};
use render::{mark, text, Page, RenderError, Source};

fn run(job: &Job, file: &[u8], args: &[&str]) -> (std::process::ExitStatus, Vec<u8>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_liaison-render"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let input = job::frame(job, file).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (out.status, out.stdout)
}

fn reply(job: &Job, file: &[u8]) -> (Reply, Option<Page>) {
    let (status, out) = run(job, file, &[]);
    assert!(status.success(), "{status}");
    let answer = Answer::read(out).unwrap();
    (answer.reply.clone(), answer.into_page())
}

/// A PNG whose header claims `w` × `h` pixels (and holds none).
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (len, chunk) in [(13u32, ihdr), (0, b"IDAT".to_vec()), (0, b"IEND".to_vec())] {
        png.extend(len.to_be_bytes());
        png.extend(&chunk);
        png.extend(crc32(&chunk).to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn hostile_files_get_a_clear_refusal_from_the_worker() {
    // Not a PDF.
    let (r, _) = reply(
        &Job::Pages {
            source: Source::Pdf,
        },
        b"%PDF-1.7\n1 0 obj garbage",
    );
    assert!(
        matches!(r, Reply::Failed(RenderError::Unreadable(_))),
        "{r:?}"
    );
    // A picture bomb: a few bytes claiming 60,000 × 60,000 pixels, refused from its header.
    let bomb = png_claiming(60_000, 60_000);
    let (r, _) = reply(
        &Job::Pages {
            source: Source::Picture,
        },
        &bomb,
    );
    assert!(
        matches!(r, Reply::Failed(RenderError::TooLarge(_))),
        "{r:?}"
    );
    // A page width outside the bounds.
    let (r, _) = reply(
        &Job::Render {
            source: Source::Text,
            page: 0,
            width: 50_000,
        },
        b"hello",
    );
    assert!(
        matches!(r, Reply::Failed(RenderError::TooLarge(_))),
        "{r:?}"
    );
    // No page 3 in a one-page text.
    let (r, _) = reply(
        &Job::Render {
            source: Source::Text,
            page: 2,
            width: 600,
        },
        b"hello",
    );
    assert_eq!(
        r,
        Reply::Failed(RenderError::NoSuchPage { page: 3, pages: 1 })
    );
    // A job that is not one.
    let (status, out) = {
        let mut child = Command::new(env!("CARGO_BIN_EXE_liaison-render"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"{\"op\":\"x\"}\n")
            .unwrap();
        let o = child.wait_with_output().unwrap();
        (o.status, o.stdout)
    };
    assert!(status.success());
    assert!(matches!(
        Answer::read(out).unwrap().reply,
        Reply::Failed(RenderError::Worker(_))
    ));
    // Out of memory: the process ends, and the server sees that it did.
    let (status, _) = run(
        &Job::Render {
            source: Source::Text,
            page: 0,
            width: 2000,
        },
        "text\n".repeat(10).as_bytes(),
        &["--memory-mib", "16"],
    );
    assert!(
        !status.success(),
        "a 16 MiB budget cannot draw a 2,000-pixel page"
    );
}

/// `page` as a leak would have it: half size, JPEG at quality 60, the right quarter cut away.
fn degraded(page: &Page) -> image::GrayImage {
    let img = image::RgbImage::from_raw(page.width, page.height, page.rgb.clone()).unwrap();
    let half = image::imageops::resize(&img, page.width / 2, page.height / 2, FilterType::Triangle);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 60)
        .encode_image(&half)
        .unwrap();
    let back = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    let cropped =
        image::imageops::crop_imm(&back, 0, 0, back.width() * 3 / 4, back.height()).to_image();
    image::DynamicImage::ImageRgb8(cropped).to_luma8()
}

#[test]
fn a_text_page_is_drawn_and_a_degraded_copy_names_its_view() {
    let (r, page) = reply(
        &Job::Render {
            source: Source::Text,
            page: 0,
            width: 1200,
        },
        "Confidential memo\n\nThe shipment left on Tuesday.\n"
            .repeat(20)
            .as_bytes(),
    );
    let Reply::Page { width, height } = r else {
        panic!("{r:?}")
    };
    let mut page = page.unwrap();
    assert_eq!((width, height), (1200, 1698));
    assert!(page.rgb.iter().any(|&c| c < 100), "the text is drawn");
    assert_eq!(text::pages(b"one line").unwrap().len(), 1);

    let clean = page.clone();
    // Views whose codes differ in every way a reader can stumble on: each, degraded, reads.
    for view_id in [
        "7K3M9QX2AB",
        "0000000000",
        "ZZZZZZZZZZ",
        "H4V8N2P6QR",
        "1X9Y8W7V6T",
    ] {
        let wm = Watermark {
            text: "Jane Doe · jane@lawfirm.example · 2026-12-07 10:04 UTC · share 01JX · TLP:RED"
                .into(),
            view_id: view_id.into(),
            opacity: 0.18,
            density: 10,
        };
        let mut marked = clean.clone();
        overlay::apply(&mut marked, &overlay::layer(&wm, width, height).unwrap()).unwrap();
        assert_ne!(marked, clean, "the watermark changed the page");
        assert_eq!(
            mark::find(&degraded(&marked)),
            vec![view_id.to_owned()],
            "{view_id}"
        );
        page = marked;
    }
    let grey = degraded(&page);

    // Through the worker, as the console's "Trace a leak" does.
    let mut png = Vec::new();
    grey.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (r, _) = reply(&Job::Trace, &png);
    assert_eq!(r, Reply::Traced(vec!["1X9Y8W7V6T".to_owned()]));
}

/// Hostile PDFs written by hand: deep nesting, a huge page, a loop in the page tree,
/// JavaScript and an embedded file, a stream that claims more than it holds.
fn hostile_pdfs() -> Vec<Vec<u8>> {
    let base = String::from_utf8(render::pdf::sample(1)).unwrap();
    vec![
        base.replace(
            "/Count 1",
            &format!("/Count 1 /X {}{}", "[".repeat(50_000), "]".repeat(50_000)),
        )
        .into_bytes(),
        base.replace("[0 0 612 792]", "[0 0 9999999 9999999]")
            .into_bytes(),
        base.replace("/Kids [4 0 R]", "/Kids [2 0 R 4 0 R]")
            .into_bytes(),
        base.replace(
            "/Type /Catalog",
            "/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> \
             /Names << /EmbeddedFiles << /Names [(x.exe) << /Type /Filespec >>] >> >>",
        )
        .into_bytes(),
        base.replace("/Length ", "/Length 999999999 /Filter /FlateDecode /L ")
            .into_bytes(),
        b"%PDF-1.7\n".to_vec(),
        Vec::new(),
    ]
}

/// A deterministic xorshift, so a failure can be replayed from its iteration number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    const TOKENS: [&[u8]; 8] = [
        b"<<",
        b">>",
        b"[",
        b"]",
        b" 99999999 ",
        b" -1 ",
        b"/Pages",
        b" 0 R ",
    ];
    for _ in 0..1 + rng.below(8) {
        if out.is_empty() {
            out.extend_from_slice(b"%PDF-");
        }
        let at = rng.below(out.len());
        match rng.below(4) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            2 => out.truncate(at.max(9)),
            _ => {
                let end = (at + rng.below(64)).min(out.len());
                let chunk = out[at..end].to_vec();
                out.splice(at..at, chunk);
            }
        }
    }
    out
}

/// Malformed PDFs through the renderer's entry point for a bounded time
/// (`LIAISON_FUZZ_SECONDS`, 20 by default): every one ends within its budget with an
/// answer, a clear refusal, or its process ended by its own limits — never a hang.
#[test]
fn malformed_pdfs_end_within_their_budget() {
    let seconds: u64 = std::env::var("LIAISON_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let mut corpus = hostile_pdfs();
    corpus.push(render::pdf::sample(3));
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let started = std::time::Instant::now();
    let (mut runs, mut answered, mut refused, mut ended) = (0, 0, 0, 0);
    let args = ["--memory-mib", "512", "--cpu-seconds", "5"];
    let mut i = 0;
    while i < corpus.len() || started.elapsed().as_secs() < seconds {
        let input = if i < corpus.len() {
            corpus[i].clone()
        } else {
            let seed = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, &seed)
        };
        let job = if i % 2 == 0 {
            Job::Pages {
                source: Source::Pdf,
            }
        } else {
            Job::Render {
                source: Source::Pdf,
                page: 0,
                width: 600,
            }
        };
        let t = std::time::Instant::now();
        let (status, out) = run(&job, &input, &args);
        assert!(
            t.elapsed().as_secs() < 15,
            "iteration {i} took {:?}",
            t.elapsed()
        );
        runs += 1;
        if status.success() {
            match Answer::read(out).map(|a| a.reply) {
                Ok(Reply::Failed(_)) => refused += 1,
                Ok(_) => answered += 1,
                Err(e) => panic!("iteration {i}: a reply that does not read: {e}"),
            }
        } else {
            use std::os::unix::process::ExitStatusExt;
            assert!(
                status.signal().is_some(),
                "iteration {i}: the renderer exited with {status} instead of answering"
            );
            ended += 1;
        }
        i += 1;
    }
    eprintln!(
        "fuzz: {runs} files: {answered} drawn, {refused} refused, {ended} ended by their limits"
    );
    assert!(runs > corpus.len());
}
