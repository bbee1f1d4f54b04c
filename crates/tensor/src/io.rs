//! Files written all-or-nothing.
//!
//! Every save in Kindling (state dicts, checkpoints, histories, images) goes through
//! [`write_atomic_with`]: the bytes go to a temporary file in the target's folder, the file is
//! flushed to the disk, and only then renamed over the target. A rename within one folder
//! replaces the old file in one step, so a crash, a full disk or an error at any byte leaves
//! either the previous file whole or the new one whole, never a mix.
//!
//! ```
//! use kindling_tensor::io::write_atomic;
//!
//! let path = std::env::temp_dir().join(format!("kindling-io-doc-{}.txt", std::process::id()));
//! write_atomic(&path, b"first")?;
//! write_atomic(&path, b"second")?;
//! assert_eq!(std::fs::read(&path)?, b"second");
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `bytes` to `path` all-or-nothing (see [`write_atomic_with`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// Lets `write` fill a temporary file beside `path`, flushes it to the disk, then renames it
/// over `path`. If `write`, the flush or the rename fails, the temporary file is removed and
/// whatever was at `path` before is untouched.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let tmp = temporary_path(path)?;
    let result = (|| {
        let mut out = BufWriter::new(File::create(&tmp)?);
        write(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    match result {
        Ok(()) => {
            // Makes the rename itself durable; not every file system can sync a folder, and
            // the file is already whole either way.
            if let Ok(dir) = File::open(folder(path)) {
                let _ = dir.sync_all();
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `.name.tmp-<pid>-<n>` in the target's folder: the same file system (so the rename is one
/// step), hidden, and distinct for every save, so two threads saving one path never share it.
fn temporary_path(path: &Path) -> io::Result<PathBuf> {
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let name =
        path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let n = SAVES.fetch_add(1, Ordering::Relaxed);
    Ok(folder(path).join(format!(".{}.tmp-{}-{n}", name.to_string_lossy(), std::process::id())))
}
