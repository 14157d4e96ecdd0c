//! The one job a `liaison-render` process does, and how it travels: on stdin the job as a
//! JSON line, then the file; on stdout the [`Answer`]: the reply as a JSON line, then its
//! body (a page's RGB bytes, a stamped file, or nothing). The parent runs the process; nothing here trusts the file.

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

/// A reply and the bytes that follow its line: a page's RGB, a stamped file, or nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub reply: Reply,
    pub body: Vec<u8>,
}

impl Answer {
    fn bare(reply: Reply) -> Self {
        Self {
            reply,
            body: Vec::new(),
        }
    }

    fn page(p: Page) -> Self {
        Self {
            reply: Reply::Page {
                width: p.width,
                height: p.height,
            },
            body: p.rgb,
        }
    }

    /// The page this answer carries, if it is one.
    pub fn into_page(self) -> Option<Page> {
        match self.reply {
            Reply::Page { width, height } => Some(Page {
                width,
                height,
                rgb: self.body,
            }),
            _ => None,
        }
    }

    /// The bytes the worker writes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            serde_json::to_vec(&self.reply).unwrap_or_else(|_| b"{\"failed\":null}".to_vec());
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out
    }

    /// An answer as the parent reads it. A body that does not fit its reply (a page of
    /// the wrong length, bytes after a bare reply) is the renderer's fault, named.
    pub fn read(mut bytes: Vec<u8>) -> Result<Self, RenderError> {
        let at = bytes
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| RenderError::Worker("the renderer answered nothing".into()))?;
        let reply: Reply = serde_json::from_slice(&bytes[..at])
            .map_err(|e| RenderError::Worker(format!("the renderer's answer: {e}")))?;
        let body = bytes.split_off(at + 1);
        let fits = match &reply {
            Reply::Page { width, height } => body.len() == *width as usize * *height as usize * 3,
            Reply::File { .. } => true,
            _ => body.is_empty(),
        };
        if !fits {
            return Err(RenderError::Worker(format!(
                "the renderer sent {} bytes after {reply:?}",
                body.len()
            )));
        }
        Ok(Self { reply, body })
    }
}

/// Does the job (inside the worker process). Bad input is a [`Reply::Failed`].
pub fn run(job: Job, file: Vec<u8>) -> Answer {
    let done = match job {
        Job::Pages { source } => match source {
            Source::Pdf => pdf::pages(file),
            Source::Picture => picture::size(&file).map(|s| vec![s]),
            Source::Text => text::pages(&file),
        }
        .map(|p| Answer::bare(Reply::Pages(p))),
        Job::Render {
            source,
            page,
            width,
        } => render_page(source, file, page, width).map(Answer::page),
        Job::Trace => picture::decode(&file)
            .map(|img| Answer::bare(Reply::Traced(mark::find(&img.to_luma8())))),
        Job::Stamp {
            source,
            text,
            view_id,
            opacity,
            density,
        } => {
            let s = stamp::Stamp {
                text,
                view_id,
                opacity: f32::from(opacity) / 100.0,
            };
            let density = u32::from(density);
            match source {
                Source::Pdf => stamp::pdf(&file, &s).map(|f| ("application/pdf", f)),
                Source::Text => stamp::text_pdf(&file, &s, density).map(|f| ("application/pdf", f)),
                Source::Picture => stamp::picture(&file, &s, density).map(|f| ("image/jpeg", f)),
            }
            .map(|(content_type, body)| Answer {
                reply: Reply::File {
                    content_type: content_type.into(),
                },
                body,
            })
        }
    };
    done.unwrap_or_else(|e| Answer::bare(Reply::Failed(e)))
}

fn render_page(source: Source, file: Vec<u8>, page: u32, width: u32) -> Result<Page, RenderError> {
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) {
        return Err(RenderError::TooLarge(format!(
            "pages are drawn {MIN_WIDTH} to {MAX_WIDTH} pixels wide"
        )));
    }
    match source {
        Source::Pdf => pdf::render_page(file, page, width),
        Source::Picture if page == 0 => picture::render(&file, width),
        Source::Picture => Err(RenderError::NoSuchPage {
            page: page + 1,
            pages: 1,
        }),
        Source::Text => text::render(&file, page, width),
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
        let answer = run(read, file.to_vec());
        let page = answer.clone().into_page().unwrap();
        assert_eq!(
            answer.reply,
            Reply::Page {
                width: 600,
                height: page.height
            }
        );
        assert_eq!(Answer::read(answer.to_bytes()).unwrap(), answer);
        // A short page, or bytes after a bare reply, is the renderer's fault, named.
        let mut short = answer.to_bytes();
        short.truncate(short.len() - 1);
        assert!(matches!(Answer::read(short), Err(RenderError::Worker(_))));
        let mut trailing = Answer::bare(Reply::Traced(vec![])).to_bytes();
        trailing.push(0);
        assert!(matches!(
            Answer::read(trailing),
            Err(RenderError::Worker(_))
        ));
        // Bad input is a reply, not a crash.
        let r = run(
            Job::Pages {
                source: Source::Pdf,
            },
            b"%PDF-1.7 nonsense".to_vec(),
        )
        .reply;
        assert!(
            matches!(r, Reply::Failed(RenderError::Unreadable(_))),
            "{r:?}"
        );
    }
}
