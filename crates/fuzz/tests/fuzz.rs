//! The fuzz run inside `cargo test` (bounded in time, see `kindling_fuzz::test_seconds`) and
//! the replay of every regression file found so far.

use kindling_fuzz::parent::{self, Options};
use kindling_fuzz::targets::{Target, TARGETS};
use std::io::Write;
use std::path::PathBuf;

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kindling-fuzz"))
}

/// Fails listing every finding: target, input index, cause and the regression file written.
fn check(reports: Vec<parent::Report>) {
    let mut findings = Vec::new();
    for report in reports {
        // Straight to the stream, past the test harness's capture: CI logs show the summary.
        let _ = writeln!(std::io::stderr(), "{report}");
        findings.extend(report.findings);
    }
    let list: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert!(findings.is_empty(), "{} finding(s):\n{}", findings.len(), list.join("\n"));
}

#[test]
fn every_loader_survives_a_bounded_fuzz_run() {
    let options = Options {
        exe: exe(),
        seconds: kindling_fuzz::test_seconds(),
        // Deterministic by default; set KINDLING_FUZZ_SEED to explore other inputs.
        seed: std::env::var("KINDLING_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0),
        regressions: parent::default_regressions(),
        max_restarts: 10_000,
    };
    // Each target gets its share of the time (the small text formats an eighth: 1 s under CI).
    let run =
        |t: &'static Target| parent::fuzz(&Options { seconds: options.seconds * t.test_share, ..options.clone() }, t);
    check(TARGETS.iter().map(run).collect());
}

#[test]
fn every_regression_file_replays_cleanly() {
    let dir = parent::default_regressions();
    check(TARGETS.iter().map(|t| parent::replay(&exe(), &dir, t)).collect());
}
