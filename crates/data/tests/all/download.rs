//! Downloads against a loopback HTTP server started by each test: checksum verification, no
//! partial files, caching, and (with `KINDLING_DATASETS`) real files end to end.

use kindling_data::download::{sha256_file, Downloader, RemoteDataset};
use kindling_data::{mnist, DataError, Split};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-data-download-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tiny HTTP/1.1 file server on 127.0.0.1: `overrides` first, then files under `root`.
/// Records every requested path. Serves at most 64 connections, then its thread ends.
struct Server {
    base: String,
    hits: Arc<Mutex<Vec<String>>>,
}

fn serve(root: Option<PathBuf>, overrides: HashMap<String, Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
            log.lock().unwrap().push(path.clone());
            let body = overrides.get(&path).cloned().or_else(|| {
                let root = root.as_ref()?;
                let rel = path.trim_start_matches('/');
                if rel.split('/').any(|part| part == "..") {
                    return None;
                }
                std::fs::read(root.join(rel)).ok()
            });
            let _ = match body {
                Some(body) => stream
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                            .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(&body)),
                None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            };
        }
    });
    Server { base, hits }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn corrupted_download_is_rejected_and_leaves_nothing_behind() {
    let wrong = b"Not Shakespeare at all.\n".to_vec();
    let server = serve(None, HashMap::from([("/tinyshakespeare/input.txt".to_string(), wrong.clone())]));
    let cache = temp_dir("corrupt");
    let err = Downloader::new(&cache).base_url(&server.base).fetch(RemoteDataset::TinyShakespeare).unwrap_err();
    let actual = format!("{:x}", Sha256::digest(&wrong));
    match &err {
        DataError::Checksum { path, expected, actual: got } => {
            assert_eq!(path, &cache.join("tinyshakespeare").join("input.txt"));
            assert_eq!(expected, "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed");
            assert_eq!(got, &actual);
        }
        other => panic!("expected a checksum error, got {other}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "checksum mismatch for {}: expected SHA-256 86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed, \
             got {actual} (the file was not kept; try again, or check the mirror)",
            cache.join("tinyshakespeare/input.txt").display()
        )
    );
    assert_eq!(entries(&cache.join("tinyshakespeare")), Vec::<String>::new(), "no file and no temporary file left");
    assert_eq!(server.hits.lock().unwrap().as_slice(), ["/tinyshakespeare/input.txt"]);
}

#[test]
fn http_errors_and_unreachable_servers_are_download_errors() {
    let server = serve(None, HashMap::new());
    let cache = temp_dir("404");
    let err = Downloader::new(&cache).base_url(format!("{}/", server.base)).fetch(RemoteDataset::Mnist).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "download of {}/mnist/train-images-idx3-ubyte.gz failed: the server answered HTTP 404 Not Found",
            server.base
        )
    );
    assert_eq!(entries(&cache.join("mnist")), Vec::<String>::new());

    // Bind then drop a listener to get a loopback port with nothing behind it.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = Downloader::new(&cache)
        .base_url(format!("http://127.0.0.1:{port}"))
        .fetch(RemoteDataset::TinyShakespeare)
        .unwrap_err();
    assert!(matches!(err, DataError::Download { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with(&format!("download of http://127.0.0.1:{port}/tinyshakespeare/input.txt failed: ")));
}

#[test]
fn dataset_names_and_addresses() {
    assert_eq!("fashion-mnist".parse::<RemoteDataset>().unwrap(), RemoteDataset::FashionMnist);
    assert_eq!("Fashion_MNIST".parse::<RemoteDataset>().unwrap(), RemoteDataset::FashionMnist);
    assert_eq!("tiny-shakespeare".parse::<RemoteDataset>().unwrap(), RemoteDataset::TinyShakespeare);
    let err = "cifar10".parse::<RemoteDataset>().unwrap_err();
    assert_eq!(err.to_string(), "unknown dataset \"cifar10\": expected one of mnist, fashion-mnist, tinyshakespeare");
    let d = Downloader::new("/tmp/x");
    let file = RemoteDataset::FashionMnist.files()[0];
    assert_eq!(
        d.url(RemoteDataset::FashionMnist, &file),
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz"
    );
    assert_eq!(
        Downloader::new("/tmp/x").base_url("http://mirror/").url(RemoteDataset::FashionMnist, &file),
        "http://mirror/fashion-mnist/train-images-idx3-ubyte.gz"
    );
    assert_eq!(RemoteDataset::TinyShakespeare.files()[0].size, 1_115_394);
}

/// The shared datasets folder, or `None` after saying loudly that the test is skipped.
fn datasets() -> Option<PathBuf> {
    match std::env::var_os("KINDLING_DATASETS") {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => {
            // Straight to stderr, past the test harness's capture, so the skip is seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: KINDLING_DATASETS is unset (point it at the shared datasets folder to run this test)"
            );
            None
        }
    }
}

#[test]
fn real_files_download_verify_and_are_cached() {
    let Some(root) = datasets() else { return };
    let server = serve(Some(root.clone()), HashMap::new());
    let cache = temp_dir("real");
    let messages = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&messages);
    let downloader =
        Downloader::new(&cache).base_url(&server.base).on_progress(move |m| sink.lock().unwrap().push(m.to_string()));

    let dir = downloader.fetch(RemoteDataset::TinyShakespeare).unwrap();
    assert_eq!(dir, cache.join("tinyshakespeare"));
    assert_eq!(entries(&dir), ["input.txt"]);
    assert_eq!(sha256_file(dir.join("input.txt")).unwrap(), RemoteDataset::TinyShakespeare.files()[0].sha256);

    let dir = downloader.fetch(RemoteDataset::Mnist).unwrap();
    assert_eq!(entries(&dir).len(), 4);
    let test = mnist(&dir, Split::Test).unwrap();
    assert_eq!(test.images.shape(), &[10000, 28, 28]);
    assert_eq!(server.hits.lock().unwrap().len(), 5);

    // Everything is present and verified: nothing is fetched again.
    downloader.fetch(RemoteDataset::Mnist).unwrap();
    downloader.fetch(RemoteDataset::TinyShakespeare).unwrap();
    assert_eq!(server.hits.lock().unwrap().len(), 5);
    assert!(messages.lock().unwrap().iter().any(|m| m.starts_with("up to date: ")));

    // A corrupted cached file is replaced, and only that one.
    std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), b"damaged").unwrap();
    downloader.fetch(RemoteDataset::Mnist).unwrap();
    let hits = server.hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 6);
    assert_eq!(hits[5], "/mnist/t10k-labels-idx1-ubyte.gz");
    assert_eq!(mnist(&dir, Split::Test).unwrap().labels.shape(), &[10000]);
}
