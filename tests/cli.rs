//! The main job a new user runs, `kindling bench`, works end to end (at smoke-test size).

use std::process::Command;

fn kindling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kindling")).args(args).output().expect("the kindling binary runs")
}

#[test]
fn quick_bench_prints_both_tables() {
    let out = kindling(&["bench", "--quick"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("GFLOP/s"), "no matmul table:\n{stdout}");
    assert!(stdout.contains("GB/s"), "no memory table:\n{stdout}");
    for version in ["v1", "v2", "v3", "v4", "v5"] {
        assert!(stdout.contains(version), "matmul version {version} missing:\n{stdout}");
    }
}

#[test]
fn unknown_command_fails_with_usage() {
    let out = kindling(&["frobnicate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("USAGE"));
}
