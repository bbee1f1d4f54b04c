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
fn bench_train_measures_the_rows_named_and_refuses_an_unknown_one() {
    let out = kindling(&["bench", "train", "mlp_infer_b1", "--quick"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("mlp_infer_b1") && !stdout.contains("mlp_sgd_b128"), "wrong rows:\n{stdout}");
    let out = kindling(&["bench", "train", "mlp_nope"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no row mlp_nope; the rows are mlp_sgd_b128, mlp_adam_b128"), "{stderr}");
}

#[test]
fn unknown_command_fails_with_usage() {
    let out = kindling(&["frobnicate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("USAGE"));
}

/// A one-shot loopback HTTP server: answers every request for `path` with `body` (and
/// anything else with 404), for at most `requests` connections, then its thread ends.
fn serve_once(path: &'static str, body: Vec<u8>, requests: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let asked = String::from_utf8_lossy(&request).split_whitespace().nth(1).unwrap_or("").to_string();
            let _ = if asked == path {
                stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                            .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(&body))
            } else {
                stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            };
        }
    });
    base
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn download_rejects_unknown_datasets_and_missing_names_with_usage() {
    let out = kindling(&["download", "cifar10"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown dataset \"cifar10\": expected one of mnist, fashion-mnist, tinyshakespeare"),
        "{stderr}"
    );
    assert!(stderr.contains("USAGE"), "{stderr}");
    let out = kindling(&["download"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("which dataset?"));
    let out = kindling(&["download", "mnist", "--dir"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dir needs a value"));
}

#[test]
fn download_refuses_a_file_with_the_wrong_checksum() {
    let base = serve_once("/tinyshakespeare/input.txt", b"to be or not to be".to_vec(), 4);
    let dir = temp_dir("corrupt");
    let out = kindling(&["download", "tinyshakespeare", "--dir", dir.to_str().unwrap(), "--base-url", &base]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checksum mismatch for"), "{stderr}");
    assert!(stderr.contains("86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.join("tinyshakespeare")).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn download_fetches_from_a_mirror_and_prints_the_folder() {
    let Some(datasets) = std::env::var_os("KINDLING_DATASETS").filter(|v| !v.is_empty()) else {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED: KINDLING_DATASETS is unset (no real file to serve)");
        return;
    };
    let text = std::fs::read(std::path::Path::new(&datasets).join("tinyshakespeare/input.txt")).unwrap();
    let base = serve_once("/tinyshakespeare/input.txt", text.clone(), 4);
    let dir = temp_dir("mirror");
    let out = kindling(&["download", "tiny-shakespeare", "--dir", dir.to_str().unwrap(), "--base-url", &base]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let folder = dir.join("tinyshakespeare");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), folder.display().to_string());
    assert_eq!(std::fs::read(folder.join("input.txt")).unwrap(), text);
    // A second run finds the verified file and does not fetch it again.
    let out =
        kindling(&["download", "tinyshakespeare", "--dir", dir.to_str().unwrap(), "--base-url", "http://127.0.0.1:9"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("up to date: "));
}

#[test]
fn the_demo_trains_on_synthetic_data_and_writes_its_plots() {
    let out = std::env::temp_dir().join(format!("kindling-demo-{}", std::process::id()));
    let run = kindling(&["demo", "--epochs", "3", "--out", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("Total params: 4,547"), "{stdout}");
    let accuracy: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("test accuracy ")?.strip_suffix('%')?.parse().ok())
        .unwrap_or_else(|| panic!("no accuracy line:\n{stdout}"));
    assert!(accuracy > 50.0, "three spirals after 3 epochs: {accuracy}%");
    for file in ["curves.svg", "boundary.svg"] {
        let svg = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{file}");
    }
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn chapters_are_listed_and_a_missing_one_is_refused() {
    let run = kindling(&["chapters"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success());
    assert!(stdout.contains("01  ch01-tensors"), "{stdout}");
    assert!(stdout.contains("02  ch02-autograd"), "{stdout}");
    let run = kindling(&["chapter", "99"]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("no chapter 99; the workspace has 01, 02"));
    let run = kindling(&["demo", "--epochs", "zero"]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("--epochs needs a positive whole number, got zero"));
}
