//! Chapter 5 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch05-optimizers --features learner          # every exercise
//! cargo test -p ch05-optimizers --features learner ex5_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

// ANCHOR: ex5_1
/// Exercise 5.1 (warm-up). One step of plain gradient descent, in place: θ ← θ −
/// η·g.
pub fn gd_step(theta: &mut [f64], grad: &[f64], lr: f64) {
    // TODO(5.1): update every coordinate.
    unimplemented!("exercise 5.1: gd_step")
}
// ANCHOR_END: ex5_1

// ANCHOR: ex5_2
/// Exercise 5.2. SGD with momentum in PyTorch's convention (no dampening, no weight
/// decay):
///
/// ```text
/// b ← g                  on the first step
/// b ← μ·b + g            on every later step
/// d = g + μ·b  (Nesterov)   or   d = b  (classic)
/// θ ← θ − η·d
/// ```
pub struct Momentum {
    pub lr: f64,
    pub momentum: f64,
    pub nesterov: bool,
    buffer: Option<Vec<f64>>,
}

impl Momentum {
    pub fn new(lr: f64, momentum: f64, nesterov: bool) -> Self {
        Momentum { lr, momentum, nesterov, buffer: None }
    }

    /// One step: updates the buffer, then θ.
    pub fn step(&mut self, theta: &mut [f64], grad: &[f64]) {
        // TODO(5.2): the first step has no buffer yet (`self.buffer` is None): it
        // becomes g.
        unimplemented!("exercise 5.2: Momentum::step")
    }
}
// ANCHOR_END: ex5_2

// ANCHOR: ex5_3
/// Exercise 5.3. Adam with bias correction, as in the chapter (no weight decay):
///
/// ```text
/// t ← t + 1
/// m ← β1·m + (1 − β1)·g        v ← β2·v + (1 − β2)·g²
/// m̂ = m / (1 − β1^t)           v̂ = v / (1 − β2^t)
/// θ ← θ − η·m̂ / (√v̂ + ε)
/// ```
pub struct AdamFromScratch {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    t: i32,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl AdamFromScratch {
    /// Adam over `n` coordinates; m and v start at zero.
    pub fn new(lr: f64, betas: (f64, f64), eps: f64, n: usize) -> Self {
        AdamFromScratch { lr, betas, eps, t: 0, m: vec![0.0; n], v: vec![0.0; n] }
    }

    pub fn step(&mut self, theta: &mut [f64], grad: &[f64]) {
        // TODO(5.3): count the step first, so the first step divides by 1 − β1 and
        // 1 − β2.
        unimplemented!("exercise 5.3: AdamFromScratch::step")
    }
}
// ANCHOR_END: ex5_3

// ANCHOR: ex5_4
/// Exercise 5.4. Cosine annealing: the learning rate after `t` of `t_max` steps,
/// going from `base_lr` at t = 0 down to `eta_min` at t = t_max along half a
/// cosine.
pub fn cosine_lr(base_lr: f64, eta_min: f64, t: usize, t_max: usize) -> f64 {
    // TODO(5.4)
    unimplemented!("exercise 5.4: cosine_lr")
}
// ANCHOR_END: ex5_4

// ANCHOR: ex5_5
/// Exercise 5.5. Clipping by global norm: treat all gradient vectors as one long
/// vector g; if ‖g‖ > `max_norm`, scale every element by `max_norm / ‖g‖`, else
/// leave them alone. Returns ‖g‖ before clipping.
pub fn clip_by_norm(grads: &mut [Vec<f64>], max_norm: f64) -> f64 {
    // TODO(5.5): one norm over every vector together; scale by min(1, max_norm /
    // norm).
    unimplemented!("exercise 5.5: clip_by_norm")
}
// ANCHOR_END: ex5_5

// ANCHOR: ex5_6
/// Exercise 5.6. Reduce-on-plateau for a metric that should go down: an epoch
/// *improves* when its metric is strictly below the best so far. After more than
/// `patience` epochs in a row without improvement, the rate is multiplied by
/// `factor` (never going below `min_lr`) and the count of bad epochs starts again
/// from 0.
pub struct Plateau {
    pub factor: f64,
    pub patience: usize,
    pub min_lr: f64,
    best: f64,
    bad_epochs: usize,
}

impl Plateau {
    pub fn new(factor: f64, patience: usize, min_lr: f64) -> Self {
        Plateau { factor, patience, min_lr, best: f64::INFINITY, bad_epochs: 0 }
    }

    /// Reports one epoch's metric, given the rate it trained with; returns the rate
    /// for the next epoch.
    pub fn step(&mut self, lr: f64, metric: f64) -> f64 {
        // TODO(5.6)
        unimplemented!("exercise 5.6: Plateau::step")
    }
}
// ANCHOR_END: ex5_6
