//! Checkpoints: everything a run needs to continue exactly where it stopped, in one
//! safetensors file written atomically (a temporary file beside it, then a rename).
//!
//! ```text
//! epochs_done            i64 scalar: how many epochs the run had finished
//! model.*                the model's state dict (parameters and buffers)
//! optimizer.*            the optimizer's state dict (hyperparameters, moments, step counts)
//! scheduler.*            the learning-rate scheduler's state, if there is one
//! callbacks.{i}.*        the state of callback i (early stopping's best value and weights)
//! rng.{name}             i64 [4]: the bits of a tracked random generator's state
//! history.epochs         i64 [n]: the epoch index of each row
//! history.values         f64 [n, k]: every logged value (NaN where missing)
//! ```
//!
//! The metadata (`__metadata__`) holds `format = kindling-checkpoint`, the history's column
//! names (`history.names`, JSON), the history as JSON for people, and the metadata of the
//! parts under their prefix (`optimizer.optimizer = Adam`).
//!
//! Values are stored as tensors in their own type, never as decimal text, so a resumed run
//! sees exactly the bits the interrupted one had. The file carries a checksum of all of it
//! ([`kindling_tensor::safetensors::CHECKSUM_KEY`]), which [`Checkpoint::load`] requires and
//! verifies.

use crate::history::History;
use crate::TrainError;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;
use std::path::Path;

/// The value of the `format` metadata key of a checkpoint file.
pub const FORMAT: &str = "kindling-checkpoint";

/// A snapshot of a training run at the end of an epoch.
#[derive(Clone, Debug, Default)]
pub struct Checkpoint {
    /// How many epochs were finished; training resumes at this epoch index.
    pub epochs_done: usize,
    /// The model's state dict.
    pub model: StateDict,
    /// The optimizer's state dict.
    pub optimizer: StateDict,
    /// The scheduler's state, if the run had one.
    pub scheduler: Option<StateDict>,
    /// One state dict per callback, in registration order (empty for stateless ones).
    pub callbacks: Vec<StateDict>,
    /// Named random generator states (see [`crate::Trainer::track_rng`]).
    pub rngs: Vec<(String, [u64; 4])>,
    /// Every finished epoch's log.
    pub history: History,
}

/// The most callbacks a checkpoint may declare: far more than any run has, and a bound on what
/// a damaged count can make the reader allocate.
const MAX_CALLBACKS: usize = 1 << 16;

/// A non-negative integer scalar.
fn count(dict: &StateDict, key: &str) -> Result<usize, TrainError> {
    let t = dict.get(key).ok_or_else(|| TrainError::format("checkpoint", format!("`{key}` is missing")))?;
    let values = t.cast::<i64>().to_vec();
    match values[..] {
        [v] if v >= 0 => Ok(v as usize),
        _ => Err(TrainError::format("checkpoint", format!("`{key}` must be one non-negative integer"))),
    }
}

fn history(dict: &StateDict) -> Result<History, TrainError> {
    let bad = |reason: String| TrainError::format("checkpoint", reason);
    let names: Vec<String> = match dict.metadata().get("history.names") {
        Some(text) => serde_json::from_str(text).map_err(|e| bad(format!("history.names: {e}")))?,
        None => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = names.iter().find(|n| !seen.insert(n.as_str())) {
        return Err(bad(format!("history.names lists `{twice}` twice")));
    }
    let epochs = dict.get("history.epochs").map(|t| t.cast::<i64>().to_vec()).unwrap_or_default();
    if epochs.iter().any(|&e| e < 0) {
        return Err(bad("history.epochs holds a negative epoch".into()));
    }
    let values = dict.get("history.values").map(|t| t.cast::<f64>().to_vec()).unwrap_or_default();
    if Some(values.len()) != epochs.len().checked_mul(names.len()) {
        return Err(bad(format!(
            "history.values holds {} numbers, expected {} epochs × {} names",
            values.len(),
            epochs.len(),
            names.len()
        )));
    }
    let rows = if names.is_empty() {
        vec![Vec::new(); epochs.len()]
    } else {
        values.chunks(names.len()).map(<[f64]>::to_vec).collect()
    };
    Ok(History::from_parts(names, epochs.into_iter().map(|e| e as usize).collect(), rows))
}

fn put_part(out: &mut StateDict, prefix: &str, part: &StateDict) {
    for (name, tensor) in part.iter() {
        out.insert(format!("{prefix}.{name}"), tensor.clone());
    }
    for (key, value) in part.metadata() {
        out.set_metadata(format!("{prefix}.{key}"), value.clone());
    }
}

impl Checkpoint {
    /// The checkpoint as one flat state dict (the file's content).
    pub fn to_state_dict(&self) -> StateDict {
        let mut out = StateDict::new();
        out.set_metadata("format", FORMAT);
        out.insert("epochs_done", Tensor::scalar(self.epochs_done as i64));
        put_part(&mut out, "model", &self.model);
        put_part(&mut out, "optimizer", &self.optimizer);
        if let Some(s) = &self.scheduler {
            put_part(&mut out, "scheduler", s);
            out.set_metadata("has_scheduler", "true");
        }
        out.set_metadata("callbacks", self.callbacks.len().to_string());
        for (i, c) in self.callbacks.iter().enumerate() {
            put_part(&mut out, &format!("callbacks.{i}"), c);
        }
        for (name, state) in &self.rngs {
            let bits: Vec<i64> = state.iter().map(|&w| w as i64).collect();
            out.insert(format!("rng.{name}"), Tensor::from_vec(bits, [4]));
        }
        let h = &self.history;
        let (n, k) = (h.len(), h.names().len());
        out.insert("history.epochs", Tensor::from_vec(h.epochs().iter().map(|&e| e as i64).collect(), [n]));
        let values: Vec<f64> = h.rows().iter().flatten().copied().collect();
        out.insert("history.values", Tensor::from_vec(values, [n, k]));
        out.set_metadata("history.names", serde_json::to_string(h.names()).expect("names serialise"));
        out.set_metadata("history.json", h.to_json());
        out
    }

    /// Reads a checkpoint back from [`Checkpoint::to_state_dict`]'s layout. Every entry is
    /// routed to its part in one pass, and every value is checked (a count that is not a
    /// scalar, a negative epoch, a history of the wrong size are errors, never panics).
    pub fn from_state_dict(dict: &StateDict) -> Result<Checkpoint, TrainError> {
        let bad = |reason: String| TrainError::format("checkpoint", reason);
        if dict.metadata().get("format").map(String::as_str) != Some(FORMAT) {
            return Err(bad(format!(
                "the metadata has no `format = {FORMAT}`; is this a model file rather than a checkpoint?"
            )));
        }
        let callback_count = match dict.metadata().get("callbacks") {
            None => 0,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|&n| n <= MAX_CALLBACKS)
                .ok_or_else(|| bad(format!("`callbacks = {text}` is not a count up to {MAX_CALLBACKS}")))?,
        };
        let mut checkpoint = Checkpoint {
            epochs_done: count(dict, "epochs_done")?,
            scheduler: dict.metadata().contains_key("has_scheduler").then(StateDict::new),
            callbacks: vec![StateDict::new(); callback_count],
            ..Checkpoint::default()
        };
        for (name, tensor) in dict.iter() {
            if let Some((part, key)) = checkpoint.part_mut(name).map_err(bad)? {
                part.insert(key, tensor.clone());
            }
        }
        for (name, value) in dict.metadata() {
            if let Some((part, key)) = checkpoint.part_mut(name).map_err(bad)? {
                part.set_metadata(key, value.clone());
            }
        }
        checkpoint.rngs = dict
            .iter()
            .filter_map(|(name, t)| name.strip_prefix("rng.").map(|n| (n.to_string(), t)))
            .map(|(name, t)| {
                let words = t.cast::<i64>().to_vec();
                let state: [u64; 4] = <[i64; 4]>::try_from(words)
                    .map_err(|_| bad(format!("rng.{name} must hold 4 words")))?
                    .map(|w| w as u64);
                Ok((name, state))
            })
            .collect::<Result<_, TrainError>>()?;
        checkpoint.history = history(dict)?;
        Ok(checkpoint)
    }

    /// The part an entry of the flat dict belongs to, and its name there; `None` for the
    /// entries that are not part of a sub-dict (`epochs_done`, `rng.*`, `history.*`).
    fn part_mut<'n>(&mut self, name: &'n str) -> Result<Option<(&mut StateDict, &'n str)>, String> {
        let Some((head, rest)) = name.split_once('.') else { return Ok(None) };
        Ok(match head {
            "model" => Some((&mut self.model, rest)),
            "optimizer" => Some((&mut self.optimizer, rest)),
            "scheduler" => self.scheduler.as_mut().map(|s| (s, rest)),
            "callbacks" => {
                let (index, key) = rest.split_once('.').unwrap_or((rest, ""));
                let count = self.callbacks.len();
                let slot = index.parse::<usize>().ok().and_then(|i| self.callbacks.get_mut(i));
                let part = slot.ok_or(format!("`{name}` belongs to no callback (the checkpoint has {count})"))?;
                Some((part, key))
            }
            _ => None,
        })
    }

    /// Writes the checkpoint to `path` atomically: an interrupted save leaves the previous
    /// file intact.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        Ok(self.to_state_dict().save(path)?)
    }

    /// Reads a checkpoint written by [`Checkpoint::save`], verifying its checksum: a file
    /// damaged anywhere (a flipped bit, a cut, an edit) is an error naming it, never a run
    /// that resumes with changed state.
    pub fn load(path: impl AsRef<Path>) -> Result<Checkpoint, TrainError> {
        let path = path.as_ref();
        let dict = StateDict::load_verified(path)?;
        Checkpoint::from_state_dict(&dict).map_err(|e| TrainError::in_file(path, e))
    }
}
