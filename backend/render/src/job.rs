//! The one job a `liaison-render` process does, and how it travels: on stdin the job as a
//! JSON line, then the file; on stdout the reply as a JSON line, then (for a page) its RGB
//! bytes. The parent runs the process; nothing here trusts the file.

use serde::{Deserialize, Serialize};

use crate::{
    mark, pdf, picture, stamp, text, Page, PageSize, RenderError, Source, MAX_WIDTH, MIN_WIDTH,
};

/// What to do with the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Job {
    /// Each page's size.
    Pages { source: Source },
    /// One page (from 0) drawn `width` pixels wide.
    Render {
        source: Source,
        page: u32,
        width: u32,
    },
    /// The view ids marked on a picture.
    Trace,
    /// The file to download, with the watermark in it: a PDF (from a PDF or a text file)
    /// or a JPEG (from a picture).
    Stamp {
        source: Source,
        text: String,
        view_id: String,
        /// Percent.
        opacity: u8,
        density: u8,
    },
}

/// What the job came to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Pages(Vec<PageSize>),
    /// Followed by `width * height * 3` bytes of RGB.
    Page {
        width: u32,
        height: u32,
    },
    Traced(Vec<String>),
    /// Followed by the file.
    File {
        content_type: String,
    },
    Failed(RenderError),
}

/// The bytes a job is sent as.
pub fn frame(job: &Job, file: &[u8]) -> Result<Vec<u8>, RenderError> {
    let mut out = serde_json::to_vec(job).map_err(|e| RenderError::Worker(e.to_string()))?;
    out.push(b'\n');
    out.extend_from_slice(file);
    Ok(out)
}

/// A JSON line and what follows it.
fn split(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == b'\n')?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

/// A job as the worker reads it.
pub fn read_job(bytes: &[u8]) -> Result<(Job, &[u8]), RenderError> {
    let (line, file) = split(bytes).ok_or_else(|| RenderError::Worker("no job".into()))?;
    let job =
        serde_json::from_slice(line).map_err(|e| RenderError::Worker(format!("the job: {e}")))?;
    Ok((job, file))
}

/// A reply as the parent reads it: the reply and, for a page, the page.
pub fn read_reply(bytes: Vec<u8>) -> Result<(Reply, Option<Page>), RenderError> {
    let (line, rest) =
        split(&bytes).ok_or_else(|| RenderError::Worker("the renderer answered nothing".into()))?;
    let reply: Reply = serde_json::from_slice(line)
        .map_err(|e| RenderError::Worker(format!("the renderer's answer: {e}")))?;
    match reply {
        Reply::Page { width, height } => {
            if rest.len() != width as usize * height as usize * 3 {
                return Err(RenderError::Worker(format!(
                    "the renderer sent {} bytes for a {width}×{height} page",
                    rest.len()
                )));
            }
            let page = Page {
                width,
                height,
                rgb: rest.to_vec(),
            };
            Ok((reply, Some(page)))
        }
        other => Ok((other, None)),
    }
}

/// A reply with a file, as the parent reads it.
pub fn read_file_reply(bytes: Vec<u8>) -> Result<(Reply, Vec<u8>), RenderError> {
    let (line, rest) =
        split(&bytes).ok_or_else(|| RenderError::Worker("the renderer answered nothing".into()))?;
    let reply: Reply = serde_json::from_slice(line)
        .map_err(|e| RenderError::Worker(format!("the renderer's answer: {e}")))?;
    let file = rest.to_vec();
    Ok((reply, file))
}

/// The reply's bytes.
pub fn write_reply(reply: &Reply, page: Option<&Page>) -> Vec<u8> {
    let mut out = serde_json::to_vec(reply).unwrap_or_else(|_| b"{\"failed\":null}".to_vec());
    out.push(b'\n');
    if let Some(p) = page {
        out.extend_from_slice(&p.rgb);
    }
    out
}

/// Does the job (inside the worker process).
pub fn run(job: Job, file: Vec<u8>) -> (Reply, Option<Page>) {
    let done = match job {
        Job::Pages { source } => match source {
            Source::Pdf => pdf::pages(file),
            Source::Picture => picture::size(&file).map(|s| vec![s]),
            Source::Text => text::pages(&file),
        }
        .map(|p| (Reply::Pages(p), None)),
        Job::Render {
            source,
            page,
            width,
        } => {
            if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) {
                Err(RenderError::TooLarge(format!(
                    "pages are drawn {MIN_WIDTH} to {MAX_WIDTH} pixels wide"
                )))
            } else {
                match source {
                    Source::Pdf => pdf::render_page(file, page, width),
                    Source::Picture if page == 0 => picture::render(&file, width),
                    Source::Picture => Err(RenderError::NoSuchPage {
                        page: page + 1,
                        pages: 1,
                    }),
                    Source::Text => text::render(&file, page, width),
                }
                .map(|p| {
                    (
                        Reply::Page {
                            width: p.width,
                            height: p.height,
                        },
                        Some(p),
                    )
                })
            }
        }
        Job::Trace => {
            picture::decode(&file).map(|img| (Reply::Traced(mark::find(&img.to_luma8())), None))
        }
        Job::Stamp { .. } => Err(RenderError::Worker(
            "a stamp is answered with a file: use run_stamp".into(),
        )),
    };
    done.unwrap_or_else(|e| (Reply::Failed(e), None))
}

/// Does a [`Job::Stamp`] (inside the worker process): the reply and the file.
pub fn run_stamp(job: Job, file: &[u8]) -> (Reply, Vec<u8>) {
    let Job::Stamp {
        source,
        text,
        view_id,
        opacity,
        density,
    } = job
    else {
        return (
            Reply::Failed(RenderError::Worker("not a stamp".into())),
            Vec::new(),
        );
    };
    let s = stamp::Stamp {
        text,
        view_id,
        opacity: f32::from(opacity) / 100.0,
    };
    let done = match source {
        Source::Pdf => stamp::pdf(file, &s).map(|f| ("application/pdf", f)),
        Source::Text => {
            stamp::text_pdf(file, &s, u32::from(density)).map(|f| ("application/pdf", f))
        }
        Source::Picture => stamp::picture(file, &s, u32::from(density)).map(|f| ("image/jpeg", f)),
    };
    match done {
        Ok((content_type, f)) => (
            Reply::File {
                content_type: content_type.into(),
            },
            f,
        ),
        Err(e) => (Reply::Failed(e), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_and_replies_travel_intact() {
        let job = Job::Render {
            source: Source::Text,
            page: 0,
            width: 600,
        };
        let framed = frame(&job, b"hello").unwrap();
        let (read, file) = read_job(&framed).unwrap();
        assert_eq!((read.clone(), file), (job.clone(), &b"hello"[..]));
        let (reply, page) = run(read, file.to_vec());
        let page = page.unwrap();
        assert_eq!(
            reply,
            Reply::Page {
                width: 600,
                height: page.height
            }
        );
        let (back, back_page) = read_reply(write_reply(&reply, Some(&page))).unwrap();
        assert_eq!((back, back_page), (reply, Some(page)));
        // A short page is the renderer's fault, named.
        let mut short = write_reply(
            &Reply::Page {
                width: 600,
                height: 10,
            },
            None,
        );
        short.extend_from_slice(&[0; 5]);
        assert!(matches!(read_reply(short), Err(RenderError::Worker(_))));
        // Bad input is a reply, not a crash.
        let (r, _) = run(
            Job::Pages {
                source: Source::Pdf,
            },
            b"%PDF-1.7 nonsense".to_vec(),
        );
        assert!(
            matches!(r, Reply::Failed(RenderError::Unreadable(_))),
            "{r:?}"
        );
    }
}
