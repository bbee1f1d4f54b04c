//! [`Trainer`]: the training engine. `fit` runs epochs of [`train_epoch_with`] and
//! [`evaluate_with`], and around them the parts that vary from run to run: metrics, a
//! learning-rate scheduler, callbacks (early stopping, logging), progress bars and
//! checkpoints.

use crate::callbacks::{Callback, Context, EpochScheduler};
use crate::checkpoint::Checkpoint;
use crate::engine::{evaluate_with, train_epoch_with, BatchSource, Control, EpochStats, ModelInput, Target};
use crate::history::{EpochLog, History};
use crate::metrics::Metric;
use crate::progress::{Progress, Reporter};
use crate::seed::SharedRng;
use crate::TrainError;
use kindling_autograd::Variable;
use kindling_nn::{Forward, Module};
use kindling_optim::Optimizer;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};
use std::path::{Path, PathBuf};

/// Checkpoint names of the layers' own generators: `layer:` + the layer's path.
const LAYER_RNG: &str = "layer:";

/// A boxed loss function: `(model outputs, targets) → scalar loss`.
pub type LossFn<'a, Y> = Box<dyn Fn(&Variable, &Y) -> Variable + 'a>;

/// Trains a model with an optimizer and a loss function, epoch after epoch.
///
/// `Y` is the target type of the batches: `Tensor<i64>` class labels or `Tensor<f32>`
/// regression targets. `I` is what the model reads: one `Variable<f32>` unless the model says
/// otherwise (token ids, a `(tokens, mask)` pair, several inputs); it is inferred from the
/// model, and [`Trainer::fit`] accepts any batches whose inputs reach it ([`ModelInput`]).
///
/// Each epoch of [`Trainer::fit`]:
/// 1. trains on the epoch's batches ([`BatchSource::epoch_batches`] with the epoch index, so
///    the data order depends only on the loader's seed and the epoch),
/// 2. evaluates on the validation batches, if any,
/// 3. logs `loss`, every metric, `val_loss`, `val_` metrics, `lr` and `seconds`,
/// 4. runs the callbacks' `on_epoch_end` (which may add values or stop training),
/// 5. appends the log to the history, steps the scheduler, writes the checkpoint.
pub struct Trainer<'a, Y, I = Variable> {
    model: &'a dyn Forward<f32, I>,
    optimizer: &'a mut dyn Optimizer,
    loss_fn: LossFn<'a, Y>,
    metrics: Vec<Box<dyn Metric<Y>>>,
    train_metrics: bool,
    scheduler: Option<Box<dyn EpochScheduler + 'a>>,
    callbacks: Vec<Box<dyn Callback + 'a>>,
    progress: Progress,
    checkpoint: Option<(PathBuf, usize)>,
    rngs: Vec<(String, SharedRng)>,
    history: History,
    epochs_done: usize,
    stopped: bool,
}

impl<'a, Y: Target, I: Clone> Trainer<'a, Y, I> {
    /// A trainer for `model`, updated by `optimizer`, minimising `loss_fn(outputs, targets)`
    /// (for example `cross_entropy` or `|out, y| mse_loss(out, y, Reduction::Mean)`).
    pub fn new(
        model: &'a dyn Forward<f32, I>,
        optimizer: &'a mut dyn Optimizer,
        loss_fn: impl Fn(&Variable, &Y) -> Variable + 'a,
    ) -> Self {
        Trainer {
            model,
            optimizer,
            loss_fn: Box::new(loss_fn),
            metrics: Vec::new(),
            train_metrics: true,
            scheduler: None,
            callbacks: Vec::new(),
            progress: Progress::Auto,
            checkpoint: None,
            rngs: Vec::new(),
            history: History::new(),
            epochs_done: 0,
            stopped: false,
        }
    }

    /// Adds a metric, computed on the training pass (as `name`) and on the validation pass
    /// (as `val_name`).
    pub fn metric(mut self, metric: impl Metric<Y> + 'static) -> Self {
        self.metrics.push(Box::new(metric));
        self
    }

    /// Whether metrics are also computed during training (default `true`; the training
    /// values are measured while the weights change, as Keras does).
    pub fn train_metrics(mut self, on: bool) -> Self {
        self.train_metrics = on;
        self
    }

    /// Sets the learning-rate scheduler.
    pub fn scheduler(mut self, scheduler: impl EpochScheduler + 'a) -> Self {
        self.scheduler = Some(Box::new(scheduler));
        self
    }

    /// Adds a callback; callbacks run in the order they were added.
    pub fn callback(mut self, callback: impl Callback + 'a) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Sets how progress is shown (see [`Progress`]).
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Writes a checkpoint to `path` every `every` epochs and after the last one.
    pub fn checkpoint(mut self, path: impl AsRef<Path>, every: usize) -> Self {
        assert!(every > 0, "Trainer::checkpoint: `every` must be at least 1");
        self.checkpoint = Some((path.as_ref().to_path_buf(), every));
        self
    }

    /// Saves and restores the state of `rng` in checkpoints under `name` (a generator for
    /// data augmentation, say). Dropout layers keep their own generators, which state dicts
    /// do not hold; use [`crate::seed_everything`] streams for everything else.
    pub fn track_rng(mut self, name: &str, rng: SharedRng) -> Self {
        self.rngs.push((name.to_string(), rng));
        self
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// How many epochs have been finished (the next epoch's index).
    pub fn epochs_done(&self) -> usize {
        self.epochs_done
    }

    /// Whether a callback stopped training.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The current state of the run as a checkpoint.
    pub fn to_checkpoint(&self) -> Checkpoint {
        Checkpoint {
            epochs_done: self.epochs_done,
            model: self.model.state_dict(),
            optimizer: self.optimizer.state_dict(),
            scheduler: self.scheduler.as_ref().map(|s| s.state_dict()),
            callbacks: self.callbacks.iter().map(|c| c.state_dict()).collect(),
            rngs: self
                .rngs
                .iter()
                .map(|(n, r)| (n.clone(), r.lock().expect("rng lock").state()))
                .chain(self.model.rng_states().iter().map(|(layer, t)| {
                    let words = t.cast::<i64>().to_vec();
                    (format!("{LAYER_RNG}{layer}"), std::array::from_fn(|i| words[i] as u64))
                }))
                .collect(),
            history: self.history.clone(),
        }
    }

    /// Restores a run from a checkpoint: model, optimizer, scheduler, callbacks, tracked
    /// generators and history. The next [`Trainer::fit`] continues at the checkpoint's epoch
    /// and, given the same data and settings, ends with the same bits as an uninterrupted run.
    ///
    /// All or nothing: the parts that can be checked without loading (which parts exist, the
    /// generators' names, the model's keys and shapes) are checked first; the others
    /// (optimizer, scheduler, callbacks) can only tell by loading, so the trainer's state is
    /// snapshotted first and put back if one of them refuses. After an error, model,
    /// optimizer, scheduler, callbacks, generators and history are exactly as they were.
    pub fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), TrainError> {
        self.check_parts(checkpoint)?;
        let before = self.to_checkpoint();
        if let Err(e) = self.apply(checkpoint) {
            self.apply(&before).expect("a trainer's own state loads back into it");
            return Err(e);
        }
        Ok(())
    }

    /// What can be checked without changing anything.
    fn check_parts(&self, checkpoint: &Checkpoint) -> Result<(), TrainError> {
        let bad = |reason: String| Err(TrainError::format("checkpoint", reason));
        match (&self.scheduler, &checkpoint.scheduler) {
            (Some(_), None) => return bad("it has no scheduler state, but the trainer has a scheduler".into()),
            (None, Some(_)) => return bad("it has scheduler state, but the trainer has no scheduler".into()),
            _ => {}
        }
        if checkpoint.callbacks.len() != self.callbacks.len() {
            return bad(format!(
                "it holds {} callback states, the trainer has {} callbacks",
                checkpoint.callbacks.len(),
                self.callbacks.len()
            ));
        }
        if let Some((name, _)) = self.rngs.iter().find(|(name, _)| !checkpoint.rngs.iter().any(|(n, _)| n == name)) {
            return bad(format!("no state for the generator `{name}`"));
        }
        self.model.check_state_dict(&checkpoint.model)?;
        Ok(())
    }

    fn apply(&mut self, checkpoint: &Checkpoint) -> Result<(), TrainError> {
        self.model.load_state_dict(&checkpoint.model)?;
        self.optimizer.load_state_dict(&checkpoint.optimizer)?;
        if let (Some(s), Some(dict)) = (&mut self.scheduler, &checkpoint.scheduler) {
            s.load_state_dict(dict)?;
        }
        for (c, dict) in self.callbacks.iter_mut().zip(&checkpoint.callbacks) {
            c.load_state_dict(dict)?;
        }
        for (name, rng) in &self.rngs {
            let (_, state) = checkpoint.rngs.iter().find(|(n, _)| n == name).expect("checked by check_parts");
            *rng.lock().expect("rng lock") = Rng::from_state(*state);
        }
        // The layers' own generators (dropout masks), so a resumed run draws the same masks.
        let mut layer_rngs = StateDict::new();
        for (name, state) in &checkpoint.rngs {
            if let Some(layer) = name.strip_prefix(LAYER_RNG) {
                layer_rngs.insert(layer, Tensor::from_vec(state.map(|w| w as i64).to_vec(), [4]));
            }
        }
        self.model.set_rng_states(&layer_rngs);
        self.history = checkpoint.history.clone();
        self.epochs_done = checkpoint.epochs_done;
        self.stopped = false;
        Ok(())
    }

    /// Loads the checkpoint at `path` ([`Checkpoint::load`]: its checksum is verified) and
    /// restores the run from it ([`Trainer::restore`]); on any error the trainer is unchanged
    /// and the error names the file.
    pub fn resume(&mut self, path: impl AsRef<Path>) -> Result<(), TrainError> {
        let path = path.as_ref();
        let checkpoint = Checkpoint::load(path)?;
        self.restore(&checkpoint).map_err(|e| TrainError::in_file(path, e))
    }

    /// Trains until `epochs` epochs are done in total (counting epochs restored from a
    /// checkpoint) or a callback stops training. Returns the history of every epoch.
    ///
    /// The batches' inputs `X` may be anything that reaches the model's input `I` through
    /// [`ModelInput`]: features for a `Sequential`, token ids for a language model.
    ///
    /// Errors only come from writing checkpoints.
    pub fn fit<X: ModelInput<I>>(
        &mut self,
        train: &dyn BatchSource<Y, X>,
        validation: Option<&dyn BatchSource<Y, X>>,
        epochs: usize,
    ) -> Result<&History, TrainError> {
        let mut reporter = Reporter::new(self.progress, self.epochs_done, epochs);
        let mut train_metrics: Vec<Box<dyn Metric<Y>>> =
            if self.train_metrics { self.metrics.iter().map(|m| m.clone_box()).collect() } else { Vec::new() };
        let mut val_metrics: Vec<Box<dyn Metric<Y>>> = self.metrics.iter().map(|m| m.clone_box()).collect();
        let model = self.model;
        for c in &mut self.callbacks {
            c.on_train_begin(&make_context(model, &self.history, self.epochs_done, epochs));
        }
        self.stopped = false;
        while self.epochs_done < epochs && !self.stopped {
            let epoch = self.epochs_done;
            let lr = self.optimizer.learning_rate();

            reporter.start_pass("train", train.num_batches());
            let mut stop_requested = false;
            let stats = {
                let (callbacks, scheduler, optimizer, history) =
                    (&mut self.callbacks, &mut self.scheduler, &mut *self.optimizer, &self.history);
                let reporter = &reporter;
                let mut on_batch = |info: &crate::engine::BatchInfo| {
                    reporter.batch(info);
                    let ctx = make_context(model, history, epoch, epochs);
                    let mut control = Control::Continue;
                    for c in callbacks.iter_mut() {
                        if c.on_batch_end(&ctx, info) == Control::Stop {
                            control = Control::Stop;
                        }
                    }
                    if control == Control::Stop {
                        stop_requested = true;
                    }
                    control
                };
                let loss_fn = &self.loss_fn;
                let batches = train.epoch_batches(epoch as u64);
                match scheduler {
                    Some(s) => {
                        // Per-batch schedules step after each update.
                        let mut stepping = SteppingOptimizer { inner: optimizer, scheduler: s.as_mut() };
                        train_epoch_with(model, batches, &**loss_fn, &mut stepping, &mut train_metrics, &mut on_batch)
                    }
                    None => train_epoch_with(model, batches, &**loss_fn, optimizer, &mut train_metrics, &mut on_batch),
                }
            };
            reporter.end_pass();

            let mut log = EpochLog::new(epoch);
            push_stats(&mut log, "", &stats);
            if let Some(val) = validation {
                reporter.start_pass("val", val.num_batches());
                let reporter_ref = &reporter;
                let val_stats = evaluate_with(
                    model,
                    val.epoch_batches(epoch as u64),
                    &*self.loss_fn,
                    &mut val_metrics,
                    &mut |info| {
                        reporter_ref.batch(info);
                        Control::Continue
                    },
                );
                reporter.end_pass();
                push_stats(&mut log, "val_", &val_stats);
            }
            log.set("lr", lr);
            log.set("seconds", stats.seconds);

            let ctx = make_context(model, &self.history, epoch, epochs);
            for c in &mut self.callbacks {
                if c.on_epoch_end(&ctx, &mut log) == Control::Stop {
                    self.stopped = true;
                }
            }
            self.stopped |= stop_requested;
            self.history.push(&log);
            if let Some(s) = &mut self.scheduler {
                s.step_epoch(&mut *self.optimizer, &log);
            }
            self.epochs_done += 1;
            reporter.epoch(&log, epochs);

            if let Some((path, every)) = &self.checkpoint {
                if self.epochs_done.is_multiple_of(*every) || self.epochs_done == epochs || self.stopped {
                    self.to_checkpoint().save(path)?;
                }
            }
        }
        let ctx = make_context(model, &self.history, self.epochs_done, epochs);
        for c in &mut self.callbacks {
            c.on_train_end(&ctx);
        }
        reporter.finish();
        Ok(&self.history)
    }
}

fn make_context<'c>(model: &'c dyn Module, history: &'c History, epoch: usize, epochs: usize) -> Context<'c> {
    Context { model, history, epoch, epochs }
}

fn push_stats(log: &mut EpochLog, prefix: &str, stats: &EpochStats) {
    log.set(format!("{prefix}loss"), stats.loss);
    for (name, value) in &stats.metrics {
        log.set(format!("{prefix}{name}"), *value);
    }
}

/// An optimizer that steps a per-batch scheduler after each of its own steps.
struct SteppingOptimizer<'o> {
    inner: &'o mut dyn Optimizer,
    scheduler: &'o mut dyn EpochScheduler,
}

impl Optimizer for SteppingOptimizer<'_> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn step(&mut self) {
        self.inner.step();
        self.scheduler.step_batch(self.inner);
    }
    fn zero_grad(&self) {
        self.inner.zero_grad()
    }
    fn num_groups(&self) -> usize {
        self.inner.num_groups()
    }
    fn group_lr(&self, group: usize) -> f64 {
        self.inner.group_lr(group)
    }
    fn set_group_lr(&mut self, group: usize, lr: f64) {
        self.inner.set_group_lr(group, lr)
    }
    fn group_momentum(&self, group: usize) -> Option<f64> {
        self.inner.group_momentum(group)
    }
    fn set_group_momentum(&mut self, group: usize, momentum: f64) {
        self.inner.set_group_momentum(group, momentum)
    }
    fn state_dict(&self) -> kindling_tensor::safetensors::StateDict {
        self.inner.state_dict()
    }
    fn load_state_dict(
        &mut self,
        dict: &kindling_tensor::safetensors::StateDict,
    ) -> Result<(), kindling_optim::OptimError> {
        self.inner.load_state_dict(dict)
    }
}
