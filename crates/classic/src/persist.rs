//! Saving and loading fitted models as safetensors.
//!
//! A model writes its learned arrays as tensors and its hyperparameters as string metadata,
//! with its kind under the `"kind"` key; loading checks the kind, so a file saved from a
//! `Ridge` is not silently read as a `Lasso`. Saves are atomic (a temporary file, then a
//! rename), so a failed save never leaves half a model behind.

use crate::ClassicError;
use kindling_tensor::safetensors::StateDict;
use std::path::Path;

/// The metadata key that names a saved model's kind.
pub const KIND_KEY: &str = "kind";

/// A model that can be written to and read from a safetensors file.
pub trait Persist: Sized {
    /// The kind written into the file (`"Ridge"`), checked on load.
    const KIND: &'static str;

    /// The fitted model as named tensors plus metadata. Panics when the model is not fitted.
    fn to_state(&self) -> StateDict;

    /// The model back from [`Persist::to_state`]'s output; `Err` says what is missing or
    /// malformed.
    fn from_state(state: &StateDict) -> Result<Self, String>;

    /// Writes the fitted model to `path` atomically.
    fn save(&self, path: impl AsRef<Path>) -> Result<(), ClassicError> {
        let path = path.as_ref();
        let mut state = self.to_state();
        state.set_metadata(KIND_KEY, Self::KIND);
        state.save(path).map_err(|e| ClassicError::Io {
            path: path.to_path_buf(),
            reason: format!("could not save the {}: {e} (check that the folder exists and is writable)", Self::KIND),
        })
    }

    /// Reads a model saved by [`Persist::save`], checking that the file holds this kind.
    fn load(path: impl AsRef<Path>) -> Result<Self, ClassicError> {
        let path = path.as_ref();
        let io = |reason: String| ClassicError::Io { path: path.to_path_buf(), reason };
        let state = StateDict::load(path).map_err(|e| io(format!("could not load a {}: {e}", Self::KIND)))?;
        match state.metadata().get(KIND_KEY).map(String::as_str) {
            Some(kind) if kind == Self::KIND => {}
            Some(kind) => return Err(io(format!("holds a {kind}, not a {}", Self::KIND))),
            None => return Err(io(format!("is not a saved Kindling model (no {KIND_KEY:?} in its metadata)"))),
        }
        Self::from_state(&state).map_err(|reason| io(format!("is not a valid {}: {reason}", Self::KIND)))
    }
}
