//! The parent process: runs each target in a child until the time is up, restarting the child
//! after every finding, and keeps what it finds.
//!
//! A finding's input is regenerated from its index (inputs are a pure function of target,
//! seed and index), so a child that died in the allocator or the watchdog needs to say no
//! more than the index. The parent, not the child, saves regression files: it is the one place
//! that sees every restart and can tell a new cause from one already on file.

use crate::child::regression_files;
use crate::mutate::Plan;
use crate::targets::{regression_path, Scratch, Target};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The regression folder of this crate (`crates/fuzz/regressions`).
pub fn default_regressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions")
}

/// How to fuzz.
#[derive(Clone, Debug)]
pub struct Options {
    /// The `kindling-fuzz` binary, run as the child.
    pub exe: PathBuf,
    /// Time per target.
    pub seconds: f64,
    /// Generator seed of the random inputs.
    pub seed: u64,
    /// Where regression files live (`<dir>/<target>/<hash>.bin`).
    pub regressions: PathBuf,
    /// Stop restarting a target's child after this many findings, even with time left (the
    /// time budget is the real bound; this one only stops a target where every input crashes).
    pub max_restarts: usize,
}

/// A panic, abort, hang or crash, with the first input that caused it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub target: &'static str,
    /// The input's index (for a replay, its position in the sorted regression files).
    pub index: u64,
    /// How many inputs of this run ended the same way.
    pub inputs: u64,
    /// The cause, used to tell findings apart: `panic at FILE:LINE:COL`, `alloc over=single`,
    /// `alloc over=live`, `hang`, or `crash STATUS`.
    pub cause: String,
    /// The panic message or the abort line.
    pub detail: String,
    /// The regression file holding the input.
    pub file: Option<PathBuf>,
    /// Whether the cause was new (its file was written now).
    pub new: bool,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.as_ref().map_or("(no file)".to_string(), |p| p.display().to_string());
        let seen = if self.new { "new cause, saved" } else { "cause already on file" };
        write!(
            f,
            "{}: {} (input {}, {} input(s) in all) [{seen}] -> {file}\n    {}",
            self.target, self.cause, self.index, self.inputs, self.detail
        )
    }
}

/// What happened to one target.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub target: &'static str,
    pub tried: u64,
    pub ok: u64,
    pub err: u64,
    pub panics: u64,
    pub over_cap: u64,
    pub hangs: u64,
    pub crashes: u64,
    /// The most heap live at once in any child, in bytes.
    pub peak: usize,
    pub seconds: f64,
    pub findings: Vec<Finding>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<11} {:>8} inputs in {:5.1} s ({:>6.0}/s): ok {}, err {}; panics {}, over-cap allocations {}, \
             hangs {}, other crashes {}; peak live heap {:.1} MiB",
            self.target,
            self.tried,
            self.seconds,
            self.tried as f64 / self.seconds.max(1e-9),
            self.ok,
            self.err,
            self.panics,
            self.over_cap,
            self.hangs,
            self.crashes,
            self.peak as f64 / (1 << 20) as f64,
        )
    }
}

/// How a child run ended.
#[derive(Debug)]
enum End {
    Done,
    Panic { index: u64, at: String, msg: String },
    Abort { index: u64, cause: String, line: String },
    Died { status: String, tail: String },
}

/// One child run: how it ended, its counters, and the last index it said it would run next.
#[derive(Debug)]
struct Run {
    end: End,
    tried: u64,
    ok: u64,
    err: u64,
    peak: usize,
    next: u64,
    traced: Option<u64>,
}

/// `key=value` from a report line.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split(' ').find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn num(line: &str, key: &str) -> Option<u64> {
    field(line, key).and_then(|v| v.parse::<i64>().ok()).map(|v| v as u64)
}

/// The regression-file-friendly form of a panic location: paths into the cargo registry lose
/// the machine-specific part (`~/.cargo/registry/src/index.crates.io-.../`).
fn short_location(at: &str) -> String {
    if let Some(k) = at.find("/registry/src/") {
        return at[k + "/registry/src/".len()..].split_once('/').map_or(at, |(_, rest)| rest).to_string();
    }
    // The standard library's paths carry the compiler's commit hash.
    if let Some(rest) = at.strip_prefix("/rustc/") {
        return format!("rustc/{}", rest.split_once('/').map_or(rest, |(_, rest)| rest));
    }
    at.to_string()
}

struct ChildSpec<'a> {
    target: &'static Target,
    seed: u64,
    start: u64,
    seconds: f64,
    trace: bool,
    replay: Option<&'a Path>,
}

fn run_child(exe: &Path, spec: &ChildSpec<'_>) -> Run {
    let mut cmd = Command::new(exe);
    cmd.args(["--child", "--target", spec.target.name])
        .args(["--seed", &spec.seed.to_string(), "--start", &spec.start.to_string()])
        .args(["--seconds", &spec.seconds.to_string()])
        // Without the tensor buffer cache (up to 1 GiB of freed buffers kept for reuse), the
        // live heap is the current input's own, and a finding replays alone.
        .env("KINDLING_BUFFER_CACHE_MB", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if spec.trace {
        cmd.arg("--trace");
    }
    if let Some(dir) = spec.replay {
        cmd.arg("--replay").arg(dir);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let out_tx = tx.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = out_tx.send(line);
        }
    });
    // Standard error carries the loaders' own chatter too: keep the abort line and a short tail.
    let mut stderr = child.stderr.take().expect("piped stderr");
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    drop(tx);
    // The watchdog ends a hung input; this only catches a child whose watchdog failed too.
    let kill_at =
        Instant::now() + Duration::from_secs_f64(spec.seconds) + crate::guard::MAX_INPUT_TIME + Duration::from_secs(5);
    let mut killed = false;
    let mut run = Run { end: End::Done, tried: 0, ok: 0, err: 0, peak: 0, next: spec.start, traced: None };
    let mut ended = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => parse_line(&line, &mut run, &mut ended),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > kill_at && !killed => {
                killed = child.kill().is_ok();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    let status = child.wait().expect("waiting for the child");
    let _ = reader.join();
    let stderr = err_reader.join().unwrap_or_default();
    let _ = std::fs::remove_dir_all(Scratch::path(spec.target.name, pid));
    let abort = stderr.lines().find(|l| l.starts_with("kindling-fuzz: abort"));
    run.end = match (ended, abort) {
        (Some(end), _) => end,
        (None, Some(line)) => {
            for (key, slot) in [("tried", &mut run.tried), ("ok", &mut run.ok), ("err", &mut run.err)] {
                *slot = num(line, key).unwrap_or(*slot);
            }
            run.peak = num(line, "peak").map_or(run.peak, |p| p as usize);
            let cause = field(line, "cause").unwrap_or("?");
            let cause = if cause == "alloc" {
                format!("alloc over={}", field(line, "over").unwrap_or("?"))
            } else {
                cause.into()
            };
            End::Abort { index: num(line, "index").unwrap_or(run.next), cause, line: line.to_string() }
        }
        (None, None) if killed => {
            End::Died { status: "killed by the parent: past its time and the watchdog's".into(), tail: String::new() }
        }
        (None, None) if status.success() => End::Died { status: "exit 0 without a report".into(), tail: String::new() },
        (None, None) => {
            let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
            End::Died { status: status.to_string(), tail: tail.into_iter().rev().collect::<Vec<_>>().join(" | ") }
        }
    };
    run
}

fn parse_line(line: &str, run: &mut Run, ended: &mut Option<End>) {
    let kind = line.split(' ').next().unwrap_or("");
    if kind == "try" {
        run.traced = line[4..].parse().ok();
        return;
    }
    if !matches!(kind, "progress" | "done" | "panic") {
        return;
    }
    for (key, slot) in [("tried", &mut run.tried), ("ok", &mut run.ok), ("err", &mut run.err), ("next", &mut run.next)]
    {
        *slot = num(line, key).unwrap_or(*slot);
    }
    run.peak = num(line, "peak").map_or(run.peak, |p| p as usize);
    match kind {
        "done" => *ended = Some(End::Done),
        "panic" => {
            let at = line.split_once(" at=").and_then(|(_, r)| r.split_once(" msg=")).map_or("unknown", |(a, _)| a);
            let msg = line.split_once(" msg=").map_or("", |(_, m)| m);
            *ended = Some(End::Panic {
                index: num(line, "index").unwrap_or(run.next),
                at: short_location(at),
                msg: msg.into(),
            })
        }
        _ => {}
    }
}

/// The causes already on file for `target` (the `cause:` line of each `<hash>.txt`).
fn known_causes(dir: &Path, target: &str) -> HashSet<String> {
    let Ok(entries) = std::fs::read_dir(dir.join(target)) else { return HashSet::new() };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|text| text.lines().find_map(|l| l.strip_prefix("cause: ").map(str::to_string)))
        .collect()
}

/// Fuzzes one target for `options.seconds`.
pub fn fuzz(options: &Options, target: &'static Target) -> Report {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(options.seconds);
    let mut report = Report { target: target.name, ..Report::default() };
    let mut known = known_causes(&options.regressions, target.name);
    let mut plan: Option<Plan> = None;
    let (mut start, mut restarts) = (0, 0);
    // A hot cause (every header-field input of a format, say) restarts the child often; the
    // time budget bounds that, and so does the cap on restarts.
    while restarts < options.max_restarts {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs_f64();
        if left <= 0.0 {
            break;
        }
        let spec = ChildSpec { target, seed: options.seed, start, seconds: left, trace: false, replay: None };
        let run = run_child(&options.exe, &spec);
        add_counts(&mut report, &run);
        let (index, cause, detail) = match run.end {
            End::Done => break,
            End::Panic { index, at, msg } => (index, format!("panic at {at}"), msg),
            End::Abort { index, cause, line } => (index, cause, line),
            End::Died { status, tail } => {
                // Nothing said which input it was: run again from the last progress report,
                // printing every index, and take the last one printed.
                let left = deadline.saturating_duration_since(Instant::now()).as_secs_f64().max(5.0);
                let again = run_child(&options.exe, &ChildSpec { start: run.next, seconds: left, trace: true, ..spec });
                let reproduced = !matches!(again.end, End::Done);
                let index = again.traced.filter(|_| reproduced).unwrap_or(run.next);
                let note = if reproduced { "" } else { " (not reproduced on a second run)" };
                (index, format!("crash {status}"), format!("{tail}{note}"))
            }
        };
        match cause.split(' ').next() {
            Some("panic") => report.panics += 1,
            Some("alloc") => report.over_cap += 1,
            Some("hang") => report.hangs += 1,
            _ => report.crashes += 1,
        }
        start = index + 1;
        restarts += 1;
        if let Some(same) = report.findings.iter_mut().find(|f| f.cause == cause) {
            same.inputs += 1;
            continue;
        }
        let input = plan.get_or_insert_with(|| Plan::new(target)).input(options.seed, index);
        let new = known.insert(cause.clone());
        let file = regression_path(&options.regressions, target.name, &input);
        if new {
            save(&file, &input, target, index, options.seed, &cause, &detail);
        }
        report.findings.push(Finding { target: target.name, index, inputs: 1, cause, detail, file: Some(file), new });
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

fn add_counts(report: &mut Report, run: &Run) {
    report.tried += run.tried;
    report.ok += run.ok;
    report.err += run.err;
    report.peak = report.peak.max(run.peak);
}

fn save(file: &Path, input: &[u8], target: &Target, index: u64, seed: u64, cause: &str, detail: &str) {
    std::fs::create_dir_all(file.parent().expect("a folder per target")).expect("regression folder");
    std::fs::write(file, input).expect("regression file");
    let note = format!(
        "target: {}\ncause: {cause}\nfound: input {index} of seed {seed} ({} bytes)\ndetail: {detail}\n\
         replay: cargo run --release -p kindling-fuzz -- --replay --target {}\n",
        target.name,
        input.len(),
        target.name
    );
    std::fs::write(file.with_extension("txt"), note).expect("regression note");
}

/// Replays every regression file of `target` (no time limit: there are few, and each is fast).
pub fn replay(exe: &Path, regressions: &Path, target: &'static Target) -> Report {
    let started = Instant::now();
    let files = regression_files(regressions, target.name);
    let mut report = Report { target: target.name, ..Report::default() };
    let mut start = 0;
    while (start as usize) < files.len() {
        let spec = ChildSpec { target, seed: 0, start, seconds: 1e6, trace: false, replay: Some(regressions) };
        let run = run_child(exe, &spec);
        add_counts(&mut report, &run);
        let (index, cause, detail) = match run.end {
            End::Done => break,
            End::Panic { index, at, msg } => (index, format!("panic at {at}"), msg),
            End::Abort { index, cause, line } => (index, cause, line),
            // A replay runs one known file at a time from `start`; the next one is the culprit.
            End::Died { status, tail } => (run.next, format!("crash {status}"), tail),
        };
        match cause.split(' ').next() {
            Some("panic") => report.panics += 1,
            Some("alloc") => report.over_cap += 1,
            Some("hang") => report.hangs += 1,
            _ => report.crashes += 1,
        }
        let file = files.get(index as usize).cloned();
        report.findings.push(Finding { target: target.name, index, inputs: 1, cause, detail, file, new: false });
        start = index + 1;
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}
