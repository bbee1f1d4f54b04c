//! [`DataError`]: everything that can go wrong when data comes from the world.
//!
//! Kindling's error policy (DESIGN.md, "Errors"): a programming mistake (a batch size of 0, a
//! transform used before `fit`, shapes that do not line up) panics with a message naming the
//! operation; anything that depends on files, the network or the environment returns
//! `Result<_, DataError>`, and the message says which file, what was expected, what was found
//! and, where it helps, what to do about it.

use std::fmt;
use std::path::PathBuf;

/// An error from reading, parsing, downloading or locating data.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// The operating system refused a file operation.
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// What we were doing: "open", "read", "create", "rename", ...
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file's contents do not have the expected format (wrong magic number, truncated data,
    /// a broken gzip stream, a ragged CSV row, text where a number belongs, ...).
    Malformed {
        /// The file (or a name describing the in-memory source).
        path: PathBuf,
        /// Where in the file, when known: "line 4, column \"width\"", "byte 8", ...
        location: Option<String>,
        /// What a well-formed file has there.
        expected: String,
        /// What this file has there.
        found: String,
    },
    /// An environment variable the operation needs is not set.
    MissingEnv {
        /// The variable's name.
        name: &'static str,
        /// What to set it to.
        hint: &'static str,
    },
    /// A downloaded or cached file does not have its published SHA-256 checksum.
    Checksum {
        /// The file that was checked (already removed when it was a fresh download).
        path: PathBuf,
        /// The published checksum (hex).
        expected: String,
        /// The checksum of the bytes received (hex).
        actual: String,
    },
    /// A network request failed (no connection, HTTP error status, interrupted transfer).
    Download {
        /// The address requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A dataset name that the downloader does not know.
    UnknownDataset {
        /// The name given.
        name: String,
    },
    /// A categorical value at transform time that the encoder never saw while fitting.
    UnknownCategory {
        /// Which encoder reported it.
        encoder: &'static str,
        /// The value.
        value: String,
        /// The categories the encoder knows, in encoding order.
        known: Vec<String>,
    },
}

impl DataError {
    /// Shorthand for a [`DataError::Malformed`] without a location.
    pub(crate) fn malformed(path: impl Into<PathBuf>, expected: impl Into<String>, found: impl Into<String>) -> Self {
        DataError::Malformed { path: path.into(), location: None, expected: expected.into(), found: found.into() }
    }

    /// Shorthand for a [`DataError::Malformed`] at a location.
    pub(crate) fn malformed_at(
        path: impl Into<PathBuf>,
        location: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        DataError::Malformed {
            path: path.into(),
            location: Some(location.into()),
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// Shorthand for a [`DataError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        DataError::Io { path: path.into(), action, source }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, action, source } => write!(f, "cannot {action} {}: {source}", path.display()),
            DataError::Malformed { path, location, expected, found } => {
                write!(f, "{}", path.display())?;
                if let Some(at) = location {
                    write!(f, ", {at}")?;
                }
                write!(f, ": expected {expected}, found {found}")
            }
            DataError::MissingEnv { name, hint } => write!(f, "the environment variable {name} is not set: {hint}"),
            DataError::Checksum { path, expected, actual } => write!(
                f,
                "checksum mismatch for {}: expected SHA-256 {expected}, got {actual} (the file was not kept; \
                 try again, or check the mirror)",
                path.display()
            ),
            DataError::Download { url, message } => write!(f, "download of {url} failed: {message}"),
            DataError::UnknownDataset { name } => write!(
                f,
                "unknown dataset {name:?}: expected one of {}",
                crate::download::RemoteDataset::ALL.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
            ),
            DataError::UnknownCategory { encoder, value, known } => write!(
                f,
                "{encoder}: category {value:?} was not seen during fit (known: {}); refit on data that includes \
                 it, or choose HandleUnknown::Ignore",
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
