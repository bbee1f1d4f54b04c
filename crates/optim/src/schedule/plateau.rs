//! Cut the learning rate when a monitored metric stops improving.

use kindling_tensor::Tensor;

use crate::state::{finish, read_scalar, OptimError, StateDict};
use crate::Optimizer;

/// Whether smaller (a loss) or larger (an accuracy) is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlateauMode {
    Min,
    Max,
}

/// How much better a metric must be to count as an improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// By a fraction of the best so far: below best·(1 − threshold) in `Min` mode.
    Rel,
    /// By an amount: below best − threshold in `Min` mode.
    Abs,
}

/// The settings of [`ReduceLrOnPlateau`], with PyTorch's names and defaults: mode min,
/// factor 0.1, patience 10, threshold 1e-4 relative, cooldown 0, min_lr 0, eps 1e-8.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlateauConfig {
    pub mode: PlateauMode,
    /// The rate is multiplied by this when it is cut.
    pub factor: f64,
    /// How many epochs without improvement to tolerate: the rate is cut on the next one.
    pub patience: usize,
    pub threshold: f64,
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a cut before counting bad epochs again.
    pub cooldown: usize,
    /// The rate is never cut below this.
    pub min_lr: f64,
    /// Cuts smaller than this are skipped (they would change nothing).
    pub eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        PlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// `ReduceLROnPlateau`: after `patience` epochs in a row without improvement of the metric,
/// the next bad epoch multiplies every group's rate by `factor` (never below `min_lr`).
///
/// With patience 3 the cut happens on the 4th epoch without improvement, as in PyTorch. (Keras'
/// callback of the same name cuts on the 3rd: its counter is compared with `>=`.)
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_optim::schedule::{PlateauConfig, ReduceLrOnPlateau};
/// use kindling_optim::{Optimizer, Sgd, SgdConfig};
/// use kindling_tensor::Tensor;
///
/// let w = Variable::param(Tensor::from([1.0f32]));
/// let mut opt = Sgd::new([w], SgdConfig { lr: 0.1, ..Default::default() });
/// let mut plateau = ReduceLrOnPlateau::new(PlateauConfig { factor: 0.5, patience: 3, min_lr: 1e-6, ..Default::default() });
/// for val_loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9] {
///     plateau.step(&mut opt, val_loss);
/// }
/// assert_eq!(opt.learning_rate(), 0.05); // cut once, at the 4th epoch without improvement
/// ```
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    config: PlateauConfig,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    last_epoch: usize,
}

impl ReduceLrOnPlateau {
    /// Panics when `factor` is not below 1 or another setting is negative.
    pub fn new(config: PlateauConfig) -> Self {
        if config.factor.is_nan() || config.factor >= 1.0 {
            panic!("ReduceLrOnPlateau: factor must be < 1, got {}", config.factor);
        }
        for (name, value) in [("factor", config.factor), ("threshold", config.threshold), ("min_lr", config.min_lr)] {
            if value.is_nan() || value < 0.0 {
                panic!("ReduceLrOnPlateau: {name} must be >= 0, got {value}");
            }
        }
        let mut scheduler =
            ReduceLrOnPlateau { config, best: 0.0, num_bad_epochs: 0, cooldown_counter: 0, last_epoch: 0 };
        scheduler.reset();
        scheduler
    }

    /// Forgets the metrics seen (the settings stay).
    pub fn reset(&mut self) {
        self.best = match self.config.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        self.num_bad_epochs = 0;
        self.cooldown_counter = 0;
    }

    pub fn config(&self) -> &PlateauConfig {
        &self.config
    }

    /// The best metric so far.
    pub fn best(&self) -> f64 {
        self.best
    }

    /// Epochs since the last improvement (not counting cooldown).
    pub fn num_bad_epochs(&self) -> usize {
        self.num_bad_epochs
    }

    fn is_better(&self, metric: f64) -> bool {
        let (best, th) = (self.best, self.config.threshold);
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => metric < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => metric < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => metric > best * (th + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => metric > best + th,
        }
    }

    /// Reports one epoch's metric; cuts the rates when the plateau has lasted too long.
    /// Returns whether it cut. A NaN metric counts as no improvement.
    pub fn step<O: Optimizer + ?Sized>(&mut self, optimizer: &mut O, metric: f64) -> bool {
        self.last_epoch += 1;
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs <= self.config.patience {
            return false;
        }
        for g in 0..optimizer.num_groups() {
            let old = optimizer.group_lr(g);
            let new = (old * self.config.factor).max(self.config.min_lr);
            if old - new > self.config.eps {
                optimizer.set_group_lr(g, new);
            }
        }
        self.cooldown_counter = self.config.cooldown;
        self.num_bad_epochs = 0;
        true
    }

    /// `best` (f64), `num_bad_epochs`, `cooldown_counter` and `last_epoch` (i64 scalars).
    pub fn state_dict(&self) -> StateDict {
        let mut dict = StateDict::new();
        dict.insert("best", Tensor::scalar(self.best));
        dict.insert("num_bad_epochs", Tensor::scalar(self.num_bad_epochs as i64));
        dict.insert("cooldown_counter", Tensor::scalar(self.cooldown_counter as i64));
        dict.insert("last_epoch", Tensor::scalar(self.last_epoch as i64));
        dict
    }

    pub fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError> {
        let mut problems = Vec::new();
        let best = read_scalar(dict, "best", &mut problems);
        let mut counter = |key: &str| {
            let v = read_scalar(dict, key, &mut problems)?;
            if v < 0.0 {
                problems.push(format!("{key}: must be >= 0, got {v}"));
                return None;
            }
            Some(v as usize)
        };
        let bad = counter("num_bad_epochs");
        let cooldown = counter("cooldown_counter");
        let epoch = counter("last_epoch");
        finish("ReduceLrOnPlateau", problems)?;
        self.best = best.expect("checked");
        self.num_bad_epochs = bad.expect("checked");
        self.cooldown_counter = cooldown.expect("checked");
        self.last_epoch = epoch.expect("checked");
        Ok(())
    }
}
