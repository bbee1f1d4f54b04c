//! Chapter 9 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch09-training-well --features learner          # every exercise
//! cargo test -p ch09-training-well --features learner ex9_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

use kindling_autograd::Variable;

// ANCHOR: ex9_1
/// Exercise 9.1. The standard deviation of Kaiming normal weights (fan-in mode):
/// std = gain / √fan_in; and of Xavier normal weights: std = gain · √(2 / (fan_in +
/// fan_out)).
pub fn kaiming_std(fan_in: usize, gain: f64) -> f64 {
    // TODO(9.1): Kaiming.
    unimplemented!("exercise 9.1: kaiming_std")
}

pub fn xavier_std(fan_in: usize, fan_out: usize, gain: f64) -> f64 {
    // TODO(9.1): Xavier.
    unimplemented!("exercise 9.1: xavier_std")
}
// ANCHOR_END: ex9_1

// ANCHOR: ex9_2
/// Exercise 9.2. Inverted dropout with a given mask: in training, unit i is kept
/// when `keep[i]` and then scaled by 1/(1 − p), or set to 0; in evaluation (or with
/// p = 0) the input comes back unchanged. With p = 1 everything is dropped.
pub fn inverted_dropout(
    x: &[f64],
    keep: &[bool],
    p: f64,
    training: bool,
) -> Vec<f64> {
    // TODO(9.2): mind the evaluation mode and p = 1.
    unimplemented!("exercise 9.2: inverted_dropout")
}
// ANCHOR_END: ex9_2

// ANCHOR: ex9_3
/// Exercise 9.3. RMS normalisation over the last axis of `x`, then a learned
/// per-feature scale: y = x / √(mean(x²) + ε) · weight. Use only autograd
/// operations (`square`, `mean`, `add_scalar`, `sqrt`, division, multiplication),
/// so the backward pass comes for free.
pub fn rms_norm(
    x: &Variable<f64>,
    weight: &Variable<f64>,
    eps: f64,
) -> Variable<f64> {
    // TODO(9.3): keep the reduced axis (keepdim) so the division broadcasts.
    unimplemented!("exercise 9.3: rms_norm")
}
// ANCHOR_END: ex9_3

// ANCHOR: ex9_4
/// Exercise 9.4. Clip by global norm, in place: treat all the gradients as one long
/// vector g; when ‖g‖ > max_norm, multiply every element by max_norm / ‖g‖;
/// otherwise change nothing. Returns ‖g‖ before clipping.
pub fn clip_global_norm(grads: &mut [Vec<f64>], max_norm: f64) -> f64 {
    // TODO(9.4): one norm over every tensor, then one scale for all of them.
    unimplemented!("exercise 9.4: clip_global_norm")
}
// ANCHOR_END: ex9_4

// ANCHOR: ex9_5
/// Exercise 9.5. Batch normalisation of `[N][C]` rows, without γ and β, with
/// running statistics for evaluation, as PyTorch (and Kindling's `BatchNorm1d`)
/// does it:
///
/// ```text
/// training:   μ, σ² = mean and biased variance of each column over the batch
///             y = (x − μ) / √(σ² + ε)
///             running_mean ← (1 − m)·running_mean + m·μ
///             running_var  ← (1 − m)·running_var  + m·σ²·N/(N − 1)   (unbiased)
/// evaluation: y = (x − running_mean) / √(running_var + ε)
/// ```
pub struct BatchNormFromScratch {
    pub running_mean: Vec<f64>,
    pub running_var: Vec<f64>,
    pub momentum: f64,
    pub eps: f64,
}

impl BatchNormFromScratch {
    pub fn new(features: usize) -> Self {
        BatchNormFromScratch {
            running_mean: vec![0.0; features],
            running_var: vec![1.0; features],
            momentum: 0.1,
            eps: 1e-5,
        }
    }

    /// Training mode: normalise with this batch's statistics, then update the
    /// running ones.
    pub fn forward_train(&mut self, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
        // TODO(9.5): column by column.
        unimplemented!("exercise 9.5: forward_train")
    }

    /// Evaluation mode: normalise with the running statistics; nothing changes.
    pub fn forward_eval(&self, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
        // TODO(9.5): no batch statistics here.
        unimplemented!("exercise 9.5: forward_eval")
    }
}
// ANCHOR_END: ex9_5

// ANCHOR: ex9_6
/// Exercise 9.6. The learning rates of a range test: `steps` values growing
/// geometrically from `lr_min` to `lr_max` (both included, `steps` ≥ 2).
pub fn geometric_lrs(lr_min: f64, lr_max: f64, steps: usize) -> Vec<f64> {
    // TODO(9.6): a constant ratio between neighbours.
    unimplemented!("exercise 9.6: geometric_lrs")
}

/// The learning rate at which the loss falls fastest per unit of ln(lr): over the
/// segments between neighbouring points of the curve of (lr, loss), find the most
/// negative slope Δloss / Δln(lr) and return the learning rate at the segment's
/// left end.
pub fn steepest_lr(curve: &[(f64, f64)]) -> f64 {
    // TODO(9.6): slopes against ln(lr), not lr.
    unimplemented!("exercise 9.6: steepest_lr")
}
// ANCHOR_END: ex9_6
