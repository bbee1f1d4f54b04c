//! The kernel-family index in the docs of `src/ops/mod.rs` names files across the repository
//! (API, kernels, autograd, tests, CUDA, book sections). This test fails when one of them no
//! longer exists, or a book link points at a heading that is gone, so the index cannot drift.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// mdBook's id for a heading: lower case, spaces to hyphens, other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every backticked path with a `/` in the index table's rows.
fn indexed_paths() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("crates/tensor/src/ops/mod.rs")).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("//! | ") && !l.contains("|---")).skip(1).collect();
    assert!(rows.len() >= 6, "the index lists {} families", rows.len());
    let mut paths = Vec::new();
    for row in rows {
        for (i, piece) in row.split('`').enumerate() {
            if i % 2 == 1 && piece.contains('/') {
                paths.push(piece.to_string());
            }
        }
    }
    paths
}

#[test]
fn every_path_in_the_kernel_index_exists() {
    let root = repo_root();
    let paths = indexed_paths();
    assert!(paths.len() > 40, "only {} paths in the index", paths.len());
    for entry in paths {
        let (file, anchor) = entry.split_once('#').map_or((entry.as_str(), None), |(f, a)| (f, Some(a)));
        let full = root.join(file);
        assert!(full.is_file(), "the kernel index names {file}, which does not exist");
        if let Some(anchor) = anchor {
            let text = std::fs::read_to_string(&full).unwrap();
            let found =
                text.lines().filter_map(|l| l.strip_prefix('#')).any(|h| slug(h.trim_start_matches('#')) == anchor);
            assert!(found, "the kernel index links {file}#{anchor}, but no heading there has that id");
        }
    }
}

#[test]
fn every_kernel_family_folder_is_indexed() {
    let ops = repo_root().join("crates/tensor/src/ops");
    let paths = indexed_paths();
    for dir in std::fs::read_dir(&ops).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if dir.is_dir() && dir.join("naive.rs").is_file() {
            let api = format!("crates/tensor/src/ops/{name}/mod.rs");
            assert!(paths.contains(&api), "the family {name} has naive.rs but no row in the index");
        }
    }
}
