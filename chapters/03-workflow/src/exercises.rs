//! Chapter 3 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch03-workflow --features learner          # every exercise
//! cargo test -p ch03-workflow --features learner ex3_5    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, unused_imports)]

use crate::Split;
use kindling_autograd::{no_grad, Variable};
use kindling_nn::{mse_loss, Forward, Linear, Module, Reduction};
use kindling_optim::{Optimizer, Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use std::path::Path;

// ANCHOR: ex3_1
/// Exercise 3.1 (warm-up). Shuffle the row positions 0..n with `Rng::seed(seed)`
/// and cut them: the first `round(n · train_fraction)` rows train, the rest test.
/// Rows of `x` and `y` must stay paired.
pub fn train_test_split(
    x: &Tensor<f32>,
    y: &Tensor<f32>,
    train_fraction: f64,
    seed: u64,
) -> Split {
    // TODO(3.1): `Rng::permutation(n)` shuffles 0..n; `crate::take_rows` gathers
    // rows.
    unimplemented!("exercise 3.1: train_test_split")
}
// ANCHOR_END: ex3_1

// ANCHOR: ex3_2
/// Exercise 3.2. The mean squared error mean((ŷ − y)²) built from autograd
/// operations, so that `backward` works through it. It must agree with
/// `kindling_nn::mse_loss` in value and gradient.
pub fn mse(prediction: &Variable, target: &Tensor<f32>) -> Variable {
    // TODO(3.2): subtract a constant Variable, square, average over every element.
    unimplemented!("exercise 3.2: mse")
}
// ANCHOR_END: ex3_2

// ANCHOR: ex3_3
/// Exercise 3.3. For the line ŷ = w·x + b and L = mean((ŷ − y)²), return (∂L/∂w,
/// ∂L/∂b) from the formulas you derived in the chapter, with plain loops: no
/// tensors, no autograd.
pub fn line_gradients(x: &[f32], y: &[f32], w: f32, b: f32) -> (f32, f32) {
    // TODO(3.3)
    unimplemented!("exercise 3.3: line_gradients")
}
// ANCHOR_END: ex3_3

// ANCHOR: ex3_4
/// Exercise 3.4. One plain gradient-descent step without an optimizer: every
/// parameter that has a gradient moves to value − lr·gradient. Parameters without a
/// gradient stay where they are.
pub fn sgd_step(params: &[Variable], lr: f32) {
    // TODO(3.4): the update itself must not be recorded on a graph (`no_grad`), and
    // `set_value` replaces a parameter's value.
    unimplemented!("exercise 3.4: sgd_step")
}
// ANCHOR_END: ex3_4

// ANCHOR: ex3_5
/// Exercise 3.5: the training loop. Train `model` on (x, y) with full-batch
/// gradient descent (`Sgd` with learning rate `lr`) and mean squared error for
/// `epochs` epochs. Return the training loss of every epoch, measured before that
/// epoch's update.
pub fn train_loop(
    model: &Linear,
    x: &Tensor<f32>,
    y: &Tensor<f32>,
    lr: f64,
    epochs: usize,
) -> Vec<f64> {
    // TODO(3.5): forward, loss, zero_grad, backward, step; in that order, every
    // epoch.
    unimplemented!("exercise 3.5: train_loop")
}
// ANCHOR_END: ex3_5

// ANCHOR: ex3_6
/// Exercise 3.6. The model's outputs for `x` for use, not for training: in
/// evaluation mode (dropout off), with no graph recorded, and with the model's mode
/// as it was afterwards.
pub fn predict(model: &dyn Forward, x: &Tensor<f32>) -> Variable {
    // TODO(3.6): remember `model.is_training()`, switch to `eval()`, run the
    // forward pass inside `no_grad`, then put the mode back with `set_training`.
    unimplemented!("exercise 3.6: predict")
}
// ANCHOR_END: ex3_6

// ANCHOR: ex3_7
/// Exercise 3.7. Save `model` to `path` as a safetensors state dict, build a fresh
/// `Linear::new(1, 1, ..)` from `Rng::seed(12345)`, load the file into it and
/// return it.
pub fn round_trip(model: &Linear, path: &Path) -> Linear {
    // TODO(3.7): `Module::save` and `Module::load` both return a `Result`.
    unimplemented!("exercise 3.7: round_trip")
}
// ANCHOR_END: ex3_7
