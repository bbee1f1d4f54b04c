//! [`TrainError`]: everything in training that touches the world (files, checkpoints, plots).

use kindling_metrics::MetricsError;
use kindling_nn::StateDictError;
use kindling_optim::OptimError;
use kindling_tensor::safetensors::SafetensorsError;
use std::fmt;
use std::path::PathBuf;

/// Why saving or loading a checkpoint, a history or a plot failed.
#[derive(Debug)]
pub enum TrainError {
    /// The file system refused (missing folder, permissions, disk full).
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done (`write`, `read`).
        action: &'static str,
        /// The system's error.
        source: std::io::Error,
    },
    /// A checkpoint file could not be written or is not valid safetensors.
    Safetensors(SafetensorsError),
    /// A checkpoint's model part does not fit the model (keys or shapes differ).
    Model(StateDictError),
    /// A checkpoint's optimizer or scheduler part does not fit.
    Optim(OptimError),
    /// A file has the wrong content (a checkpoint missing a part, malformed JSON).
    Format {
        /// What was being read.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Something in a checkpoint file does not fit the run (nothing was changed).
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What does not fit.
        source: Box<TrainError>,
    },
    /// The plotting backend failed.
    Plot {
        /// The image file.
        path: PathBuf,
        /// The backend's message.
        reason: String,
    },
}

impl TrainError {
    pub(crate) fn format(what: impl Into<String>, reason: impl Into<String>) -> Self {
        TrainError::Format { what: what.into(), reason: reason.into() }
    }

    /// `error`, naming the checkpoint file it came from (errors about the file itself
    /// already name it).
    pub(crate) fn in_file(path: &std::path::Path, error: TrainError) -> Self {
        match error {
            TrainError::Safetensors(_) | TrainError::Io { .. } | TrainError::Checkpoint { .. } => error,
            other => TrainError::Checkpoint { path: path.to_path_buf(), source: Box::new(other) },
        }
    }
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Io { path, action, source } => {
                write!(
                    f,
                    "could not {action} {}: {source} (check that the folder exists and is writable)",
                    path.display()
                )
            }
            TrainError::Safetensors(e) => write!(f, "{e}"),
            TrainError::Model(e) => write!(f, "the checkpoint does not fit the model: {e}"),
            TrainError::Optim(e) => write!(f, "the checkpoint does not fit: {e}"),
            TrainError::Format { what, reason } => write!(f, "invalid {what}: {reason}"),
            TrainError::Checkpoint { path, source } => {
                write!(f, "checkpoint {}: {source} (nothing was changed)", path.display())
            }
            TrainError::Plot { path, reason } => write!(f, "could not draw {}: {reason}", path.display()),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Io { source, .. } => Some(source),
            TrainError::Safetensors(e) => Some(e),
            TrainError::Model(e) => Some(e),
            TrainError::Optim(e) => Some(e),
            TrainError::Checkpoint { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl From<SafetensorsError> for TrainError {
    fn from(e: SafetensorsError) -> Self {
        TrainError::Safetensors(e)
    }
}

impl From<StateDictError> for TrainError {
    fn from(e: StateDictError) -> Self {
        TrainError::Model(e)
    }
}

impl From<OptimError> for TrainError {
    fn from(e: OptimError) -> Self {
        TrainError::Optim(e)
    }
}

/// Histories and plots fail the same ways as before they moved to `kindling-metrics`, so their
/// errors keep their `TrainError` variants and messages.
impl From<MetricsError> for TrainError {
    fn from(e: MetricsError) -> Self {
        match e {
            MetricsError::Io { path, action, source } => TrainError::Io { path, action, source },
            MetricsError::Format { what, reason } => TrainError::Format { what, reason },
            MetricsError::Plot { path, reason } => TrainError::Plot { path, reason },
        }
    }
}
