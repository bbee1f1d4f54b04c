//! [`MetricsError`]: what can go wrong when a history or a plot meets the file system.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why saving or loading a history, or drawing a plot, failed.
#[derive(Debug)]
pub enum MetricsError {
    /// The file system refused (missing folder, permissions, disk full).
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done (`write`, `read`).
        action: &'static str,
        /// The system's error.
        source: std::io::Error,
    },
    /// A file has the wrong content (malformed history JSON).
    Format {
        /// What was being read.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The plotting backend failed.
    Plot {
        /// The image file.
        path: PathBuf,
        /// The backend's message.
        reason: String,
    },
}

impl MetricsError {
    pub(crate) fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        MetricsError::Io { path: path.to_path_buf(), action, source }
    }
}

impl fmt::Display for MetricsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsError::Io { path, action, source } => {
                write!(
                    f,
                    "could not {action} {}: {source} (check that the folder exists and is writable)",
                    path.display()
                )
            }
            MetricsError::Format { what, reason } => write!(f, "invalid {what}: {reason}"),
            MetricsError::Plot { path, reason } => write!(f, "could not draw {}: {reason}", path.display()),
        }
    }
}

impl std::error::Error for MetricsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MetricsError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes `bytes` to `path` all-or-nothing ([`kindling_tensor::io::write_atomic`]): an
/// interrupted save leaves the previous file whole. Histories and plots use it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MetricsError> {
    kindling_tensor::io::write_atomic(path, bytes).map_err(|e| MetricsError::io(path, "write", e))
}
