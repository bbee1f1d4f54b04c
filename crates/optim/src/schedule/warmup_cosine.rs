//! The language-model schedule: a linear warm-up, then half a cosine down to a floor.

use super::{cosine, LrSchedule};

/// Linear warm-up for `warmup` steps, half a cosine from the base rate η₀ down to `min_lr`
/// until step `decay_steps`, then `min_lr` for good: the schedule GPT-style models are
/// trained with (nanoGPT's `get_lr`). With t the number of [`super::Scheduler::step`] calls so
/// far (the iteration about to be trained), W = `warmup`, D = `decay_steps`:
///
/// ```text
/// η_t = η₀ · (t + 1) / (W + 1)                                   t < W
/// η_t = η_min + ½(η₀ − η_min)(1 + cos(π · (t − W) / (D − W)))     W ≤ t ≤ D
/// η_t = η_min                                                     t > D
/// ```
///
/// The warm-up counts from t + 1, so the very first step already moves (η₀/(W + 1)) and the
/// ramp meets the cosine's top, η₀, at t = W. With `warmup` 0 the cosine starts at once.
/// Unlike a [`super::SequentialLr`] of [`super::LinearLr`] and
/// [`super::CosineAnnealingLr`], the rate stays at the floor after D instead of coming back up,
/// so a run may go on past `decay_steps`.
///
/// ```
/// use kindling_optim::schedule::{LrSchedule, WarmupCosineLr};
///
/// let schedule = WarmupCosineLr { warmup: 3, decay_steps: 13, min_lr: 1e-4 };
/// assert_eq!(schedule.lr(1e-3, 0), 1e-3 / 4.0); // (0 + 1) / (3 + 1) of the way up
/// assert!((schedule.lr(1e-3, 3) - 1e-3).abs() < 1e-15); // the top of the cosine
/// assert!((schedule.lr(1e-3, 8) - 5.5e-4).abs() < 1e-15); // halfway down: (η₀ + η_min) / 2
/// assert_eq!(schedule.lr(1e-3, 13), 1e-4);
/// assert_eq!(schedule.lr(1e-3, 1000), 1e-4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmupCosineLr {
    /// Steps of linear warm-up (nanoGPT's `warmup_iters`).
    pub warmup: usize,
    /// The step at which the cosine reaches `min_lr` (nanoGPT's `lr_decay_iters`); must be
    /// greater than `warmup`.
    pub decay_steps: usize,
    /// The floor, an absolute rate (nanoGPT's `min_lr`, usually η₀/10).
    pub min_lr: f64,
}

impl LrSchedule for WarmupCosineLr {
    fn name(&self) -> &'static str {
        "WarmupCosineLr"
    }
    fn check(&self) -> Result<(), String> {
        if self.decay_steps <= self.warmup {
            return Err(format!("decay_steps ({}) must be greater than warmup ({})", self.decay_steps, self.warmup));
        }
        if self.min_lr.is_nan() || self.min_lr < 0.0 {
            return Err(format!("min_lr must be >= 0, got {}", self.min_lr));
        }
        Ok(())
    }
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        if step < self.warmup {
            return base_lr * (step + 1) as f64 / (self.warmup + 1) as f64;
        }
        if step > self.decay_steps {
            return self.min_lr;
        }
        let fraction = (step - self.warmup) as f64 / (self.decay_steps - self.warmup) as f64;
        cosine(base_lr, self.min_lr, fraction)
    }
}
