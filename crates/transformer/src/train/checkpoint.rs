//! An [`LmTrainer`]'s checkpoint, in the format of [`kindling_train::Checkpoint`].
//!
//! ```text
//! epochs_done         i64 scalar: the iterations trained (a language-model run counts
//!                     iterations where an epoch-based one counts epochs)
//! model.*             the model's state dict
//! optimizer.*         AdamW's state dict (two groups: decayed matrices, then the rest)
//! scheduler.*         the WarmupCosineLr scheduler's step count and base rates
//! rng.batches         the training-batch generator's state
//! rng.layer:{path}    each dropout layer's generator
//! history.*           one row per evaluation: train_loss, val_loss, lr, tokens_per_sec
//! ```

use std::path::Path;

use kindling_nn::Module;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Float, Rng, Tensor};
use kindling_train::{Checkpoint, History, TrainError};

use super::{EvalRecord, LmTrainer, LossFn, TrainConfig};

/// The name of the training-batch generator in the checkpoint.
const BATCH_RNG: &str = "batches";
/// The prefix of the dropout layers' generators (the one [`kindling_train::Trainer`] uses).
const LAYER_RNG: &str = "layer:";
/// The history's columns, in order.
const COLUMNS: [&str; 4] = ["train_loss", "val_loss", "lr", "tokens_per_sec"];

/// The history as a [`History`] table (one row per evaluation, indexed by iteration), for
/// plots, CSV and JSON.
pub fn to_history(records: &[EvalRecord]) -> History {
    let rows = records.iter().map(|r| vec![r.train_loss, r.val_loss, r.lr, r.tokens_per_sec]).collect();
    History::from_parts(COLUMNS.iter().map(|c| c.to_string()).collect(), records.iter().map(|r| r.iter).collect(), rows)
}

fn from_history(history: &History) -> Result<Vec<EvalRecord>, String> {
    let column = |name: &str| {
        history.names().iter().position(|n| n == name).ok_or(format!("the history has no `{name}` column"))
    };
    let at: Vec<usize> = COLUMNS.iter().map(|c| column(c)).collect::<Result<_, _>>()?;
    Ok(history
        .epochs()
        .iter()
        .zip(history.rows())
        .map(|(&iter, row)| EvalRecord {
            iter,
            train_loss: row[at[0]],
            val_loss: row[at[1]],
            lr: row[at[2]],
            tokens_per_sec: row[at[3]],
        })
        .collect())
}

fn invalid(path: &Path, reason: String) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        source: Box::new(TrainError::Format { what: "language-model checkpoint".into(), reason }),
    }
}

impl<'a, T: Float> LmTrainer<'a, T> {
    /// The run's state as a checkpoint (see the module docs for its layout).
    pub fn to_checkpoint(&self) -> Checkpoint {
        let layer_rngs = self.model.rng_states();
        let rngs = std::iter::once((BATCH_RNG.to_string(), self.rng.state()))
            .chain(layer_rngs.iter().map(|(layer, t)| {
                let words = t.cast::<i64>().to_vec();
                (format!("{LAYER_RNG}{layer}"), std::array::from_fn(|i| words[i] as u64))
            }))
            .collect();
        Checkpoint {
            epochs_done: self.iter,
            model: self.model.state_dict(),
            optimizer: kindling_optim::Optimizer::state_dict(&self.optimizer),
            scheduler: Some(self.scheduler.state_dict()),
            callbacks: Vec::new(),
            rngs,
            history: to_history(&self.history),
        }
    }

    /// Writes the checkpoint to `path` atomically (an interrupted save leaves the previous
    /// file whole).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        self.to_checkpoint().save(path)
    }

    /// Continues the run saved at `path`: builds the trainer as [`LmTrainer::new`] does, then
    /// loads the model, the optimizer, the schedule, the generators, the iteration and the
    /// history. `model` must have the saved architecture (its initial values do not matter)
    /// and `config` the run's settings (`max_iters` may be raised to train further).
    ///
    /// Errors name the file: a missing file, a damaged one (the checksum is verified), one
    /// that is not a language-model checkpoint, or one that does not fit the model. On error
    /// the model is unchanged.
    pub fn resume(
        model: &'a dyn Module<T>,
        loss: &'a LossFn<'a, T>,
        config: &TrainConfig,
        path: impl AsRef<Path>,
    ) -> Result<Self, TrainError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(TrainError::Checkpoint {
                path: path.to_path_buf(),
                source: Box::new(TrainError::Format {
                    what: "path".into(),
                    reason: "there is no such file; check the path, or start the run with train_lm \
                 (it writes this file at each evaluation when TrainConfig::checkpoint is set)"
                        .into(),
                }),
            });
        }
        let checkpoint = Checkpoint::load(path)?;
        let mut trainer = LmTrainer::new(model, loss, config);
        trainer.restore(&checkpoint).map_err(|e| match e {
            TrainError::Format { reason, .. } => invalid(path, reason),
            other => TrainError::Checkpoint { path: path.to_path_buf(), source: Box::new(other) },
        })?;
        Ok(trainer)
    }

    /// Restores everything from `checkpoint`; the model is only written once every other
    /// part has loaded.
    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), TrainError> {
        let batches = checkpoint.rngs.iter().find(|(name, _)| name == BATCH_RNG).ok_or_else(|| TrainError::Format {
            what: "language-model checkpoint".into(),
            reason: format!(
                "it has no `rng.{BATCH_RNG}` generator; was it written by another kind of run \
                     (kindling_train::Trainer)? Resume it with what wrote it"
            ),
        })?;
        if batches.1 == [0; 4] {
            return Err(TrainError::Format {
                what: "language-model checkpoint".into(),
                reason: format!("`rng.{BATCH_RNG}` is all zeros, which no generator reaches"),
            });
        }
        self.model.check_state_dict(&checkpoint.model)?;
        let scheduler = checkpoint.scheduler.as_ref().ok_or_else(|| TrainError::Format {
            what: "language-model checkpoint".into(),
            reason: "it has no scheduler part".into(),
        })?;
        let history = from_history(&checkpoint.history)
            .map_err(|reason| TrainError::Format { what: "language-model checkpoint".into(), reason })?;
        kindling_optim::Optimizer::load_state_dict(&mut self.optimizer, &checkpoint.optimizer)?;
        self.scheduler.load_state_dict(scheduler)?;
        self.model.load_state_dict(&checkpoint.model)?;
        let mut layer_rngs = StateDict::new();
        for (name, state) in &checkpoint.rngs {
            if let Some(layer) = name.strip_prefix(LAYER_RNG) {
                let words: Vec<i64> = state.iter().map(|&w| w as i64).collect();
                layer_rngs.insert(layer, Tensor::from_vec(words, [4]));
            }
        }
        self.model.set_rng_states(&layer_rngs);
        self.rng = Rng::from_state(batches.1);
        self.iter = checkpoint.epochs_done;
        self.history = history;
        Ok(())
    }
}
