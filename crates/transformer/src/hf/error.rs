//! The error of the Hugging Face loaders: every variant names the file and says what to do.

use kindling_nn::state::StateDictError;
use kindling_tensor::safetensors::SafetensorsError;
use std::fmt;
use std::path::PathBuf;

/// Why a Hugging Face checkpoint could not be loaded. The model is never half-loaded.
#[derive(Debug)]
pub enum HfError {
    /// A file could not be read (missing folder or file, permissions).
    Io {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// `config.json` is not valid JSON, lacks a needed field, or holds a field of the wrong type.
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `config.json` asks for something Kindling's model does not implement.
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The setting and its value.
        setting: String,
    },
    /// `model.safetensors` is not a valid safetensors file.
    Weights(SafetensorsError),
    /// The weights do not fit the model that `config.json` describes.
    Mismatch {
        /// The weights file.
        path: PathBuf,
        /// The missing, unexpected and wrongly shaped keys, under Hugging Face's names.
        error: StateDictError,
    },
}

impl fmt::Display for HfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HfError::Io { path, source } => write!(
                f,
                "could not read {}: {source} (pass the folder that Hugging Face's save_pretrained wrote, \
                 holding config.json and model.safetensors)",
                path.display()
            ),
            HfError::Config { path, reason } => write!(
                f,
                "{} is not a usable Hugging Face config: {reason} (save the model again with save_pretrained)",
                path.display()
            ),
            HfError::Unsupported { path, setting } => write!(
                f,
                "{} asks for {setting}, which Kindling's model does not implement (only checkpoints with \
                 the standard settings load)",
                path.display()
            ),
            HfError::Weights(error) => write!(f, "{error} (save the model again with save_pretrained)"),
            HfError::Mismatch { path, error } => {
                write!(f, "{} does not fit the model its config.json describes: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for HfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HfError::Io { source, .. } => Some(source),
            HfError::Weights(error) => Some(error),
            HfError::Mismatch { error, .. } => Some(error),
            HfError::Config { .. } | HfError::Unsupported { .. } => None,
        }
    }
}
