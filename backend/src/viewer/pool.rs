//! The bounded pool of page renderers. Each job runs in its own `liaison-render` process
//! (`backend/render`), which limits its own address space, CPU time, open files and file
//! writes; the pool adds a wall-clock limit and a [`Gate`]: at most `workers` processes at
//! once and a bounded, timed queue behind them, so a flood of renders is refused as busy
//! instead of starving the server, and a hostile file ends its process, never the server.
//! A caller takes its slot ([`RenderPool::enter`]) *before* reading the file it renders,
//! so waiting requests hold no file in memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use render::job::{self, Answer, Job, Reply};
use render::{Page, PageSize, RenderError, Source};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::gate::{Gate, Slot};

/// The largest stamped file a renderer may answer.
const STAMPED_MAX: u64 = 256 << 20;
/// The content types a stamped file may have (a renderer's answer is not trusted).
const STAMPED_TYPES: [&str; 2] = ["application/pdf", "image/jpeg"];

/// The file name of the renderer.
pub const BINARY: &str = "liaison-render";

/// A renderer process's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub memory_mib: u64,
    pub cpu_seconds: u64,
    /// From start to answer, queueing excluded.
    pub wall: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            memory_mib: 1024,
            cpu_seconds: 20,
            wall: Duration::from_secs(30),
        }
    }
}

/// Bounded page-renderer pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RenderPool {
    binary: Option<Arc<PathBuf>>,
    gate: Arc<Gate>,
    workers: usize,
    budget: Budget,
    /// Processes started, for metrics and for tests proving a path is served from cache.
    started: Arc<AtomicU64>,
}

impl RenderPool {
    /// Requests that may wait for a renderer, per renderer.
    const QUEUE_PER_WORKER: usize = 32;
    /// The longest a request waits for a renderer.
    const MAX_WAIT: Duration = Duration::from_secs(20);

    /// `binary`: the renderer (see [`locate`]); `None` makes every job fail clearly.
    pub fn new(binary: Option<PathBuf>, workers: usize, budget: Budget) -> Self {
        let workers = workers.max(1);
        Self {
            binary: binary.map(Arc::new),
            gate: Arc::new(Gate::new(
                workers,
                workers * Self::QUEUE_PER_WORKER,
                Self::MAX_WAIT,
            )),
            workers,
            budget,
            started: Arc::default(),
        }
    }

    /// A renderer's slot, to take before reading the file a job needs: busy
    /// ([`RenderError::Busy`]) when too many requests wait already, or the wait runs out.
    pub async fn enter(&self) -> Result<Slot, RenderError> {
        self.gate.enter().await
    }

    /// How many renderer processes may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Requests waiting for a renderer now.
    pub fn waiting(&self) -> usize {
        self.gate.waiting()
    }

    /// How many renderer processes this pool has started.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Each page's size.
    pub async fn pages(
        &self,
        slot: Slot,
        source: Source,
        file: &[u8],
    ) -> Result<Vec<PageSize>, RenderError> {
        match self.run(slot, &Job::Pages { source }, file).await?.reply {
            Reply::Pages(p) => Ok(p),
            other => Err(unexpected(&other)),
        }
    }

    /// Page `page` (from 0) drawn `width` pixels wide.
    pub async fn render(
        &self,
        slot: Slot,
        source: Source,
        file: &[u8],
        page: u32,
        width: u32,
    ) -> Result<Page, RenderError> {
        let job = Job::Render {
            source,
            page,
            width,
        };
        let answer = self.run(slot, &job, file).await?;
        let reply = answer.reply.clone();
        answer.into_page().ok_or_else(|| unexpected(&reply))
    }

    /// The view ids marked on a picture.
    pub async fn trace(&self, slot: Slot, picture: &[u8]) -> Result<Vec<String>, RenderError> {
        match self.run(slot, &Job::Trace, picture).await?.reply {
            Reply::Traced(ids) => Ok(ids),
            other => Err(unexpected(&other)),
        }
    }

    /// The file to download with the watermark in it, and its content type: a PDF (from
    /// a PDF or a text file) or a JPEG (from a picture).
    pub async fn stamp(
        &self,
        slot: Slot,
        source: Source,
        file: &[u8],
        stamp: &render::stamp::Stamp,
        density: u8,
    ) -> Result<(String, Vec<u8>), RenderError> {
        let job = Job::Stamp {
            source,
            text: stamp.text.clone(),
            view_id: stamp.view_id.clone(),
            opacity: (stamp.opacity * 100.0).round().clamp(0.0, 100.0) as u8,
            density,
        };
        match self.run(slot, &job, file).await? {
            Answer {
                reply: Reply::File { content_type },
                body,
            } if STAMPED_TYPES.contains(&content_type.as_str()) => Ok((content_type, body)),
            other => Err(unexpected(&other.reply)),
        }
    }

    /// Runs `job` on `file` in a renderer process: its answer, or why it failed.
    async fn run(&self, slot: Slot, job: &Job, file: &[u8]) -> Result<Answer, RenderError> {
        match Answer::read(self.exchange(slot, job, file).await?)? {
            Answer {
                reply: Reply::Failed(e),
                ..
            } => Err(e),
            done => Ok(done),
        }
    }

    /// Runs one renderer process on `job` and `file` in `_slot`: what it wrote, once it
    /// succeeded.
    async fn exchange(&self, _slot: Slot, job: &Job, file: &[u8]) -> Result<Vec<u8>, RenderError> {
        let binary = self.binary.as_ref().ok_or_else(|| {
            RenderError::Worker(format!(
                "{BINARY} was not found beside the server (set LIAISON_RENDER_BIN)"
            ))
        })?;
        let input = job::frame(job, file)?;
        self.started.fetch_add(1, Ordering::Relaxed);
        let mut child = tokio::process::Command::new(binary.as_path())
            .arg("--memory-mib")
            .arg(self.budget.memory_mib.to_string())
            .arg("--cpu-seconds")
            .arg(self.budget.cpu_seconds.to_string())
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| RenderError::Worker(format!("starting {}: {e}", binary.display())))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| RenderError::Worker("no pipe to the renderer".into()))?;
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| RenderError::Worker("no pipe from the renderer".into()))?;
        // The most a reply can be: the largest page, or a stamped file, plus its line.
        let cap = (render::MAX_PIXELS * 3).max(STAMPED_MAX) + 64 * 1024;
        let work = async {
            // Written while the answer is read: neither pipe fills and blocks the other.
            let write = async move {
                // A renderer that ends early (a refused file) closes its end: not an error.
                let _ = stdin.write_all(&input).await;
                drop(stdin);
            };
            let read = async {
                let mut out = Vec::new();
                (&mut stdout)
                    .take(cap + 1)
                    .read_to_end(&mut out)
                    .await
                    .map(|_| out)
            };
            let ((), out) = tokio::join!(write, read);
            let status = child.wait().await;
            (out, status)
        };
        // Past the wall-clock limit with CPU time to spare, the renderer was starved or
        // stuck, not the file's fault: busy (its CPU limit is what a hostile file meets).
        let (out, status) = tokio::time::timeout(self.budget.wall, work)
            .await
            .map_err(|_| RenderError::Busy)?;
        let out = out.map_err(|e| RenderError::Worker(format!("reading the renderer: {e}")))?;
        let status = status.map_err(|e| RenderError::Worker(format!("the renderer: {e}")))?;
        if out.len() as u64 > cap {
            return Err(RenderError::Worker("the renderer answered too much".into()));
        }
        if !status.success() {
            return Err(ended(status));
        }
        Ok(out)
    }
}

/// Why a renderer that did not finish ended: its limits, or something of ours.
fn ended(status: std::process::ExitStatus) -> RenderError {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        // SIGXCPU, SIGKILL: CPU time; SIGABRT, SIGSEGV, SIGBUS: an allocation refused
        // under the address-space limit, or a stack overflow.
        Some(24) | Some(9) => RenderError::Budget("time".into()),
        Some(6) | Some(11) | Some(7) => RenderError::Budget("memory".into()),
        Some(s) => RenderError::Worker(format!("the renderer ended on signal {s}")),
        None => RenderError::Worker(format!("the renderer exited with {status}")),
    }
}

fn unexpected(reply: &Reply) -> RenderError {
    RenderError::Worker(format!("the renderer answered {reply:?}"))
}

/// The renderer beside `exe` (or beside its folder: a test binary lives one level deeper
/// than the binaries cargo builds), or where `LIAISON_RENDER_BIN` says.
pub fn locate(exe: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LIAISON_RENDER_BIN") {
        return Some(PathBuf::from(p));
    }
    let dir = exe?.parent()?;
    [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join(BINARY))
        .find(|p| p.is_file())
}
