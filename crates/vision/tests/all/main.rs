//! Every integration test of this crate in one binary (one link instead of one per file, which
//! is most of a test build on a small machine). Each module is one of the former test files.

mod damaged_images;
mod folder;
mod models;
mod transforms;

use std::path::PathBuf;

/// A fresh folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kindling-vision-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
