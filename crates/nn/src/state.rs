//! State dicts: a module's parameters and buffers by dotted name, saved as safetensors.
//!
//! Names are the ones PyTorch gives the same architecture (`0.weight`, `bn.running_mean`,
//! `bn.num_batches_tracked`), so a file written by `safetensors.torch.save_file(model.state_dict())`
//! loads here and the other way round. Loading checks everything before changing anything:
//! one error lists every missing, unexpected and wrongly shaped key, and the model is left
//! as it was.

use crate::{Item, Module};
use kindling_tensor::safetensors::{SafetensorsError, StateDict};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{DType, Float};
use std::fmt;
use std::path::{Path, PathBuf};

/// The module's parameters (as `T`) and buffers (in their own types), in registration order.
pub fn state_dict<T: Float, M: Module<T> + ?Sized>(module: &M) -> StateDict {
    let mut dict = StateDict::new();
    module.walk(&mut |name, item| match item {
        Item::Param(p) => dict.insert(name, p.value().contiguous()),
        Item::Buffer(b) => dict.insert(name, b.get()),
        Item::Mode(_) | Item::Rng(_) => {}
    });
    dict
}

/// What a module expects: (name, shape), in order.
fn expected<T: Float, M: Module<T> + ?Sized>(module: &M) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    module.walk(&mut |name, item| match item {
        Item::Param(p) => out.push((name.to_string(), p.shape())),
        Item::Buffer(b) => out.push((name.to_string(), b.shape())),
        Item::Mode(_) | Item::Rng(_) => {}
    });
    out
}

/// Why a state dict does not fit a module. Every problem is listed, not just the first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateDictError {
    /// Keys the module has and the dict lacks.
    pub missing: Vec<String>,
    /// Keys the dict has and the module lacks.
    pub unexpected: Vec<String>,
    /// (key, the module's shape, the dict's shape).
    pub wrong_shape: Vec<(String, Vec<usize>, Vec<usize>)>,
    /// (key, dtype found) for non-float data where the module holds float parameters.
    pub wrong_dtype: Vec<(String, DType)>,
}

impl StateDictError {
    fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.wrong_shape.is_empty()
            && self.wrong_dtype.is_empty()
    }
}

impl fmt::Display for StateDictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the state dict does not fit the model (nothing was loaded):")?;
        if !self.missing.is_empty() {
            write!(f, "\n  missing keys: {}", self.missing.join(", "))?;
        }
        if !self.unexpected.is_empty() {
            write!(f, "\n  unexpected keys: {}", self.unexpected.join(", "))?;
        }
        for (key, model, file) in &self.wrong_shape {
            write!(f, "\n  `{key}`: the model has shape {}, the state dict {}", dims_str(model), dims_str(file))?;
        }
        for (key, dtype) in &self.wrong_dtype {
            write!(f, "\n  `{key}`: a {} tensor cannot be a float parameter", dtype.name())?;
        }
        if !self.missing.is_empty() || !self.unexpected.is_empty() {
            write!(
                f,
                "\n  (was it saved from a different architecture, or with a prefix such as `model.`? \
                 `load_matching` loads only the keys that fit)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for StateDictError {}

/// Why loading a state dict file failed. Either way the model is left as it was.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read, is not safetensors, or is corrupted (its checksum does
    /// not match); the error names the file.
    File(SafetensorsError),
    /// The file is fine but does not fit the model.
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Every key that does not fit.
        error: StateDictError,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::File(e) => e.fmt(f),
            LoadError::Mismatch { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::File(e) => Some(e),
            LoadError::Mismatch { error, .. } => Some(error),
        }
    }
}

fn check<T: Float, M: Module<T> + ?Sized>(module: &M, dict: &StateDict) -> StateDictError {
    let wanted = expected(module);
    let mut error = StateDictError::default();
    for (name, shape) in &wanted {
        match dict.get(name) {
            None => error.missing.push(name.clone()),
            Some(t) if t.shape() != shape.as_slice() => {
                error.wrong_shape.push((name.clone(), shape.clone(), t.shape().to_vec()))
            }
            Some(_) => {}
        }
    }
    module.walk(&mut |name, item| {
        if let (Item::Param(_), Some(t)) = (item, dict.get(name)) {
            if !t.dtype().is_float() {
                error.wrong_dtype.push((name.to_string(), t.dtype()));
            }
        }
    });
    error.unexpected = dict.keys().filter(|k| !wanted.iter().any(|(n, _)| n == k)).map(String::from).collect();
    error
}

fn assign<T: Float, M: Module<T> + ?Sized>(module: &M, dict: &StateDict) {
    module.walk(&mut |name, item| match (item, dict.get(name)) {
        (Item::Param(p), Some(t)) => p.set_value(t.cast::<T>()),
        (Item::Buffer(b), Some(t)) => b.set(t),
        _ => {}
    });
}

/// What [`load_state_dict`] would say of `dict`, changing nothing.
pub fn check_state_dict<T: Float, M: Module<T> + ?Sized>(module: &M, dict: &StateDict) -> Result<(), StateDictError> {
    let error = check(module, dict);
    if error.is_empty() {
        Ok(())
    } else {
        Err(error)
    }
}

/// Loads every entry, or nothing: see [`StateDictError`].
pub fn load_state_dict<T: Float, M: Module<T> + ?Sized>(module: &M, dict: &StateDict) -> Result<(), StateDictError> {
    check_state_dict(module, dict)?;
    assign(module, dict);
    Ok(())
}

/// Loads the entries whose names and shapes fit and returns what was skipped (transfer
/// learning: a pretrained body with a new head).
pub fn load_matching<T: Float, M: Module<T> + ?Sized>(module: &M, dict: &StateDict) -> StateDictError {
    let skipped = check(module, dict);
    let mut fitting = StateDict::new();
    for (name, tensor) in dict.iter() {
        let bad = skipped.wrong_shape.iter().any(|(n, _, _)| n == name)
            || skipped.wrong_dtype.iter().any(|(n, _)| n == name)
            || skipped.unexpected.iter().any(|n| n == name);
        if !bad {
            fitting.insert(name, tensor.clone());
        }
    }
    assign(module, &fitting);
    skipped
}

/// Saves the state dict atomically (see [`StateDict::save`]).
pub fn save<T: Float, M: Module<T> + ?Sized>(module: &M, path: &Path) -> Result<(), SafetensorsError> {
    let mut dict = state_dict(module);
    dict.set_metadata("format", "pt");
    dict.save(path)
}

/// Reads a safetensors file (verifying its checksum if it has one) and loads it strictly.
pub fn load<T: Float, M: Module<T> + ?Sized>(module: &M, path: &Path) -> Result<(), LoadError> {
    let dict = StateDict::load(path).map_err(LoadError::File)?;
    load_state_dict(module, &dict).map_err(|error| LoadError::Mismatch { path: path.to_path_buf(), error })
}
