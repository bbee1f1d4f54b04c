//! `kindling-fuzz`: fuzz Kindling's file loaders (see the crate documentation).
//!
//! ```text
//! kindling-fuzz [--seconds N] [--target NAME] [--seed S] [--regressions DIR]
//! kindling-fuzz --replay [--target NAME] [--regressions DIR]
//! kindling-fuzz --list
//! ```

use kindling_fuzz::child::{self, ChildArgs};
use kindling_fuzz::guard::CountingAlloc;
use kindling_fuzz::parent::{self, Options};
use kindling_fuzz::targets::{self, Target, TARGETS};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const USAGE: &str = "usage: kindling-fuzz [--seconds N] [--target NAME] [--seed S] [--regressions DIR]\n       \
                     kindling-fuzz --replay [--target NAME] [--regressions DIR]\n       kindling-fuzz --list";

struct Cli {
    seconds: f64,
    target: Option<&'static Target>,
    seed: u64,
    regressions: PathBuf,
    replay: bool,
    list: bool,
    // The child's own flags.
    child: bool,
    start: u64,
    count: Option<u64>,
    trace: bool,
    replay_dir: Option<PathBuf>,
}

fn parse() -> Result<Cli, String> {
    let mut cli = Cli {
        seconds: 10.0,
        target: None,
        seed: 0,
        regressions: parent::default_regressions(),
        replay: false,
        list: false,
        child: false,
        start: 0,
        count: None,
        trace: false,
        replay_dir: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| v.parse::<f64>().map_err(|_| format!("{name}: `{v}` is not a number"));
        match arg.as_str() {
            "--seconds" => cli.seconds = number("--seconds", value("--seconds")?)?,
            "--seed" => cli.seed = number("--seed", value("--seed")?)? as u64,
            "--start" => cli.start = number("--start", value("--start")?)? as u64,
            "--count" => cli.count = Some(number("--count", value("--count")?)? as u64),
            "--target" => {
                let name = value("--target")?;
                cli.target = Some(targets::find(&name).ok_or(format!("no target `{name}` (see --list)"))?);
            }
            "--regressions" => cli.regressions = PathBuf::from(value("--regressions")?),
            "--replay" if cli.child => cli.replay_dir = Some(PathBuf::from(value("--replay")?)),
            "--replay" => cli.replay = true,
            "--list" => cli.list = true,
            "--child" => cli.child = true,
            "--trace" => cli.trace = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(cli)
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if cli.child {
        let Some(target) = cli.target else {
            eprintln!("--child needs --target");
            return ExitCode::from(2);
        };
        let args = ChildArgs {
            target,
            seed: cli.seed,
            start: cli.start,
            seconds: cli.seconds,
            count: cli.count,
            trace: cli.trace,
            replay: cli.replay_dir,
        };
        return ExitCode::from(child::run(&args) as u8);
    }
    if cli.list {
        for t in &TARGETS {
            println!("{:<12} {}", t.name, t.about);
        }
        return ExitCode::SUCCESS;
    }
    let exe = std::env::current_exe().expect("the path of this program");
    let chosen: Vec<&'static Target> = cli.target.map_or_else(|| TARGETS.iter().collect(), |t| vec![t]);
    let options =
        Options { exe, seconds: cli.seconds, seed: cli.seed, regressions: cli.regressions, max_restarts: 10_000 };
    let mut findings = Vec::new();
    for target in chosen {
        let report = if cli.replay {
            parent::replay(&options.exe, &options.regressions, target)
        } else {
            parent::fuzz(&options, target)
        };
        println!("{report}");
        findings.extend(report.findings);
    }
    if findings.is_empty() {
        return ExitCode::SUCCESS;
    }
    println!("\n{} finding(s):", findings.len());
    for f in &findings {
        println!("{f}");
    }
    ExitCode::FAILURE
}
