//! Learning-rate schedules.
//!
//! A schedule is a plain config struct (public fields, PyTorch's names and defaults) that says,
//! in closed form, what the learning rate is after `t` calls to `step`, given a group's base
//! rate. [`Scheduler`] applies one to an optimizer: it remembers each group's base rate (the
//! rate the optimizer had when the scheduler was made) and the step count, which is all the
//! state there is, so a schedule resumes exactly from [`Scheduler::state_dict`].
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_optim::schedule::{CosineAnnealingLr, Scheduler};
//! use kindling_optim::{Optimizer, Sgd, SgdConfig};
//! use kindling_tensor::Tensor;
//!
//! let w = Variable::param(Tensor::from([1.0f32, 2.0]));
//! let mut opt = Sgd::new([w], SgdConfig { lr: 0.1, ..Default::default() });
//! let mut sched = Scheduler::new(&mut opt, CosineAnnealingLr { t_max: 10, eta_min: 1e-6 });
//! for _epoch in 0..5 {
//!     // ... train one epoch: zero_grad, backward, opt.step() ...
//!     sched.step(&mut opt);
//! }
//! assert!((opt.learning_rate() - 0.0500005).abs() < 1e-9); // halfway down the cosine
//! ```
//!
//! PyTorch's schedulers are mostly written recursively (each step multiplies the current rate);
//! the closed forms here give the same rates up to rounding, but never drift with the number
//! of steps and ignore changes made to the rate by hand between steps. The plateau schedule,
//! which depends on the metrics seen, is [`ReduceLrOnPlateau`]. The language-model schedule,
//! a linear warm-up then a cosine that stays at its floor, is [`WarmupCosineLr`].

use std::f64::consts::PI;
use std::fmt::Debug;

use kindling_tensor::Tensor;

use crate::state::{finish, read_scalar, read_vector, OptimError, StateDict};
use crate::Optimizer;

mod plateau;
mod warmup_cosine;
pub use plateau::{PlateauConfig, PlateauMode, ReduceLrOnPlateau, ThresholdMode};
pub use warmup_cosine::WarmupCosineLr;

/// A learning rate as a function of the step count.
pub trait LrSchedule: Debug + Send + Sync {
    /// The schedule's name, for messages.
    fn name(&self) -> &'static str;
    /// `Err` with a message naming the bad value.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
    /// The learning rate after `step` calls to [`Scheduler::step`], for a group whose base
    /// rate is `base_lr`.
    fn lr(&self, base_lr: f64, step: usize) -> f64;
    /// The momentum (or β1) to set after `step` steps, for schedules that cycle it.
    fn momentum(&self, _step: usize) -> Option<f64> {
        None
    }
}

/// A boxed schedule is a schedule, so one can be chosen at run time
/// (`Scheduler<Box<dyn LrSchedule>>`).
impl<S: LrSchedule + ?Sized> LrSchedule for Box<S> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn check(&self) -> Result<(), String> {
        (**self).check()
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        (**self).lr(base_lr, step)
    }
    fn momentum(&self, step: usize) -> Option<f64> {
        (**self).momentum(step)
    }
}

/// Applies a schedule to an optimizer's groups, one [`Scheduler::step`] per epoch (or per
/// batch, as the schedule intends).
///
/// To resume: build the optimizer and the scheduler as at the start, then load both state
/// dicts (the optimizer's holds the current rates, the scheduler's the base rates and the step).
#[derive(Clone, Debug)]
pub struct Scheduler<S: LrSchedule> {
    schedule: S,
    base_lrs: Vec<f64>,
    steps: usize,
}

impl<S: LrSchedule> Scheduler<S> {
    /// Records each group's current rate as its base rate and sets the rate for step 0
    /// (one-cycle and warmup start below the base). Panics on an invalid schedule.
    pub fn new<O: Optimizer + ?Sized>(optimizer: &mut O, schedule: S) -> Self {
        if let Err(msg) = schedule.check() {
            panic!("{}: {msg}", schedule.name());
        }
        if schedule.momentum(0).is_some() {
            if let Some(g) = (0..optimizer.num_groups()).find(|&g| optimizer.group_momentum(g).is_none()) {
                panic!(
                    "{}: cycling momentum needs momentum or beta1, and {} has none (group {g}); turn cycle_momentum off",
                    schedule.name(),
                    optimizer.name()
                );
            }
        }
        let base_lrs = (0..optimizer.num_groups()).map(|g| optimizer.group_lr(g)).collect();
        let scheduler = Scheduler { schedule, base_lrs, steps: 0 };
        scheduler.apply(optimizer);
        scheduler
    }

    /// Advances one step and sets every group's rate (and momentum, if the schedule cycles it).
    pub fn step<O: Optimizer + ?Sized>(&mut self, optimizer: &mut O) {
        self.steps += 1;
        self.apply(optimizer);
    }

    fn apply<O: Optimizer + ?Sized>(&self, optimizer: &mut O) {
        if optimizer.num_groups() != self.base_lrs.len() {
            panic!(
                "{}: the optimizer has {} parameter groups, the scheduler was made for {}",
                self.schedule.name(),
                optimizer.num_groups(),
                self.base_lrs.len()
            );
        }
        for (g, &base) in self.base_lrs.iter().enumerate() {
            optimizer.set_group_lr(g, self.schedule.lr(base, self.steps));
            if let Some(m) = self.schedule.momentum(self.steps) {
                optimizer.set_group_momentum(g, m);
            }
        }
    }

    /// The rates of the current step, group by group.
    pub fn last_lrs(&self) -> Vec<f64> {
        self.base_lrs.iter().map(|&b| self.schedule.lr(b, self.steps)).collect()
    }

    /// How many times [`Scheduler::step`] has run (PyTorch's `last_epoch`).
    pub fn steps(&self) -> usize {
        self.steps
    }

    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    pub fn schedule(&self) -> &S {
        &self.schedule
    }

    /// `last_epoch` (i64 scalar) and `base_lrs` (f64, one per group).
    pub fn state_dict(&self) -> StateDict {
        let mut dict = StateDict::new();
        dict.insert("last_epoch", Tensor::scalar(self.steps as i64));
        dict.insert("base_lrs", Tensor::from_vec(self.base_lrs.clone(), [self.base_lrs.len()]));
        dict
    }

    /// Restores the step count and base rates; leaves the optimizer alone (its own state dict
    /// holds its rates).
    pub fn load_state_dict(&mut self, dict: &StateDict) -> Result<(), OptimError> {
        let mut problems = Vec::new();
        let steps = read_scalar(dict, "last_epoch", &mut problems);
        if steps.is_some_and(|s| s < 0.0) {
            problems.push(format!("last_epoch: must be >= 0, got {}", steps.unwrap_or_default()));
        }
        let base_lrs = read_vector(dict, "base_lrs", self.base_lrs.len(), &mut problems);
        finish(self.schedule.name(), problems)?;
        self.steps = steps.expect("checked") as usize;
        self.base_lrs = base_lrs.expect("checked");
        Ok(())
    }
}

/// Multiplies the rate by `gamma` every `step_size` steps: η_t = η₀·γ^⌊t / step_size⌋
/// (`torch.optim.lr_scheduler.StepLR`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLr {
    pub step_size: usize,
    pub gamma: f64,
}

impl LrSchedule for StepLr {
    fn name(&self) -> &'static str {
        "StepLr"
    }
    fn check(&self) -> Result<(), String> {
        if self.step_size == 0 {
            return Err("step_size must be at least 1".into());
        }
        Ok(())
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        base_lr * self.gamma.powi((step / self.step_size) as i32)
    }
}

/// Multiplies the rate by `gamma` at each milestone: η_t = η₀·γ^(number of milestones ≤ t)
/// (`MultiStepLR`). A milestone listed twice counts twice, as in PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiStepLr {
    pub milestones: Vec<usize>,
    pub gamma: f64,
}

impl LrSchedule for MultiStepLr {
    fn name(&self) -> &'static str {
        "MultiStepLr"
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let passed = self.milestones.iter().filter(|&&m| m <= step).count();
        base_lr * self.gamma.powi(passed as i32)
    }
}

/// η_t = η₀·γ^t (`ExponentialLR`). The course's η₀·e^(−kt) is the same with γ = e^(−k).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialLr {
    pub gamma: f64,
}

impl LrSchedule for ExponentialLr {
    fn name(&self) -> &'static str {
        "ExponentialLr"
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        base_lr * self.gamma.powi(step as i32)
    }
}

/// Half a cosine from the base rate down to `eta_min` over `t_max` steps (`CosineAnnealingLR`):
///
/// ```text
/// η_t = η_min + ½(η₀ − η_min)(1 + cos(π·t / T_max))
/// ```
///
/// Slow at first, fast in the middle, slow again near the end. Stepped past `t_max` the
/// cosine goes back up (period 2·T_max), as PyTorch's does; for restarts use
/// [`CosineWarmRestarts`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineAnnealingLr {
    pub t_max: usize,
    pub eta_min: f64,
}

impl LrSchedule for CosineAnnealingLr {
    fn name(&self) -> &'static str {
        "CosineAnnealingLr"
    }
    fn check(&self) -> Result<(), String> {
        if self.t_max == 0 {
            return Err("t_max must be at least 1".into());
        }
        Ok(())
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        cosine(base_lr, self.eta_min, step as f64 / self.t_max as f64)
    }
}

/// η_min + ½(η₀ − η_min)(1 + cos(π·fraction)).
fn cosine(base_lr: f64, eta_min: f64, fraction: f64) -> f64 {
    eta_min + (base_lr - eta_min) * (1.0 + (PI * fraction).cos()) / 2.0
}

/// Cosine annealing that restarts at the base rate (SGDR, `CosineAnnealingWarmRestarts`):
/// the first cycle lasts `t_0` steps, each next one `t_mult` times longer.
///
/// ```text
/// η_t = η_min + ½(η₀ − η_min)(1 + cos(π·T_cur / T_i))
/// ```
///
/// with T_i the current cycle's length and T_cur the steps since it started.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineWarmRestarts {
    pub t_0: usize,
    pub t_mult: usize,
    pub eta_min: f64,
}

impl CosineWarmRestarts {
    /// Cycles of `t_0` steps each, down to 0.
    pub fn new(t_0: usize) -> Self {
        CosineWarmRestarts { t_0, t_mult: 1, eta_min: 0.0 }
    }
}

impl LrSchedule for CosineWarmRestarts {
    fn name(&self) -> &'static str {
        "CosineWarmRestarts"
    }
    fn check(&self) -> Result<(), String> {
        if self.t_0 == 0 {
            return Err("t_0 must be at least 1".into());
        }
        if self.t_mult == 0 {
            return Err("t_mult must be at least 1".into());
        }
        Ok(())
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let (mut t_cur, mut t_i) = (step, self.t_0);
        while t_cur >= t_i {
            t_cur -= t_i;
            t_i *= self.t_mult;
        }
        cosine(base_lr, self.eta_min, t_cur as f64 / t_i as f64)
    }
}

/// A linear ramp of the rate's factor from `start_factor` to `end_factor` over `total_steps`
/// steps, then flat (`LinearLR`): the usual warmup.
///
/// ```text
/// η_t = η₀·(s + (e − s)·min(t, N)/N)
/// ```
///
/// Defaults (PyTorch's): start 1/3, end 1, 5 steps. Warmup keeps Adam-like optimizers from
/// taking large steps while their second-moment estimates are still noisy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearLr {
    pub start_factor: f64,
    pub end_factor: f64,
    pub total_steps: usize,
}

impl Default for LinearLr {
    fn default() -> Self {
        LinearLr { start_factor: 1.0 / 3.0, end_factor: 1.0, total_steps: 5 }
    }
}

impl LinearLr {
    /// A warmup from `start_factor`·η₀ up to η₀ in `total_steps` steps.
    pub fn warmup(start_factor: f64, total_steps: usize) -> Self {
        LinearLr { start_factor, end_factor: 1.0, total_steps }
    }
}

impl LrSchedule for LinearLr {
    fn name(&self) -> &'static str {
        "LinearLr"
    }
    fn check(&self) -> Result<(), String> {
        if !(self.start_factor > 0.0 && self.start_factor <= 1.0) {
            return Err(format!("start_factor must be in (0, 1], got {}", self.start_factor));
        }
        if !(0.0..=1.0).contains(&self.end_factor) {
            return Err(format!("end_factor must be in [0, 1], got {}", self.end_factor));
        }
        if self.total_steps == 0 {
            return Err("total_steps must be at least 1".into());
        }
        Ok(())
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let progress = step.min(self.total_steps) as f64 / self.total_steps as f64;
        base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)
    }
}

/// How one-cycle moves between two values within a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anneal {
    /// Half a cosine (PyTorch's default).
    Cos,
    Linear,
}

impl Anneal {
    fn between(self, start: f64, end: f64, fraction: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * fraction).cos() + 1.0),
            Anneal::Linear => (end - start) * fraction + start,
        }
    }
}

/// The one-cycle policy (Smith & Topin, `OneCycleLR`): warm up from η_max/`div_factor` to
/// η_max over the first `pct_start` of `total_steps`, then anneal down to
/// η_max/(`div_factor`·`final_div_factor`). The peak η_max is each group's base rate (PyTorch
/// passes it as `max_lr`). Momentum (or β1) moves the opposite way, from `max_momentum` to
/// `base_momentum` and back, when `cycle_momentum` is on. Step it once per batch.
///
/// Defaults (PyTorch's): pct_start 0.3, cosine, div_factor 25, final_div_factor 1e4, two
/// phases, momentum cycled between 0.85 and 0.95.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneCycleLr {
    pub total_steps: usize,
    pub pct_start: f64,
    pub anneal: Anneal,
    pub div_factor: f64,
    pub final_div_factor: f64,
    /// Adds a third phase: warm up, come back down to the start, then anneal to the minimum.
    pub three_phase: bool,
    pub cycle_momentum: bool,
    pub base_momentum: f64,
    pub max_momentum: f64,
}

impl OneCycleLr {
    /// PyTorch's defaults for a run of `total_steps` steps.
    pub fn new(total_steps: usize) -> Self {
        OneCycleLr {
            total_steps,
            pct_start: 0.3,
            anneal: Anneal::Cos,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
        }
    }

    /// The last step of each phase (fractional, as in PyTorch).
    fn phase_ends(&self) -> Vec<f64> {
        let total = self.total_steps as f64;
        let warm_end = self.pct_start * total - 1.0;
        if self.three_phase {
            vec![warm_end, 2.0 * self.pct_start * total - 2.0, total - 1.0]
        } else {
            vec![warm_end, total - 1.0]
        }
    }

    /// The value at `step` of a quantity that goes through `points` (one more than phases).
    fn through(&self, points: &[f64], step: usize) -> f64 {
        if step > self.total_steps {
            panic!("OneCycleLr: stepped {step} times, past total_steps {}", self.total_steps);
        }
        let step = step as f64;
        let ends = self.phase_ends();
        let mut start = 0.0;
        for (i, &end) in ends.iter().enumerate() {
            if step <= end || i == ends.len() - 1 {
                return self.anneal.between(points[i], points[i + 1], (step - start) / (end - start));
            }
            start = end;
        }
        unreachable!("the last phase always answers")
    }
}

impl LrSchedule for OneCycleLr {
    fn name(&self) -> &'static str {
        "OneCycleLr"
    }
    fn check(&self) -> Result<(), String> {
        if self.total_steps == 0 {
            return Err("total_steps must be at least 1".into());
        }
        if !(self.pct_start > 0.0 && self.pct_start < 1.0) {
            return Err(format!("pct_start must be in (0, 1), got {}", self.pct_start));
        }
        if !(self.div_factor > 0.0 && self.final_div_factor > 0.0) {
            return Err(format!(
                "div_factor and final_div_factor must be > 0, got {} and {}",
                self.div_factor, self.final_div_factor
            ));
        }
        Ok(())
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let initial = base_lr / self.div_factor;
        let min = initial / self.final_div_factor;
        if self.three_phase {
            self.through(&[initial, base_lr, initial, min], step)
        } else {
            self.through(&[initial, base_lr, min], step)
        }
    }
    fn momentum(&self, step: usize) -> Option<f64> {
        let (lo, hi) = (self.base_momentum, self.max_momentum);
        self.cycle_momentum.then(|| {
            if self.three_phase {
                self.through(&[hi, lo, hi, hi], step)
            } else {
                self.through(&[hi, lo, hi], step)
            }
        })
    }
}

/// Runs schedules one after another (`SequentialLR`): `schedules[0]` until `milestones[0]`,
/// then `schedules[1]` restarted from its own step 0, and so on. Warmup then cosine:
///
/// ```
/// use kindling_optim::schedule::{CosineAnnealingLr, LinearLr, SequentialLr};
///
/// let warmup_then_cosine = SequentialLr::new(
///     vec![Box::new(LinearLr::warmup(0.1, 5)), Box::new(CosineAnnealingLr { t_max: 95, eta_min: 0.0 })],
///     vec![5],
/// );
/// # let _ = warmup_then_cosine;
/// ```
#[derive(Debug)]
pub struct SequentialLr {
    pub schedules: Vec<Box<dyn LrSchedule>>,
    pub milestones: Vec<usize>,
}

impl SequentialLr {
    pub fn new(schedules: Vec<Box<dyn LrSchedule>>, milestones: Vec<usize>) -> Self {
        SequentialLr { schedules, milestones }
    }
}

impl LrSchedule for SequentialLr {
    fn name(&self) -> &'static str {
        "SequentialLr"
    }
    fn check(&self) -> Result<(), String> {
        if self.schedules.is_empty() {
            return Err("needs at least one schedule".into());
        }
        if self.milestones.len() + 1 != self.schedules.len() {
            return Err(format!(
                "{} schedules need {} milestones, got {}",
                self.schedules.len(),
                self.schedules.len() - 1,
                self.milestones.len()
            ));
        }
        if self.milestones.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!("milestones must not decrease, got {:?}", self.milestones));
        }
        for s in &self.schedules {
            s.check().map_err(|msg| format!("{}: {msg}", s.name()))?;
        }
        Ok(())
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let (schedule, local) = self.current(step);
        schedule.lr(base_lr, local)
    }
    fn momentum(&self, step: usize) -> Option<f64> {
        let (schedule, local) = self.current(step);
        schedule.momentum(local)
    }
}

impl SequentialLr {
    /// The schedule in charge at `step` and the step counted from its start.
    fn current(&self, step: usize) -> (&dyn LrSchedule, usize) {
        let idx = self.milestones.iter().filter(|&&m| m <= step).count();
        let start = if idx == 0 { 0 } else { self.milestones[idx - 1] };
        (self.schedules[idx].as_ref(), step - start)
    }
}
