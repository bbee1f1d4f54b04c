//! The child process: feeds one target its inputs until the time is up, under the guards.
//!
//! It reports on standard output, one line each (the parent parses them):
//!
//! ```text
//! progress next=I tried=T ok=O err=E peak=P     every quarter second
//! try I                                         before each input, with --trace only
//! panic index=I tried=T ok=O err=E peak=P at=FILE:LINE:COL msg=MESSAGE
//! done next=I tried=T ok=O err=E peak=P
//! ```
//!
//! A panic ends the child (exit code 3) so that the parent, which can regenerate the input
//! from its index, saves it and decides whether its cause is new. An allocation over the caps
//! or a hang aborts the child with a line on standard error (see [`crate::guard`]).

use crate::guard;
use crate::mutate::Plan;
use crate::targets::{Scratch, Target};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What one child run does.
#[derive(Clone, Debug)]
pub struct ChildArgs {
    pub target: &'static Target,
    /// Generator seed of the random inputs.
    pub seed: u64,
    /// The first input index.
    pub start: u64,
    /// Stop starting new inputs after this long.
    pub seconds: f64,
    /// Stop after this many inputs.
    pub count: Option<u64>,
    /// Print each index before running it (to find the input that killed a child silently).
    pub trace: bool,
    /// Replay the regression files under this folder instead of generating inputs.
    pub replay: Option<PathBuf>,
}

/// The regression files of `target` under `dir`, sorted (input `i` of a replay is file `i`).
pub fn regression_files(dir: &Path, target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(target))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "bin"));
    files.sort();
    files
}

/// Where the panic hook leaves the location and message of the last panic.
static LAST_PANIC: Mutex<Option<(String, String)>> = Mutex::new(None);

/// Records panics quietly instead of printing them: the parent reports them.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let mut at =
            info.location().map_or("unknown".to_string(), |l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        if !at.starts_with("crates/") {
            // A panic inside the standard library or a dependency: name the loader's frame too.
            if let Some(frame) = loader_frame(&std::backtrace::Backtrace::force_capture().to_string()) {
                at = format!("{at} via {frame}");
            }
        }
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(a panic without a message)".to_string());
        if let Ok(mut last) = LAST_PANIC.lock() {
            last.get_or_insert((at, msg.replace('\n', " | ")));
        }
    }));
}

/// The innermost frame of a backtrace in one of our crates other than this one.
fn loader_frame(backtrace: &str) -> Option<String> {
    backtrace.lines().filter_map(|l| l.trim().strip_prefix("at ")).find_map(|file| {
        let k = file.find("crates/")?;
        (!file[k..].starts_with("crates/fuzz/")).then(|| file[k..].to_string())
    })
}

fn stats() -> String {
    let (tried, ok, err) = guard::counts();
    format!("tried={tried} ok={ok} err={err} peak={}", guard::peak())
}

/// Runs the child; returns the process exit code.
pub fn run(args: &ChildArgs) -> i32 {
    install_panic_hook();
    let target = args.target;
    let files = args.replay.as_ref().map(|dir| regression_files(dir, target.name));
    let plan = files.is_none().then(|| Plan::new(target));
    let scratch = Scratch { dir: Scratch::path(target.name, std::process::id()) };
    std::fs::create_dir_all(&scratch.dir).expect("scratch folder");
    let out = std::io::stdout();
    let mut out = out.lock();
    let limit = Duration::from_secs_f64(args.seconds.max(0.0));
    let started = Instant::now();
    let mut last_progress = started;
    let end = args.count.map_or(u64::MAX, |n| args.start.saturating_add(n));
    let end = files.as_ref().map_or(end, |f| end.min(f.len() as u64));

    guard::start_watchdog(guard::MAX_INPUT_TIME);
    guard::reset_peak();
    guard::arm();
    let mut index = args.start;
    while index < end && started.elapsed() < limit {
        let input = match (&plan, &files) {
            (Some(plan), _) => plan.input(args.seed, index),
            (None, Some(files)) => std::fs::read(&files[index as usize]).expect("regression file"),
            (None, None) => unreachable!("inputs are either generated or replayed"),
        };
        if args.trace {
            let _ = writeln!(out, "try {index}");
            let _ = out.flush();
        }
        guard::begin(index);
        let outcome = catch_unwind(AssertUnwindSafe(|| (target.run)(&scratch, &input)));
        match outcome {
            Ok(result) => guard::end(result.is_ok()),
            Err(_) => {
                let (at, msg) = LAST_PANIC.lock().ok().and_then(|mut p| p.take()).unwrap_or_default();
                let _ = writeln!(out, "panic index={index} {} at={at} msg={msg}", stats());
                let _ = out.flush();
                let _ = std::fs::remove_dir_all(&scratch.dir);
                return 3;
            }
        }
        index += 1;
        if last_progress.elapsed() > Duration::from_millis(250) {
            last_progress = Instant::now();
            let _ = writeln!(out, "progress next={index} {}", stats());
            let _ = out.flush();
        }
    }
    let _ = writeln!(out, "done next={index} {}", stats());
    let _ = out.flush();
    let _ = std::fs::remove_dir_all(&scratch.dir);
    0
}
