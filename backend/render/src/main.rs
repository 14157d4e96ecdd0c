//! `liaison-render [--memory-mib N] [--cpu-seconds N]`: does one job ([`render::job`]) read
//! from stdin and answers on stdout, inside limits it sets on itself first — address space,
//! CPU time, no core dump, no file written, at most eight open files — so that a hostile
//! file ends this process, never the server. (The server starts it with an empty
//! environment, in `/`, with no stderr.) Panics are
//! answered as an unreadable file; nothing is logged (a message could quote the file).

use std::io::{Read, Write};
use std::process::ExitCode;

use render::job::{self, Answer, Reply};
use render::RenderError;

struct Limits {
    memory_mib: u64,
    cpu_seconds: u64,
}

fn limits() -> Result<Limits, String> {
    let mut l = Limits {
        memory_mib: 1024,
        cpu_seconds: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| format!("{flag} takes a whole number"))?;
        match flag.as_str() {
            "--memory-mib" => l.memory_mib = value,
            "--cpu-seconds" => l.cpu_seconds = value,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(l)
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|_| {}));
    let limits = match limits() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("liaison-render: {e}");
            return ExitCode::from(2);
        }
    };
    let set = rlimit::setrlimit(
        rlimit::Resource::AS,
        limits.memory_mib << 20,
        limits.memory_mib << 20,
    )
    .and_then(|()| {
        rlimit::setrlimit(
            rlimit::Resource::CPU,
            limits.cpu_seconds,
            limits.cpu_seconds + 1,
        )
    })
    .and_then(|()| rlimit::setrlimit(rlimit::Resource::CORE, 0, 0))
    // No file is written (stdout is a pipe), and none opened beyond the three it has and
    // a few the runtime may need.
    .and_then(|()| rlimit::setrlimit(rlimit::Resource::FSIZE, 0, 0))
    .and_then(|()| rlimit::setrlimit(rlimit::Resource::NOFILE, 8, 8));
    if let Err(e) = set {
        eprintln!("liaison-render: cannot limit itself: {e}");
        return ExitCode::from(2);
    }
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("liaison-render: reading the job: {e}");
        return ExitCode::from(2);
    }
    let out = match job::read_job(&input) {
        Ok((job, file)) => {
            let file = file.to_vec();
            drop(input);
            std::panic::catch_unwind(move || job::run(job, file)).unwrap_or_else(|_| Answer {
                reply: Reply::Failed(RenderError::Unreadable("a part of it is malformed".into())),
                body: Vec::new(),
            })
        }
        Err(e) => Answer {
            reply: Reply::Failed(e),
            body: Vec::new(),
        },
    }
    .to_bytes();
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}
