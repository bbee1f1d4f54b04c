//! What varies between training runs, hooked into [`crate::Trainer::fit`]: callbacks
//! ([`Callback`], [`EarlyStopping`], [`on_epoch_end`]) and learning-rate schedulers
//! ([`EpochScheduler`], [`OnPlateau`], [`PerBatch`]).
//!
//! At the end of each epoch `fit` fills an [`EpochLog`], hands it to every callback in
//! order (a callback may add values to it or ask to stop), appends it to the history, steps
//! the scheduler, then writes the checkpoint.

use crate::engine::{BatchInfo, Control};
use crate::history::{EpochLog, History};
use crate::TrainError;
use kindling_nn::Module;
use kindling_optim::schedule::{LrSchedule, ReduceLrOnPlateau, Scheduler};
use kindling_optim::{OptimError, Optimizer};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// What a callback sees of the run.
pub struct Context<'c> {
    /// The model being trained, as a [`Module`]: callbacks read and restore its weights and
    /// never run it, so one callback serves models of every input type.
    pub model: &'c dyn Module,
    /// The epochs finished before this one.
    pub history: &'c History,
    /// The current epoch, counted from 0.
    pub epoch: usize,
    /// The epoch at which training will end (exclusive).
    pub epochs: usize,
}

/// A hook into [`crate::Trainer::fit`]. Every method has a default that does nothing.
pub trait Callback {
    /// Before the first epoch (of this call to `fit`).
    fn on_train_begin(&mut self, _ctx: &Context) {}
    /// After every training batch; [`Control::Stop`] ends training after this batch.
    fn on_batch_end(&mut self, _ctx: &Context, _batch: &BatchInfo) -> Control {
        Control::Continue
    }
    /// After every epoch, validation included; may add values to `log`.
    /// [`Control::Stop`] ends training after this epoch.
    fn on_epoch_end(&mut self, _ctx: &Context, _log: &mut EpochLog) -> Control {
        Control::Continue
    }
    /// After the last epoch (also when a callback stopped training).
    fn on_train_end(&mut self, _ctx: &Context) {}
    /// The callback's state, saved in checkpoints so a resumed run continues exactly.
    fn state_dict(&self) -> StateDict {
        StateDict::new()
    }
    /// Restores [`Callback::state_dict`].
    fn load_state_dict(&mut self, _dict: &StateDict) -> Result<(), TrainError> {
        Ok(())
    }
}

/// A callback made of a closure run at the end of every epoch.
pub struct OnEpochEnd<F>(pub F);

impl<F: FnMut(&Context, &mut EpochLog) -> Control> Callback for OnEpochEnd<F> {
    fn on_epoch_end(&mut self, ctx: &Context, log: &mut EpochLog) -> Control {
        (self.0)(ctx, log)
    }
}

/// Wraps a closure as an end-of-epoch callback:
/// `trainer.callback(on_epoch_end(|_, log| { println!("{}", log.summary()); Control::Continue }))`.
pub fn on_epoch_end<F: FnMut(&Context, &mut EpochLog) -> Control>(f: F) -> OnEpochEnd<F> {
    OnEpochEnd(f)
}

/// Whether the monitored value should go down or up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Smaller is better (losses, errors).
    Min,
    /// Larger is better (accuracy, F1, R²).
    Max,
    /// `Min` for names containing `loss` or `error` or ending in `mse`/`mae`, else `Max`.
    Auto,
}

impl Mode {
    fn resolve(self, monitor: &str) -> Mode {
        match self {
            Mode::Auto => {
                let m = monitor.to_ascii_lowercase();
                if m.contains("loss") || m.contains("error") || m.ends_with("mse") || m.ends_with("mae") {
                    Mode::Min
                } else {
                    Mode::Max
                }
            }
            other => other,
        }
    }
}

/// Stops training when a monitored value has not improved for `patience` epochs, and
/// (optionally) puts back the weights of the best epoch when training ends.
///
/// An epoch improves when its value beats the best so far by more than `min_delta`
/// (`value < best − min_delta` in `Min` mode, `value > best + min_delta` in `Max` mode).
/// After `patience` epochs in a row without improvement, training stops. The best weights are
/// a copy of the model's state dict kept in memory.
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    monitor: String,
    patience: usize,
    min_delta: f64,
    mode: Mode,
    restore_best: bool,
    best: Option<f64>,
    best_epoch: Option<usize>,
    wait: usize,
    stopped_epoch: Option<usize>,
    best_weights: Option<StateDict>,
}

impl EarlyStopping {
    /// Watches `monitor` (`"val_loss"`, `"val_accuracy"`, ...) with the given patience,
    /// `min_delta = 0`, [`Mode::Auto`] and best-weights restore on.
    pub fn new(monitor: &str, patience: usize) -> Self {
        EarlyStopping {
            monitor: monitor.to_string(),
            patience,
            min_delta: 0.0,
            mode: Mode::Auto,
            restore_best: true,
            best: None,
            best_epoch: None,
            wait: 0,
            stopped_epoch: None,
            best_weights: None,
        }
    }

    /// The smallest change that counts as an improvement.
    pub fn min_delta(mut self, delta: f64) -> Self {
        assert!(delta >= 0.0, "EarlyStopping: min_delta must be >= 0, got {delta}");
        self.min_delta = delta;
        self
    }

    /// Whether smaller or larger values are better.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether to load the best epoch's weights back when training ends (default `true`).
    pub fn restore_best_weights(mut self, on: bool) -> Self {
        self.restore_best = on;
        self
    }

    /// The best value seen.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// The epoch (from 0) of the best value.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// The epoch (from 0) after which training was stopped, if it was.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// Epochs since the last improvement.
    pub fn wait(&self) -> usize {
        self.wait
    }

    fn improves(&self, value: f64) -> bool {
        match self.best {
            None => !value.is_nan(),
            Some(best) => match self.mode.resolve(&self.monitor) {
                Mode::Max => value > best + self.min_delta,
                _ => value < best - self.min_delta,
            },
        }
    }

    /// Records one epoch's value; returns [`Control::Stop`] when patience has run out.
    /// `snapshot` is called for the model's state dict when the value improves.
    pub fn observe(&mut self, epoch: usize, value: f64, snapshot: impl FnOnce() -> StateDict) -> Control {
        if self.improves(value) {
            self.best = Some(value);
            self.best_epoch = Some(epoch);
            self.wait = 0;
            if self.restore_best {
                self.best_weights = Some(snapshot());
            }
            Control::Continue
        } else {
            self.wait += 1;
            if self.wait >= self.patience {
                self.stopped_epoch = Some(epoch);
                Control::Stop
            } else {
                Control::Continue
            }
        }
    }
}

/// A deep copy of the model's state dict, so later in-place updates cannot reach it.
pub(crate) fn snapshot(model: &dyn Module) -> StateDict {
    let mut copy = StateDict::new();
    for (name, t) in model.state_dict().iter() {
        use kindling_tensor::safetensors::AnyTensor;
        let deep = match t {
            AnyTensor::F32(t) => AnyTensor::F32(t.deep_clone()),
            AnyTensor::F64(t) => AnyTensor::F64(t.deep_clone()),
            AnyTensor::I64(t) => AnyTensor::I64(t.deep_clone()),
            AnyTensor::I32(t) => AnyTensor::I32(t.deep_clone()),
            AnyTensor::U8(t) => AnyTensor::U8(t.deep_clone()),
            AnyTensor::Bool(t) => AnyTensor::Bool(t.deep_clone()),
        };
        copy.insert(name, deep);
    }
    for (k, v) in model.state_dict().metadata() {
        copy.set_metadata(k.clone(), v.clone());
    }
    copy
}

impl Callback for EarlyStopping {
    fn on_epoch_end(&mut self, ctx: &Context, log: &mut EpochLog) -> Control {
        let Some(value) = log.get(&self.monitor) else {
            let known: Vec<&str> = log.values().iter().map(|(n, _)| n.as_str()).collect();
            panic!(
                "EarlyStopping: the log has no `{}` (it has {known:?}); is there a validation loader?",
                self.monitor
            );
        };
        self.observe(ctx.epoch, value, || snapshot(ctx.model))
    }

    fn on_train_end(&mut self, ctx: &Context) {
        if let Some(best) = self.best_weights.as_ref().filter(|_| self.restore_best) {
            ctx.model.load_state_dict(best).expect("EarlyStopping: the best weights fit the model they came from");
        }
    }

    fn state_dict(&self) -> StateDict {
        let mut dict = StateDict::new();
        dict.insert("best", Tensor::scalar(self.best.unwrap_or(f64::NAN)));
        dict.insert("best_epoch", Tensor::scalar(self.best_epoch.map_or(-1, |e| e as i64)));
        dict.insert("wait", Tensor::scalar(self.wait as i64));
        if let Some(weights) = &self.best_weights {
            for (name, t) in weights.iter() {
                dict.insert(format!("best_weights.{name}"), t.clone());
            }
        }
        dict
    }

    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), TrainError> {
        let read = |key: &str| -> Result<f64, TrainError> {
            let bad = |reason: &str| TrainError::format("EarlyStopping state", format!("`{key}` {reason}"));
            let t = dict.get(key).ok_or_else(|| bad("is missing"))?;
            match t.cast::<f64>().to_vec()[..] {
                [v] => Ok(v),
                _ => Err(bad("must be a single number")),
            }
        };
        let (best, best_epoch, wait) = (read("best")?, read("best_epoch")?, read("wait")?);
        if !(wait >= 0.0 && best_epoch.fract() == 0.0 && wait.fract() == 0.0) {
            return Err(TrainError::format("EarlyStopping state", "`wait` and `best_epoch` must be whole counts"));
        }
        self.wait = wait as usize;
        self.best = (!best.is_nan()).then_some(best);
        self.best_epoch = (best_epoch >= 0.0).then_some(best_epoch as usize);
        let weights = dict.sub("best_weights");
        self.best_weights = (!weights.is_empty()).then_some(weights);
        Ok(())
    }
}

/// A learning-rate scheduler driven by [`crate::Trainer::fit`]: stepped once per epoch
/// (after the callbacks, with the epoch's log) and, for per-batch schedules, after every
/// batch.
pub trait EpochScheduler {
    /// After every epoch.
    fn step_epoch(&mut self, optimizer: &mut dyn Optimizer, log: &EpochLog);
    /// After every training batch (nothing by default).
    fn step_batch(&mut self, _optimizer: &mut dyn Optimizer) {}
    /// The scheduler's state, for checkpoints.
    fn state_dict(&self) -> StateDict;
    /// Restores [`EpochScheduler::state_dict`].
    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError>;
}

/// A closed-form schedule stepped once per epoch.
impl<S: LrSchedule> EpochScheduler for Scheduler<S> {
    fn step_epoch(&mut self, optimizer: &mut dyn Optimizer, _log: &EpochLog) {
        self.step(optimizer);
    }
    fn state_dict(&self) -> StateDict {
        Scheduler::state_dict(self)
    }
    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError> {
        Scheduler::load_state_dict(self, dict)
    }
}

/// A closed-form schedule stepped after every batch (one-cycle, warmup counted in steps).
pub struct PerBatch<S: LrSchedule>(pub Scheduler<S>);

impl<S: LrSchedule> EpochScheduler for PerBatch<S> {
    fn step_epoch(&mut self, _optimizer: &mut dyn Optimizer, _log: &EpochLog) {}
    fn step_batch(&mut self, optimizer: &mut dyn Optimizer) {
        self.0.step(optimizer);
    }
    fn state_dict(&self) -> StateDict {
        self.0.state_dict()
    }
    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError> {
        self.0.load_state_dict(dict)
    }
}

/// [`ReduceLrOnPlateau`] fed the monitored value of each epoch's log (`"val_loss"`).
pub struct OnPlateau {
    /// The plateau logic and its settings.
    pub scheduler: ReduceLrOnPlateau,
    /// The log value it watches (`"val_loss"`).
    pub monitor: String,
}

impl OnPlateau {
    /// Steps `scheduler` with the value of `monitor` after every epoch.
    pub fn new(scheduler: ReduceLrOnPlateau, monitor: &str) -> Self {
        OnPlateau { scheduler, monitor: monitor.to_string() }
    }
}

impl EpochScheduler for OnPlateau {
    fn step_epoch(&mut self, optimizer: &mut dyn Optimizer, log: &EpochLog) {
        let value =
            log.get(&self.monitor).unwrap_or_else(|| panic!("OnPlateau: the epoch log has no `{}`", self.monitor));
        self.scheduler.step(optimizer, value);
    }
    fn state_dict(&self) -> StateDict {
        self.scheduler.state_dict()
    }
    fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError> {
        self.scheduler.load_state_dict(dict)
    }
}
